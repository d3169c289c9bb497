package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A long detail is cut between characters, never inside a Chinese one.
func TestOneLineCutsBetweenCharacters(t *testing.T) {
	got := oneLine(strings.Repeat("经核对资源交付确认单\n", 30))
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 200 || !strings.HasSuffix(got, "...") || strings.Contains(got, "\n") {
		t.Errorf("%d characters, valid %t: %q", utf8.RuneCountInString(got), utf8.ValidString(got), got)
	}
	if got := oneLine("short\nline"); got != "short line" {
		t.Errorf("%q", got)
	}
}
