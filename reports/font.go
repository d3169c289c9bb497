package reports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FontEnv names the environment variable that points at the CJK TrueType font.
const FontEnv = "CLOUDBILL_FONT"

// StandardFonts are the places FindFont looks when no font is named: the
// Debian/Ubuntu package fonts-arphic-gbsn00lp first, then common TrueType
// CJK fonts of other systems. Only single-font .ttf files are listed: gofpdf
// loads neither collections (.ttc) nor CFF-flavoured OpenType (.otf).
var StandardFonts = []string{
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/arphic/gbsn00lp.ttf",
	"/usr/share/fonts/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/local/share/fonts/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
	"/Library/Fonts/Arial Unicode.ttf",
	"/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
	`C:\Windows\Fonts\simhei.ttf`,
}

// ErrNoFont is returned by FindFont when no usable font is found.
var ErrNoFont = errors.New("no CJK TrueType font found: install one with `apt-get install fonts-arphic-gbsn00lp` or set " + FontEnv + " (or --font) to a .ttf file")

// Font is a TrueType font that renders the documents' Chinese text, with
// the set of characters it has glyphs for (the Basic Multilingual Plane only:
// gofpdf cannot encode anything beyond it).
type Font struct {
	Path  string
	cover []uint64 // bit r set: the font maps rune r to a glyph
	data  []byte   // the font file, read once; each document gets its own copy
}

// Dir is the folder of the font file (gofpdf.New's font directory).
func (f Font) Dir() string { return filepath.Dir(f.Path) }

// File is the font's file name (AddUTF8Font's argument).
func (f Font) File() string { return filepath.Base(f.Path) }

// Has reports whether the font has a glyph for r.
func (f Font) Has(r rune) bool {
	if r < 0 || r > 0xFFFF || f.cover == nil {
		return false
	}
	return f.cover[r>>6]&(1<<(uint(r)&63)) != 0
}

// FindFont returns the font at explicit, else at $CLOUDBILL_FONT, else the
// first standard place that holds one.
func FindFont(explicit string) (Font, error) {
	if explicit != "" {
		return LoadFont(explicit)
	}
	if env := os.Getenv(FontEnv); env != "" {
		f, err := LoadFont(env)
		if err != nil {
			return Font{}, fmt.Errorf("%s: %w", FontEnv, err)
		}
		return f, nil
	}
	for _, p := range StandardFonts {
		if _, err := os.Stat(p); err == nil {
			return LoadFont(p)
		}
	}
	return Font{}, ErrNoFont
}

// LoadFont reads the TrueType font at path and its character map.
func LoadFont(path string) (Font, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Font{}, fmt.Errorf("font %s: %w", path, err)
	}
	switch strings.ToLower(filepath.Ext(abs)) {
	case ".ttc":
		return Font{}, fmt.Errorf("font %s: TrueType collections (.ttc) cannot be embedded by gofpdf; use a single .ttf such as gbsn00lp.ttf (apt-get install fonts-arphic-gbsn00lp)", path)
	case ".otf":
		return Font{}, fmt.Errorf("font %s: OpenType/CFF fonts (.otf) cannot be embedded by gofpdf; use a .ttf such as gbsn00lp.ttf (apt-get install fonts-arphic-gbsn00lp)", path)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return Font{}, fmt.Errorf("font: %w", err)
	}
	cover, err := parseCmap(data)
	if err != nil {
		return Font{}, fmt.Errorf("font %s: %w", path, err)
	}
	f := Font{Path: abs, cover: cover, data: data}
	for _, r := range "0123456789大同市元" {
		if !f.Has(r) {
			return Font{}, fmt.Errorf("font %s has no glyph for %q: it cannot print the documents; use gbsn00lp.ttf (apt-get install fonts-arphic-gbsn00lp)", path, r)
		}
	}
	return f, nil
}

// parseCmap returns the BMP coverage of a TrueType font's Unicode cmap.
func parseCmap(b []byte) ([]uint64, error) {
	if len(b) < 12 {
		return nil, errors.New("not a TrueType font (too short)")
	}
	switch string(b[:4]) {
	case "ttcf":
		return nil, errors.New("a TrueType collection (.ttc) cannot be embedded by gofpdf; use a single .ttf")
	case "OTTO":
		return nil, errors.New("a CFF-flavoured OpenType font cannot be embedded by gofpdf; use a .ttf")
	case "\x00\x01\x00\x00", "true":
	default:
		return nil, errors.New("not a TrueType font")
	}
	u16 := func(o int) (int, bool) {
		if o < 0 || o+2 > len(b) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(b[o:])), true
	}
	u32 := func(o int) (int, bool) {
		if o < 0 || o+4 > len(b) {
			return 0, false
		}
		return int(binary.BigEndian.Uint32(b[o:])), true
	}
	bad := errors.New("malformed cmap table")
	n, _ := u16(4)
	cmap := -1
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(b) {
			return nil, errors.New("malformed table directory")
		}
		if string(b[rec:rec+4]) == "cmap" {
			cmap, _ = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return nil, errors.New("no cmap table")
	}
	nsub, ok := u16(cmap + 2)
	if !ok {
		return nil, bad
	}
	best, bestRank := -1, 0
	for i := 0; i < nsub; i++ {
		pid, _ := u16(cmap + 4 + 8*i)
		eid, _ := u16(cmap + 4 + 8*i + 2)
		off, ok := u32(cmap + 4 + 8*i + 4)
		if !ok {
			return nil, bad
		}
		format, _ := u16(cmap + off)
		rank := 0
		switch {
		case pid == 3 && eid == 1 && format == 4:
			rank = 3
		case pid == 0 && format == 4:
			rank = 2
		case (pid == 3 && eid == 10 || pid == 0) && format == 12:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = cmap+off, rank
		}
	}
	if best < 0 {
		return nil, errors.New("no Unicode character map (format 4 or 12)")
	}
	cover := make([]uint64, 65536/64)
	set := func(r int) { cover[r>>6] |= 1 << (uint(r) & 63) }
	format, _ := u16(best)
	if format == 12 {
		ngroups, ok := u32(best + 12)
		if !ok {
			return nil, bad
		}
		for g := 0; g < ngroups; g++ {
			start, ok1 := u32(best + 16 + 12*g)
			end, ok2 := u32(best + 16 + 12*g + 4)
			glyph, ok3 := u32(best + 16 + 12*g + 8)
			if !ok1 || !ok2 || !ok3 {
				return nil, bad
			}
			for r := start; r <= end && r <= 0xFFFF; r++ {
				if glyph+(r-start) != 0 {
					set(r)
				}
			}
		}
		return cover, nil
	}
	segX2, ok := u16(best + 6)
	if !ok {
		return nil, bad
	}
	ends := best + 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	ranges := deltas + segX2
	for s := 0; s < segX2/2; s++ {
		end, ok1 := u16(ends + 2*s)
		start, ok2 := u16(starts + 2*s)
		delta, ok3 := u16(deltas + 2*s)
		ro, ok4 := u16(ranges + 2*s)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, bad
		}
		for r := start; r <= end && r != 0xFFFF; r++ {
			glyph := 0
			if ro == 0 {
				glyph = (r + delta) & 0xFFFF
			} else {
				g, ok := u16(ranges + 2*s + ro + 2*(r-start))
				if !ok {
					return nil, bad
				}
				if g != 0 {
					glyph = (g + delta) & 0xFFFF
				}
			}
			if glyph != 0 {
				set(r)
			}
		}
	}
	return cover, nil
}

// glyphFallback maps characters the CJK font (GB 2312) lacks to ones it
// has that read the same in a statement: dashes, bullets, the half-width
// yen sign, the ideographic zero. Characters neither in the font nor here
// print as □.
var glyphFallback = map[rune]rune{
	'\u2010': '-',      // hyphen
	'\u2011': '-',      // non-breaking hyphen
	'\u2012': '-',      // figure dash
	'\u2013': '-',      // en dash (Art. 13–16)
	'\u2212': '-',      // minus sign
	'\u2015': '\u2014', // horizontal bar → em dash
	'\u2022': '\u00b7', // bullet → middle dot
	'\u30fb': '\u00b7', // katakana middle dot
	'\u00a5': '\uffe5', // ¥ → ￥
	'\u3007': '\u25cb', // ideographic zero → white circle
	'\u00a0': ' ',      // no-break space
	'\u2009': ' ',      // thin space
	'\u202f': ' ',      // narrow no-break space
}

// glyph is the character printed for r: r itself when the font has it,
// else its fallback, else 0.
func (f Font) glyph(r rune) rune {
	if f.Has(r) {
		return r
	}
	if g, ok := glyphFallback[r]; ok && f.Has(g) {
		return g
	}
	return 0
}

// sanitize makes s printable with the font: control characters become
// spaces; characters the font lacks take their fallback (glyphFallback);
// characters beyond the BMP (gofpdf panics on them) or without a fallback
// become a visible replacement, □ when the font has it, else '?'.
func (f Font) sanitize(s string) string {
	ok := true
	for _, r := range s {
		if r < 0x20 || !f.Has(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	repl := '?'
	if f.Has('□') {
		repl = '□'
	}
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			sb.WriteRune(' ')
		case f.glyph(r) != 0:
			sb.WriteRune(f.glyph(r))
		default:
			sb.WriteRune(repl)
		}
	}
	return sb.String()
}
