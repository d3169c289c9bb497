package reports

// column is one table column: a title, a width in mm and an alignment.
type column struct {
	Title string
	W     float64
	Align string // L, C or R
}

// rowKind styles a table row.
type rowKind int

const (
	rowData  rowKind = iota
	rowGroup         // a heading spanning the whole table (district, department…)
	rowSub           // a subtotal
	rowTotal         // a total
)

// cols builds columns from titles, widths (scaled to the content width when
// they do not add up to it) and alignments.
func cols(spec ...column) []column {
	var sum float64
	for _, c := range spec {
		sum += c.W
	}
	out := make([]column, len(spec))
	for i, c := range spec {
		c.W = c.W * contentW / sum
		out[i] = c
	}
	return out
}

// table starts a table: its header is drawn now and again at the top of
// every page the table continues on.
func (d *doc) table(cs []column) {
	d.cols = cs
	hh := d.rowHeight(d.headerCells(), true)
	d.ensure(hh + lineH(sizeTable) + 2*cellPadY)
	d.drawHeader()
}

func (d *doc) headerCells() []string {
	cells := make([]string, len(d.cols))
	for i, c := range d.cols {
		cells[i] = c.Title
	}
	return cells
}

func (d *doc) drawHeader() {
	d.drawCells(d.headerCells(), rowTotal, true)
}

// endTable leaves a little space after the table.
func (d *doc) endTable() {
	d.cols = nil
	d.gap(3)
}

// rowHeight is the height of a row whose cells wrap at their column widths.
func (d *doc) rowHeight(cells []string, header bool) float64 {
	d.setSize(sizeTable)
	n := 1
	for i, c := range cells {
		w := d.cols[i].W
		if len(cells) == 1 {
			w = contentW
		}
		if l := len(d.split(c, w)); l > n {
			n = l
		}
	}
	return float64(n)*lineH(sizeTable) + 2*cellPadY
}

// row adds one row; a row that does not fit moves whole to the next page,
// under a repeated header. A group row keeps with the row after it.
func (d *doc) row(kind rowKind, cells ...string) {
	if kind == rowGroup {
		cells = cells[:1]
	}
	h := d.rowHeight(cells, false)
	keep := 0.0
	if kind == rowGroup {
		keep = lineH(sizeTable) + 2*cellPadY
	}
	if d.ensure(h + keep) {
		d.drawHeader()
	}
	d.drawCells(cells, kind, false)
}

func (d *doc) drawCells(cells []string, kind rowKind, header bool) {
	f := d.f
	d.setSize(sizeTable)
	lh := lineH(sizeTable)
	h := d.rowHeight(cells, header)
	y := f.GetY()
	switch {
	case header:
		f.SetFillColor(222, 226, 232)
	case kind == rowGroup:
		f.SetFillColor(241, 243, 246)
	case kind == rowSub:
		f.SetFillColor(249, 249, 249)
	case kind == rowTotal:
		f.SetFillColor(232, 232, 232)
	}
	fill := header || kind != rowData
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.15)
	if len(cells) == 1 {
		if fill {
			f.Rect(marginL, y, contentW, h, "FD")
		} else {
			f.Rect(marginL, y, contentW, h, "D")
		}
		d.bold(true)
		for j, l := range d.split(cells[0], contentW) {
			d.text(marginL, y+cellPadY+float64(j)*lh, contentW, lh, l, "L")
		}
		d.bold(false)
		f.SetY(y + h)
		return
	}
	x := marginL
	for i, c := range d.cols {
		style := "D"
		if fill {
			style = "FD"
		}
		f.SetDrawColor(120, 120, 120)
		f.SetLineWidth(0.15)
		f.Rect(x, y, c.W, h, style)
		align := c.Align
		if header {
			align = "C"
		}
		d.bold(header || kind == rowTotal)
		lines := d.split(cells[i], c.W)
		top := y + cellPadY
		if header { // centre header text vertically
			top += (h - 2*cellPadY - float64(len(lines))*lh) / 2
		}
		for j, l := range lines {
			d.text(x, top+float64(j)*lh, c.W, lh, l, align)
		}
		d.bold(false)
		x += c.W
	}
	f.SetY(y + h)
}

// kv writes label/value pairs as a borderless two-per-row grid.
func (d *doc) kv(pairs ...string) {
	d.setSize(sizeBody)
	lh := lineH(sizeBody) + 0.6
	labelW, valueW := 24.0, contentW/2-24.0
	for i := 0; i < len(pairs); i += 4 {
		d.ensure(lh)
		y := d.f.GetY()
		for k := 0; k < 4 && i+k+1 < len(pairs)+1; k += 2 {
			if i+k+1 >= len(pairs) {
				break
			}
			x := marginL + float64(k/2)*contentW/2
			d.f.SetTextColor(80, 80, 80)
			d.text(x, y, labelW, lh, pairs[i+k]+"：", "L")
			d.f.SetTextColor(0, 0, 0)
			d.text(x+labelW, y, valueW, lh, pairs[i+k+1], "L")
		}
		d.f.SetY(y + lh)
	}
}
