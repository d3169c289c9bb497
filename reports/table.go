package reports

import "strings"

// column is one table column: a title, a width in mm and an alignment.
type column struct {
	Title string
	W     float64
	Align string // L, C or R
	// Code marks a column of codes: its cells are never wrapped nor broken;
	// the column is widened to its widest code (taking the room from the
	// name columns) and a code that still does not fit is set smaller.
	Code bool
	// Span marks, in a row with sub-rows (a line and its runs), the cells
	// that span all the sub-rows; they are taken from the first sub-row.
	Span bool
}

// rowKind styles a table row.
type rowKind int

const (
	rowData  rowKind = iota
	rowGroup         // a heading spanning the whole table (district, department…)
	rowSub           // a subtotal
	rowTotal         // a total
)

// trow is one row of a table: one or more sub-rows of cells (a group row
// has one cell), laid out before anything is placed.
type trow struct {
	kind  rowKind
	level int        // group rows: nesting level, 0 outermost
	lead  int        // a row of fewer cells than columns: its first cell spans this many columns
	subs  [][]string // sub-rows
	cells [][]cell   // laid out, per sub-row and column (span columns in sub-row 0)
	subH  []float64  // height of each sub-row
	h     float64
}

// table is a table being collected: rows are laid out and placed when it
// ends, so that page breaks can look ahead.
type table struct {
	cols  []column
	size  float64
	rows  []*trow
	head  []cell
	headH float64
}

// col is a column of names or text: long ones wrap.
func col(title string, w float64, align string) column {
	return column{Title: title, W: w, Align: align}
}

// codeCol is a column of codes or figures: never wrapped nor broken.
func codeCol(title string, w float64, align string) column {
	return column{Title: title, W: w, Align: align, Code: true}
}

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

// table starts a table in the table size; its header is drawn with its
// first rows and again at the top of every page the table continues on.
func (d *doc) table(cs []column) { d.tableSized(cs, sizeTable) }

// tableSized starts a table whose text is set at size points.
func (d *doc) tableSized(cs []column, size float64) {
	if d.tab != nil {
		d.endTable()
	}
	d.tab = &table{cols: append([]column(nil), cs...), size: size}
}

// row adds a row of one sub-row. A group row (one cell) is a heading at
// level 0; see group. A row of fewer cells than columns (a subtotal's
// label and amount) has its first cell span the leading columns.
func (d *doc) row(kind rowKind, cells ...string) {
	if kind == rowGroup {
		d.group(0, cells[0])
		return
	}
	lead := 1
	if n := len(d.tab.cols); len(cells) < n {
		lead = n - len(cells) + 1
	}
	d.tab.rows = append(d.tab.rows, &trow{kind: kind, lead: lead, subs: [][]string{cells}})
}

// group adds a heading row spanning the table at a nesting level. It is
// kept on a page with the row after it, and when a page break falls
// inside its rows it is repeated, marked （续）, under the table header.
func (d *doc) group(level int, text string) {
	d.tab.rows = append(d.tab.rows, &trow{kind: rowGroup, level: level, subs: [][]string{{text}}})
}

// multi adds a data row made of sub-rows (a line and its runs): the Span
// columns are taken from the first sub-row and span them all.
func (d *doc) multi(subs [][]string) {
	d.tab.rows = append(d.tab.rows, &trow{kind: rowData, subs: subs})
}

// endTable lays the table out, places it, and leaves a little space.
func (d *doc) endTable() {
	t := d.tab
	if t == nil {
		return
	}
	d.tab = nil
	d.fitCodeColumns(t)
	d.layoutTable(t)
	d.placeTable(t)
	d.gap(3)
}

// fitCodeColumns widens code columns to their widest cell, taking the
// room from the other columns in proportion (none goes below 60% of its
// width); what still does not fit is set smaller by layout.
func (d *doc) fitCodeColumns(t *table) {
	extra := 0.0
	for i, c := range t.cols {
		if !c.Code {
			continue
		}
		need := 0.0
		for _, r := range t.rows {
			if r.kind == rowGroup {
				continue
			}
			for s, sub := range r.subs {
				if i >= len(sub) || c.Span && s > 0 {
					continue
				}
				for _, l := range strings.Split(d.font.sanitize(sub[i]), "\n") {
					need = max(need, d.width(l, t.size)+2*cellPadX+0.2)
				}
			}
		}
		if need > c.W {
			extra += need - c.W
			t.cols[i].W = need
		}
	}
	if extra == 0 {
		return
	}
	give := 0.0
	for _, c := range t.cols {
		if !c.Code {
			give += c.W * 0.4
		}
	}
	if give <= 0 {
		return
	}
	take := min(extra, give)
	for i, c := range t.cols {
		if !c.Code {
			t.cols[i].W -= take * c.W * 0.4 / give
		}
	}
	if take < extra { // the code columns give back what could not be found
		var codeW float64
		for _, c := range t.cols {
			if c.Code {
				codeW += c.W
			}
		}
		for i, c := range t.cols {
			if c.Code {
				t.cols[i].W -= (extra - take) * c.W / codeW
			}
		}
	}
}

func (d *doc) layoutTable(t *table) {
	lh := lineH(t.size)
	t.head = make([]cell, len(t.cols))
	n := 1.0
	for i, c := range t.cols {
		t.head[i] = d.layout(c.Title, c.W, t.size, false)
		n = max(n, t.head[i].height()/lh)
	}
	t.headH = n*lh + 2*cellPadY
	for _, r := range t.rows {
		d.layoutRow(t, r)
	}
}

func (d *doc) layoutRow(t *table, r *trow) {
	if r.kind == rowGroup {
		c := d.layout(r.subs[0][0], contentW, t.size, false)
		r.cells = [][]cell{{c}}
		r.subH = []float64{c.height() + 2*cellPadY}
		r.h = r.subH[0]
		return
	}
	if r.lead > 1 {
		r.cells = [][]cell{make([]cell, len(r.subs[0]))}
		h := lineH(t.size)
		for i, s := range r.subs[0] {
			c, w := t.cellCol(r, i)
			r.cells[0][i] = d.layout(s, w, t.size, c.Code && i > 0)
			h = max(h, r.cells[0][i].height())
		}
		r.subH = []float64{h + 2*cellPadY}
		r.h = r.subH[0]
		return
	}
	multi := len(r.subs) > 1
	r.cells = make([][]cell, len(r.subs))
	r.subH = make([]float64, len(r.subs))
	spanH, sum := 0.0, 0.0
	for s, sub := range r.subs {
		r.cells[s] = make([]cell, len(t.cols))
		h := lineH(t.size)
		for i, c := range t.cols {
			if c.Span && s > 0 || i >= len(sub) {
				continue
			}
			x := d.layout(sub[i], c.W, t.size, c.Code)
			r.cells[s][i] = x
			if multi && c.Span {
				spanH = max(spanH, x.height()+2*cellPadY)
				continue
			}
			h = max(h, x.height())
		}
		r.subH[s] = h + 2*cellPadY
		sum += r.subH[s]
	}
	if spanH > sum {
		r.subH[len(r.subH)-1] += spanH - sum
		sum = spanH
	}
	r.h = sum
}

// cellCol is the column of cell i of a leading-span row r, and the width
// the cell has (the spanned columns' for the first cell).
func (t *table) cellCol(r *trow, i int) (column, float64) {
	if i == 0 {
		w := 0.0
		for _, c := range t.cols[:r.lead] {
			w += c.W
		}
		return t.cols[0], w
	}
	c := t.cols[r.lead-1+i]
	return c, c.W
}

// keepNext reports whether row i must share a page with row i+1: a group
// row keeps with what it heads, and a subtotal or total never starts a
// page without the row above it.
func (t *table) keepNext(i int) bool {
	if i+1 >= len(t.rows) {
		return false
	}
	next := t.rows[i+1].kind
	return t.rows[i].kind == rowGroup || next == rowSub || next == rowTotal
}

// placeTable places the rows: each chain of rows that keep together goes
// whole onto the page where it fits, else onto a new page under the
// repeated header and the open group rows (marked （续）).
func (d *doc) placeTable(t *table) {
	var open []*trow // the group rows in force, by level
	contextH := func(before *trow) float64 {
		h := 0.0
		for _, g := range d.context(open, before) {
			h += g.h
		}
		return h
	}
	newPage := func(before *trow) {
		d.f.AddPage()
		d.drawHeader(t)
		for _, g := range d.context(open, before) {
			cont := *g
			cont.subs = [][]string{{g.subs[0][0] + "（续）"}}
			d.layoutRow(t, &cont)
			d.drawRow(t, &cont)
		}
	}
	capacity := bottomY - marginT - t.headH
	first := true
	for i := 0; i < len(t.rows); {
		j, h := i, t.rows[i].h
		for t.keepNext(j) && h+t.rows[j+1].h <= capacity-contextH(t.rows[i]) {
			j++
			h += t.rows[j].h
		}
		if first {
			d.reserve(t.headH + h)
			d.drawHeader(t)
			first = false
		} else if !d.fits(h) {
			newPage(t.rows[i])
		}
		for k := i; k <= j; k++ {
			r := t.rows[k]
			if !d.fits(r.h) { // a chain longer than a page: break between its rows
				newPage(r)
			}
			if !d.fits(r.h) { // a row taller than a page: break between its sub-rows
				d.drawSplit(t, r, func() { newPage(r) })
			} else {
				d.drawRow(t, r)
			}
			if r.kind == rowGroup {
				open = append(open[:min(r.level, len(open))], r)
			}
		}
		i = j + 1
	}
	if first { // an empty table still shows its header
		d.reserve(t.headH)
		d.drawHeader(t)
	}
}

// context is the open group rows to repeat above row before on a new page:
// all of them above a data row, those of outer levels above a group row.
func (d *doc) context(open []*trow, before *trow) []*trow {
	if before.kind == rowGroup {
		return open[:min(before.level, len(open))]
	}
	return open
}

func (d *doc) drawHeader(t *table) {
	f := d.f
	y := f.GetY()
	x := marginL
	lh := lineH(t.size)
	f.SetFillColor(222, 226, 232)
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.15)
	for i, c := range t.cols {
		f.Rect(x, y, c.W, t.headH, "FD")
		hc := t.head[i]
		top := y + (t.headH-hc.height())/2
		d.setSize(hc.size)
		d.bold(true)
		for j, l := range hc.lines {
			d.text(x, top+float64(j)*lh, c.W, lh, l, "C")
		}
		d.bold(false)
		f.SetDrawColor(120, 120, 120)
		f.SetLineWidth(0.15)
		x += c.W
	}
	f.SetY(y + t.headH)
}

func (d *doc) fill(kind rowKind) bool {
	f := d.f
	switch kind {
	case rowGroup:
		f.SetFillColor(241, 243, 246)
	case rowSub:
		f.SetFillColor(249, 249, 249)
	case rowTotal:
		f.SetFillColor(232, 232, 232)
	default:
		return false
	}
	return true
}

// drawRow draws a laid-out row at the current position.
func (d *doc) drawRow(t *table, r *trow) {
	d.drawSubs(t, r, 0, len(r.subs), true)
}

// drawSplit draws a row taller than a page, breaking between sub-rows
// (newPage starts the next page); the span cells print on the first part.
func (d *doc) drawSplit(t *table, r *trow, newPage func()) {
	from := 0
	for from < len(r.subs) {
		to, h := from, 0.0
		for to < len(r.subs) && d.fits(h+r.subH[to]) {
			h += r.subH[to]
			to++
		}
		if to == from { // not even one sub-row fits: take it anyway on a fresh page
			to = from + 1
		}
		d.drawSubs(t, r, from, to, from == 0)
		from = to
		if from < len(r.subs) {
			newPage()
		}
	}
}

// drawSubs draws sub-rows [from, to) of r; the span cells (from the first
// sub-row) cover them all when withSpan, else they are left empty.
func (d *doc) drawSubs(t *table, r *trow, from, to int, withSpan bool) {
	f := d.f
	y0 := f.GetY()
	style := "D"
	if d.fill(r.kind) {
		style = "FD"
	}
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.15)
	if r.kind == rowGroup {
		f.Rect(marginL, y0, contentW, r.h, style)
		d.bold(true)
		d.drawCell(r.cells[0][0], marginL, y0, contentW, "L")
		d.bold(false)
		f.SetY(y0 + r.h)
		return
	}
	if r.lead > 1 {
		x := marginL
		for i := range r.cells[0] {
			c, w := t.cellCol(r, i)
			f.SetDrawColor(120, 120, 120)
			f.SetLineWidth(0.15)
			f.Rect(x, y0, w, r.h, style)
			d.bold(r.kind == rowTotal)
			d.drawCell(r.cells[0][i], x, y0, w, c.Align)
			d.bold(false)
			x += w
		}
		f.SetY(y0 + r.h)
		return
	}
	total := 0.0
	for s := from; s < to; s++ {
		total += r.subH[s]
	}
	multi := len(r.subs) > 1
	x := marginL
	for i, c := range t.cols {
		if multi && c.Span {
			f.SetDrawColor(120, 120, 120)
			f.SetLineWidth(0.15)
			f.Rect(x, y0, c.W, total, style)
			if withSpan {
				d.bold(r.kind == rowTotal)
				d.drawCell(r.cells[0][i], x, y0, c.W, c.Align)
				d.bold(false)
			}
			x += c.W
			continue
		}
		y := y0
		for s := from; s < to; s++ {
			f.SetDrawColor(120, 120, 120)
			f.SetLineWidth(0.15)
			f.Rect(x, y, c.W, r.subH[s], style)
			d.bold(r.kind == rowTotal)
			d.drawCell(r.cells[s][i], x, y, c.W, c.Align)
			d.bold(false)
			y += r.subH[s]
		}
		x += c.W
	}
	f.SetY(y0 + total)
}

// drawCell writes a laid-out cell's lines from the top of its box.
func (d *doc) drawCell(c cell, x, y, w float64, align string) {
	d.drawCellAligned(c, x, y, w, align, lineH(c.size))
}

// drawCellAligned writes a laid-out cell's lines lh apart.
func (d *doc) drawCellAligned(c cell, x, y, w float64, align string, lh float64) {
	if len(c.lines) == 0 {
		return
	}
	d.setSize(c.size)
	inner := w - 2*cellPadX
	for j, l := range c.lines {
		if l == "" {
			continue
		}
		if d.width(l, c.size) > inner+0.05 {
			d.overflows = append(d.overflows, "wider than its cell: "+l)
		}
		d.text(x, y+cellPadY+float64(j)*lh, w, lh, l, align)
	}
}

// kv writes label/value pairs as a borderless two-per-row grid; values
// wrap in their half of the line.
func (d *doc) kv(pairs ...string) {
	lh := lineH(sizeBody) + 0.6
	labelW, valueW := 24.0, contentW/2-24.0
	for i := 0; i+1 < len(pairs); i += 4 {
		var vals [2]cell
		n := 1
		for k := 0; k < 2 && i+2*k+1 < len(pairs); k++ {
			vals[k] = d.layout(pairs[i+2*k+1], valueW, sizeBody, false)
			n = max(n, len(vals[k].lines))
		}
		h := float64(n) * lh
		d.reserve(h)
		d.ensure(h)
		y := d.f.GetY()
		for k := 0; k < 2 && i+2*k+1 < len(pairs); k++ {
			x := marginL + float64(k)*contentW/2
			d.setSize(sizeBody)
			d.f.SetTextColor(80, 80, 80)
			d.text(x, y, labelW, lh, pairs[i+2*k]+"：", "L")
			d.f.SetTextColor(0, 0, 0)
			d.setSize(vals[k].size)
			for j, l := range vals[k].lines {
				d.text(x+labelW, y+float64(j)*lh, valueW, lh, l, "L")
			}
		}
		d.f.SetY(y + h)
	}
}

// kvHeight is the height kv would take.
func (d *doc) kvHeight(pairs ...string) float64 {
	lh := lineH(sizeBody) + 0.6
	valueW := contentW/2 - 24.0
	h := 0.0
	for i := 0; i+1 < len(pairs); i += 4 {
		n := 1
		for k := 0; k < 2 && i+2*k+1 < len(pairs); k++ {
			n = max(n, len(d.layout(pairs[i+2*k+1], valueW, sizeBody, false).lines))
		}
		h += float64(n) * lh
	}
	return h
}
