package reports

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Page geometry (A4, millimetres) and typography: one font, five sizes.
const (
	pageW    = 210.0
	pageH    = 297.0
	marginL  = 15.0
	marginR  = 15.0
	marginT  = 16.0
	marginB  = 20.0
	contentW = pageW - marginL - marginR
	bottomY  = pageH - marginB

	sizeTitle   = 17.0
	sizeSection = 11.5
	sizeBody    = 9.5
	sizeTable   = 8.5
	sizeDense   = 7.5 // the bills' line detail
	sizeSmall   = 7.0
	sizeMin     = 5.0 // a code or an amount is shrunk down to this size rather than broken

	cellPadX = 1.2
	cellPadY = 1.0
)

const fontFamily = "cjk"

// docMeta is what every page of a document repeats.
type docMeta struct {
	Title   string // document title (PDF metadata and running header)
	Running string // right side of the running header: year, version, status
	SHA256  string // the statement fingerprint, printed in every footer
	Draft   bool   // a diagonal 草稿 watermark on every page
	// SupersededBy, when set, is the version that replaces this issued
	// one: every page says so under its running header.
	SupersededBy int
	Date         time.Time // creation and modification date
}

// doc is one PDF being laid out. Page breaks are placed by hand (auto page
// break is off) so that no table row or block is ever split, no heading
// ends a page and signature blocks stay with the total above them.
type doc struct {
	f    *gofpdf.Fpdf
	font Font
	meta docMeta
	size float64 // the current font size

	widths  map[rune]int // glyph advance widths, 1/1000 em
	heading string       // a section heading waiting for what follows it
	tab     *table       // the table being collected, nil outside tables

	// seals are the sign-off records printed in a party's signature and
	// seal block, by the party's name (setSeals; nil: none).
	seals map[string][]string

	// overflows lists text that could not be fitted into its box (a code
	// broken, a line wider than its cell); the tests require none.
	overflows []string
}

// newDoc starts a document; each document gets its own copy of the font's
// bytes (gofpdf must not share a font's bytes across goroutines), copied
// from those LoadFont read rather than read from the file again.
func newDoc(font Font, meta docMeta) (*doc, error) {
	f := gofpdf.New("P", "mm", "A4", font.Dir())
	f.SetMargins(marginL, marginT, marginR)
	f.SetAutoPageBreak(false, marginB)
	f.SetCellMargin(cellPadX)
	if font.data != nil {
		f.AddUTF8FontFromBytes(fontFamily, "", bytes.Clone(font.data))
	} else {
		f.AddUTF8Font(fontFamily, "", font.File())
	}
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("load font %s: %w", font.Path, err)
	}
	f.SetCatalogSort(true)
	f.SetCreationDate(meta.Date)
	f.SetModificationDate(meta.Date)
	f.SetTitle(font.sanitize(meta.Title), true)
	f.SetAuthor("大同市政府信息化中心", true)
	f.SetCreator("cloudbill", true)
	f.SetProducer("cloudbill (gofpdf)", true)
	f.AliasNbPages("{nb}")
	d := &doc{f: f, font: font, meta: meta, widths: map[rune]int{}}
	f.SetHeaderFunc(d.pageHeader)
	f.SetFooterFunc(d.pageFooter)
	d.setSize(sizeBody)
	f.AddPage()
	return d, nil
}

// layoutReport, when set (by tests), receives every document's title and
// the text that could not be fitted into its box; it may be called from
// several goroutines.
var layoutReport func(title string, overflows []string)

// bytes closes the document and returns the PDF.
func (d *doc) bytes() ([]byte, error) {
	if d.heading != "" { // a heading with nothing after it still prints
		d.reserve(0)
	}
	if layoutReport != nil {
		layoutReport(d.meta.Title, d.overflows)
	}
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (d *doc) setSize(pt float64) {
	d.size = pt
	d.f.SetFont(fontFamily, "", pt)
}

// lineH is the line height for a font size in points.
func lineH(pt float64) float64 { return pt * 25.4 / 72 * 1.45 }

// bold emulates a bold face (the CJK font has one weight) by stroking the
// glyph outlines.
func (d *doc) bold(on bool) {
	if on {
		d.f.SetTextRenderingMode(2)
		d.f.SetLineWidth(0.18)
		r, g, b := d.f.GetTextColor()
		d.f.SetDrawColor(r, g, b)
		return
	}
	d.f.SetTextRenderingMode(0)
	d.f.SetLineWidth(0.2)
	d.f.SetDrawColor(0, 0, 0)
}

// text writes one line at (x, y) in a box w wide, aligned L, C or R, at
// the current size. s must already be sanitized or be a literal.
func (d *doc) text(x, y, w, h float64, s, align string) {
	s = d.font.sanitize(s)
	if d.width(s, d.size) > w-2*cellPadX+0.05 {
		d.overflows = append(d.overflows, "wider than its box: "+s)
	}
	d.f.SetXY(x, y)
	d.f.CellFormat(w, h, s, "", 0, align+"M", false, 0, "")
}

// ensure starts a new page unless h millimetres fit above the bottom margin.
func (d *doc) ensure(h float64) bool {
	if d.fits(h) {
		return false
	}
	d.f.AddPage()
	return true
}

// fits reports whether h millimetres fit above the bottom margin.
func (d *doc) fits(h float64) bool { return d.f.GetY()+h <= bottomY+0.001 }

// atTop reports whether nothing has been placed on the page yet.
func (d *doc) atTop() bool { return d.f.GetY() <= marginT+0.001 }

// reserve makes room for h millimetres, together with the pending section
// heading: both go to a new page unless they fit on this one (a heading
// never ends a page). It draws the pending heading and reports whether a
// new page was started.
func (d *doc) reserve(h float64) bool {
	need := h
	if d.heading != "" {
		need += headingH(d.atTop())
	}
	broke := false
	if !d.fits(need) && !d.atTop() {
		d.f.AddPage()
		broke = true
	}
	if d.heading != "" {
		s := d.heading
		d.heading = ""
		d.drawHeading(s)
	}
	return broke
}

// headingH is the height a section heading takes (with its space above
// unless it opens the page).
func headingH(top bool) float64 {
	h := lineH(sizeSection) + 2
	if !top {
		h += 3
	}
	return h
}

func (d *doc) drawHeading(s string) {
	if !d.atTop() {
		d.f.SetY(d.f.GetY() + 3)
	}
	h := lineH(sizeSection) + 2
	d.setSize(sizeSection)
	d.bold(true)
	d.text(marginL-cellPadX, d.f.GetY(), contentW, h, s, "L")
	d.bold(false)
	d.f.SetY(d.f.GetY() + h)
}

func (d *doc) pageHeader() {
	f := d.f
	size := d.size
	if d.meta.Draft {
		f.SetAlpha(0.13, "Normal")
		f.SetTextColor(190, 0, 0)
		d.setSize(150)
		f.TransformBegin()
		f.TransformRotate(45, pageW/2, pageH/2)
		d.text(0, pageH/2-30, pageW, 60, "草稿", "C")
		f.TransformEnd()
		f.SetAlpha(1, "Normal")
	}
	f.SetTextColor(90, 90, 90)
	// the running text at the right, the title in the rest (set smaller
	// when a long name does not fit)
	rw := d.width(d.meta.Running, sizeSmall) + 2*cellPadX
	title := d.layout(d.meta.Title, contentW-rw-4, sizeSmall, true)
	d.setSize(title.size)
	d.text(marginL, 8, contentW-rw-4, 4, title.lines[0], "L")
	for _, l := range title.lines[1:] { // a title too long even at the smallest size
		d.overflows = append(d.overflows, "running header cut: "+l)
	}
	d.setSize(sizeSmall)
	d.text(pageW-marginR-rw, 8, rw, 4, d.meta.Running, "R")
	f.SetDrawColor(150, 150, 150)
	f.SetLineWidth(0.2)
	f.Line(marginL, 12.5, pageW-marginR, 12.5)
	if n := d.meta.SupersededBy; n > 0 {
		f.SetTextColor(170, 0, 0)
		d.setSize(sizeSmall)
		d.text(marginL, 13, contentW, 4, fmt.Sprintf("已被第 %d 版取代：本版本仅供查阅，不得作为付款依据", n), "C")
	}
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	f.SetXY(marginL, marginT)
	d.setSize(size)
}

func (d *doc) pageFooter() {
	f := d.f
	size := d.size
	d.bold(false)
	f.SetTextColor(90, 90, 90)
	f.SetDrawColor(150, 150, 150)
	f.SetLineWidth(0.2)
	f.Line(marginL, pageH-15, pageW-marginR, pageH-15)
	d.setSize(sizeSmall + 1)
	page := fmt.Sprintf("第 %d 页 共 ", f.PageNo())
	// The total is an alias replaced at output; centre as if it had two digits.
	w := f.GetStringWidth(page + "00 页")
	d.text(pageW/2-w/2-cellPadX, pageH-14.2, w+2*cellPadX+4, 4.5, page+"{nb} 页", "L")
	if d.meta.SHA256 != "" {
		d.setSize(sizeSmall)
		d.text(marginL, pageH-10, contentW, 4, "结算单指纹 SHA-256："+d.meta.SHA256, "C")
	}
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	d.setSize(size)
}

// title writes the document title block.
func (d *doc) title(title, subtitle string) {
	d.f.SetY(marginT + 2)
	d.setSize(sizeTitle)
	d.bold(true)
	d.text(marginL, d.f.GetY(), contentW, 9, title, "C")
	d.bold(false)
	d.f.SetY(d.f.GetY() + 9)
	if subtitle != "" {
		d.setSize(sizeSection)
		for _, l := range d.wrap(subtitle, contentW, sizeSection) {
			d.text(marginL, d.f.GetY(), contentW, 6, l, "C")
			d.f.SetY(d.f.GetY() + 6)
		}
		d.f.SetY(d.f.GetY() + 1)
	}
	d.f.SetY(d.f.GetY() + 2)
}

// section sets a numbered heading; it is drawn with whatever comes next
// (the first lines of a paragraph, a table's header and first rows, a
// block), on a new page if they do not fit together.
func (d *doc) section(s string) {
	if d.heading != "" {
		d.reserve(0)
	}
	d.heading = s
}

// para writes wrapped text; lines break across pages, never inside a
// line; the first two lines stay together (and with a heading), and a
// break leaves at least two lines for the next page.
func (d *doc) para(s string, size float64) {
	lh := lineH(size)
	lines := d.wrap(s, contentW, size)
	d.reserve(float64(min(2, len(lines))) * lh)
	for len(lines) > 0 {
		k := int((bottomY - d.f.GetY() + 0.001) / lh)
		if k >= len(lines) {
			k = len(lines)
		} else if rest := len(lines) - k; rest < 2 && k > 2 {
			k = len(lines) - 2
		}
		if k <= 0 {
			d.f.AddPage()
			continue
		}
		d.setSize(size)
		for _, l := range lines[:k] {
			d.text(marginL, d.f.GetY(), contentW, lh, l, "L")
			d.f.SetY(d.f.GetY() + lh)
		}
		lines = lines[k:]
		if len(lines) > 0 {
			d.f.AddPage()
		}
	}
}

// gap adds vertical space (never carried over a page break).
func (d *doc) gap(h float64) {
	if d.f.GetY()+h > bottomY || d.atTop() {
		return
	}
	d.f.SetY(d.f.GetY() + h)
}
