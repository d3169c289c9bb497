package reports

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Page geometry (A4, millimetres) and typography: one font, four sizes.
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
	sizeSmall   = 7.0

	cellPadX = 1.2
	cellPadY = 1.0
)

const fontFamily = "cjk"

// docMeta is what every page of a document repeats.
type docMeta struct {
	Title   string    // document title (PDF metadata and running header)
	Running string    // right side of the running header: year, version, status
	SHA256  string    // the statement fingerprint, printed in every footer
	Draft   bool      // a diagonal 草稿 watermark on every page
	Date    time.Time // creation and modification date
}

// doc is one PDF being laid out. Page breaks are placed by hand (auto page
// break is off) so that no table row or block is ever split.
type doc struct {
	f    *gofpdf.Fpdf
	font Font
	meta docMeta
	// table state, to repeat a table's header after a page break
	cols []column
}

// newDoc starts a document; the font is loaded from its own file for each
// document (gofpdf must not share a font's bytes across goroutines).
func newDoc(font Font, meta docMeta) (*doc, error) {
	f := gofpdf.New("P", "mm", "A4", font.Dir())
	f.SetMargins(marginL, marginT, marginR)
	f.SetAutoPageBreak(false, marginB)
	f.SetCellMargin(cellPadX)
	f.AddUTF8Font(fontFamily, "", font.File())
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
	d := &doc{f: f, font: font, meta: meta}
	f.SetHeaderFunc(d.pageHeader)
	f.SetFooterFunc(d.pageFooter)
	f.AddPage()
	return d, nil
}

// bytes closes the document and returns the PDF.
func (d *doc) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (d *doc) setSize(pt float64) { d.f.SetFont(fontFamily, "", pt) }

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

// text writes one line at (x, y) in a box w wide, aligned L, C or R.
func (d *doc) text(x, y, w, h float64, s, align string) {
	d.f.SetXY(x, y)
	d.f.CellFormat(w, h, d.font.sanitize(s), "", 0, align+"M", false, 0, "")
}

// split wraps s into lines no wider than w at the current size.
func (d *doc) split(s string, w float64) []string {
	s = d.font.sanitize(s)
	if s == "" {
		return []string{""}
	}
	var out []string
	for _, part := range bytes.Split([]byte(s), []byte("\n")) {
		lines := d.f.SplitText(string(part), w)
		if len(lines) == 0 {
			lines = []string{""}
		}
		out = append(out, lines...)
	}
	return out
}

// ensure starts a new page unless h millimetres fit above the bottom margin.
func (d *doc) ensure(h float64) bool {
	if d.f.GetY()+h <= bottomY {
		return false
	}
	d.f.AddPage()
	return true
}

func (d *doc) pageHeader() {
	f := d.f
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
	d.setSize(sizeSmall)
	d.text(marginL, 8, contentW/2, 4, d.meta.Title, "L")
	d.text(marginL+contentW/2, 8, contentW/2, 4, d.meta.Running, "R")
	f.SetDrawColor(150, 150, 150)
	f.SetLineWidth(0.2)
	f.Line(marginL, 12.5, pageW-marginR, 12.5)
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	f.SetXY(marginL, marginT)
}

func (d *doc) pageFooter() {
	f := d.f
	d.bold(false)
	f.SetTextColor(90, 90, 90)
	f.SetDrawColor(150, 150, 150)
	f.SetLineWidth(0.2)
	f.Line(marginL, pageH-15, pageW-marginR, pageH-15)
	d.setSize(sizeSmall + 1)
	page := fmt.Sprintf("第 %d 页 / 共 ", f.PageNo())
	// The total is an alias replaced at output; centre as if it had two digits.
	w := f.GetStringWidth(page + "00 页")
	d.text(pageW/2-w/2-cellPadX, pageH-14.2, w+2*cellPadX+4, 4.5, page+"{nb} 页", "L")
	if d.meta.SHA256 != "" {
		d.setSize(sizeSmall)
		d.text(marginL, pageH-10, contentW, 4, "结算单指纹 SHA-256："+d.meta.SHA256, "C")
	}
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
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
		d.text(marginL, d.f.GetY(), contentW, 6, subtitle, "C")
		d.f.SetY(d.f.GetY() + 7)
	}
	d.f.SetY(d.f.GetY() + 2)
}

// section writes a numbered heading, kept with at least keep mm below it.
func (d *doc) section(s string, keep float64) {
	h := lineH(sizeSection) + 2
	d.ensure(h + 3 + keep)
	d.f.SetY(d.f.GetY() + 3)
	d.setSize(sizeSection)
	d.bold(true)
	d.text(marginL-cellPadX, d.f.GetY(), contentW, h, s, "L")
	d.bold(false)
	d.f.SetY(d.f.GetY() + h)
}

// para writes wrapped text; lines break across pages, never inside a line.
func (d *doc) para(s string, size float64) {
	d.setSize(size)
	lh := lineH(size)
	for _, l := range d.split(s, contentW) {
		d.ensure(lh)
		d.text(marginL, d.f.GetY(), contentW, lh, l, "L")
		d.f.SetY(d.f.GetY() + lh)
	}
}

// gap adds vertical space (never carried over a page break).
func (d *doc) gap(h float64) {
	if d.f.GetY()+h > bottomY {
		return
	}
	d.f.SetY(d.f.GetY() + h)
}
