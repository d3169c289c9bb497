package reports

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The line breaker. gofpdf's SplitText drops the CJK character at which it
// breaks a line (政务外网带宽 → 政务外网带 / …), so the documents wrap text
// themselves: a line may break at a space (the space is dropped) or
// between two CJK characters (nothing is dropped); a run of other
// characters (a code, a number, a Latin word) is never broken: a cell
// whose longest such run does not fit is set in a smaller size instead.
// Closing punctuation never starts a line and opening punctuation never
// ends one.

// noStart are characters that may not begin a line.
const noStart = "）)]】」』》〉〕，,。.、；;：:！!？?”’％%…·—"

// noEnd are characters that may not end a line.
const noEnd = "（([【「『《〈〔“‘"

// wide reports whether r is set full width and may be broken around
// (ideographs, CJK and full-width punctuation).
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF ||
		r >= 0x2000 && r <= 0x206F && r != 0x2010 && r != 0x2011 || r == '·' || r == '□'
}

// atom is a piece of text that is never broken: one wide character with
// the punctuation glued to it, a run of narrow characters, or a space.
type atom struct {
	s     string
	space bool
}

// atoms cuts one line of text (no newline) into atoms.
func atoms(s string) []atom {
	var out []atom
	var cur strings.Builder
	curWide := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, atom{s: cur.String()})
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == ' ' || r == '\u3000' || unicode.IsSpace(r):
			flush()
			if n := len(out); n > 0 && out[n-1].space {
				out[n-1].s += string(r)
			} else {
				out = append(out, atom{s: string(r), space: true})
			}
			curWide = false
		case wide(r):
			if cur.Len() > 0 && !endsWith(cur.String(), noEnd) && !strings.ContainsRune(noStart, r) {
				flush()
			}
			cur.WriteRune(r)
			curWide = true
		default:
			if cur.Len() > 0 && curWide && !endsWith(cur.String(), noEnd) && !strings.ContainsRune(noStart, r) {
				flush()
			}
			cur.WriteRune(r)
			curWide = false
		}
	}
	flush()
	// Glue closing punctuation that starts an atom to the atom before it
	// (a wide character or a narrow run), unless a space separates them.
	var glued []atom
	for _, a := range out {
		if n := len(glued); n > 0 && !a.space && !glued[n-1].space {
			r, _ := utf8.DecodeRuneInString(a.s)
			if strings.ContainsRune(noStart, r) || endsWith(glued[n-1].s, noEnd) {
				glued[n-1].s += a.s
				continue
			}
		}
		glued = append(glued, a)
	}
	return glued
}

func endsWith(s, set string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r != utf8.RuneError && strings.ContainsRune(set, r)
}

// runeWidth is the advance of r in 1/1000 em.
func (d *doc) runeWidth(r rune) int {
	if w, ok := d.widths[r]; ok {
		return w
	}
	w := d.f.GetStringSymbolWidth(string(r))
	d.widths[r] = w
	return w
}

// width is the width of s in millimetres at size points.
func (d *doc) width(s string, size float64) float64 {
	u := 0
	for _, r := range s {
		u += d.runeWidth(r)
	}
	return float64(u) * size / 1000 * 25.4 / 72
}

// wrap breaks sanitized-or-not text s into lines that fit a box w wide
// (cell padding included) at size points. A newline always breaks. An atom
// wider than the box is broken by characters as a last resort and
// recorded as an overflow.
func (d *doc) wrap(s string, w, size float64) []string {
	s = d.font.sanitize(s)
	inner := w - 2*cellPadX
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, d.wrapLine(para, inner, size)...)
	}
	return out
}

func (d *doc) wrapLine(s string, inner, size float64) []string {
	if s == "" {
		return []string{""}
	}
	const slack = 0.01 // mm: rounding in the width sums
	var lines []string
	var line strings.Builder
	lineW, spaceW := 0.0, 0.0
	pending := ""
	emit := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineW, spaceW, pending = 0, 0, ""
	}
	for _, a := range atoms(s) {
		aw := d.width(a.s, size)
		if a.space {
			if line.Len() > 0 {
				pending, spaceW = a.s, aw
			}
			continue
		}
		if line.Len() > 0 && lineW+spaceW+aw > inner+slack {
			emit()
		}
		if line.Len() == 0 && aw > inner+slack {
			// Too wide even alone: break it by characters (recorded).
			d.overflows = append(d.overflows, "broken: "+a.s)
			for _, r := range a.s {
				rw := d.width(string(r), size)
				if line.Len() > 0 && lineW+rw > inner+slack {
					emit()
				}
				line.WriteRune(r)
				lineW += rw
			}
			continue
		}
		line.WriteString(pending)
		line.WriteString(a.s)
		lineW += spaceW + aw
		pending, spaceW = "", 0
	}
	if line.Len() > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// cell is a laid-out table cell: its lines and the size they are set in.
type cell struct {
	lines []string
	size  float64
}

func (c cell) height() float64 { return float64(len(c.lines)) * lineH(c.size) }

// layout fits s into a box w wide at size points. Names wrap; an atom (a
// code, an amount) that does not fit is never broken: the whole cell is
// set smaller, down to sizeMin. A code cell (oneLine) keeps each of its
// lines whole the same way.
func (d *doc) layout(s string, w, size float64, oneLine bool) cell {
	s = d.font.sanitize(s)
	inner := w - 2*cellPadX
	widest := 0.0
	for _, para := range strings.Split(s, "\n") {
		if oneLine {
			widest = max(widest, d.width(para, size))
			continue
		}
		for _, a := range atoms(para) {
			if !a.space {
				widest = max(widest, d.width(a.s, size))
			}
		}
	}
	if widest > inner {
		// Shrink in quarter points until the widest piece fits.
		fit := size * inner / widest
		fit = float64(int(fit*4)) / 4
		size = max(fit, sizeMin)
	}
	if oneLine {
		var lines []string
		for _, para := range strings.Split(s, "\n") {
			if d.width(para, size) > inner+0.01 {
				lines = append(lines, d.wrapLine(para, inner, size)...)
				continue
			}
			lines = append(lines, para)
		}
		return cell{lines: lines, size: size}
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, d.wrapLine(para, inner, size)...)
	}
	return cell{lines: lines, size: size}
}
