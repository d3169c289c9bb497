package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindFontErrors(t *testing.T) {
	dir := t.TempDir()
	ttc := filepath.Join(dir, "wqy.ttc")
	otf := filepath.Join(dir, "noto.otf")
	junk := filepath.Join(dir, "junk.ttf")
	for _, p := range []string{ttc, otf, junk} {
		if err := os.WriteFile(p, []byte("not a font at all"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, path, want string }{
		{"collection", ttc, ".ttc"},
		{"cff opentype", otf, ".otf"},
		{"not a font", junk, "not a TrueType font"},
		{"missing", filepath.Join(dir, "none.ttf"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := FindFont(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("FindFont(%s) = %v, want an error mentioning %q", c.path, err, c.want)
			}
		})
	}
	t.Run("env", func(t *testing.T) {
		t.Setenv(FontEnv, ttc)
		if _, err := FindFont(""); err == nil || !strings.Contains(err.Error(), FontEnv) {
			t.Errorf("FindFont with %s=%s: %v, want an error naming the variable", FontEnv, ttc, err)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Setenv(FontEnv, "")
		saved := StandardFonts
		StandardFonts = []string{filepath.Join(dir, "absent.ttf")}
		defer func() { StandardFonts = saved }()
		_, err := FindFont("")
		if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "apt-get install fonts-arphic-gbsn00lp") {
			t.Errorf("FindFont without fonts: %v, want ErrNoFont saying what to install", err)
		}
	})
}

func TestSanitize(t *testing.T) {
	font := needFont(t)
	for _, c := range []struct{ in, want string }{
		{"大同市 ABC 123", "大同市 ABC 123"},
		{"表情😀", "表情□"},     // outside the BMP: gofpdf would panic
		{"䶮平台", "□平台"},     // CJK Extension A, not in GB2312
		{"a\tb\r", "a b "}, // control characters
		{"两行\n文本", "两行\n文本"},
		{"Art. 13–16", "Art. 13-16"}, // en dash: not in GB 2312, a hyphen instead
		{"¥100・二〇二四", "￥100·二○二四"},   // half-width yen, katakana dot, ideographic zero
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := font.sanitize(c.in); got != c.want {
				t.Errorf("sanitize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
