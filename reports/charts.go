package reports

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Charts of the monthly and quarterly reports, drawn with gofpdf. Money
// is never computed here: the amounts are the report's own (sums of
// rounded lines); floating point only turns them into lengths on paper.

// palette colours the districts of a stacked chart, in code order.
var palette = [][3]int{
	{70, 110, 160}, {214, 120, 50}, {90, 160, 90}, {190, 70, 70}, {140, 110, 180}, {150, 110, 80},
	{220, 130, 180}, {120, 120, 120}, {180, 180, 60}, {60, 170, 190}, {40, 70, 120}, {230, 170, 90}, {100, 190, 140},
}

// series is one district's amounts, one per month (index 0: January).
type series struct {
	label  string
	months [12]decimal.Decimal
}

// length is frac × full for drawing, frac = v ÷ max (0 when max is 0).
func length(v, max decimal.Decimal, full float64) float64 {
	if !max.IsPositive() || !v.IsPositive() {
		return 0
	}
	f, _ := v.Div(max).Float64() // a length on paper, not money
	return f * full
}

// wan is an amount in 万元 with one decimal, for chart labels.
func wan(v decimal.Decimal) string {
	return v.Div(decimal.NewFromInt(10000)).StringFixed(1)
}

// monthlyBars draws the gross accrued per month as bars stacked by
// district, January to December (months after through are left empty),
// with each month's total in 万元 above its bar and a legend below. The
// chart and its title are kept on one page.
func (d *doc) monthlyBars(title string, ss []series, through int) {
	const plotH, axisW, legendRow = 58.0, 16.0, 5.0
	legendRows := (len(ss) + 3) / 4
	h := plotH + 14 + float64(legendRows)*legendRow + 4
	d.section(title)
	d.reserve(h)
	f := d.f
	x0, y0 := marginL+axisW, f.GetY()+6
	plotW := contentW - axisW
	var totals [12]decimal.Decimal
	max := decimal.Zero
	for m := 0; m < 12; m++ {
		for _, s := range ss {
			totals[m] = totals[m].Add(s.months[m])
		}
		if totals[m].GreaterThan(max) {
			max = totals[m]
		}
	}
	d.setSize(sizeSmall)
	for k := 0; k <= 4; k++ {
		y := y0 + plotH - plotH*float64(k)/4
		f.SetDrawColor(210, 210, 210)
		f.SetLineWidth(0.15)
		f.Line(x0, y, x0+plotW, y)
		tick := max.Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4))
		f.SetTextColor(110, 110, 110)
		d.text(marginL, y-2, axisW-1, 4, wan(tick), "R")
	}
	d.text(marginL-cellPadX, y0-5.5, 40, 4, "万元", "L")
	slot := plotW / 12
	barW := slot * 0.62
	for m := 0; m < 12; m++ {
		x := x0 + float64(m)*slot + (slot-barW)/2
		y := y0 + plotH
		if m < through {
			for i, s := range ss {
				hgt := length(s.months[m], max, plotH)
				if hgt <= 0 {
					continue
				}
				c := palette[i%len(palette)]
				f.SetFillColor(c[0], c[1], c[2])
				f.Rect(x, y-hgt, barW, hgt, "F")
				y -= hgt
			}
			f.SetTextColor(60, 60, 60)
			d.text(x-3, y-4, barW+6, 4, wan(totals[m]), "C")
		}
		f.SetTextColor(60, 60, 60)
		d.text(x0+float64(m)*slot, y0+plotH+0.5, slot, 4, fmt.Sprintf("%d 月", m+1), "C")
	}
	f.SetDrawColor(60, 60, 60)
	f.SetLineWidth(0.3)
	f.Line(x0, y0+plotH, x0+plotW, y0+plotH)
	f.Line(x0, y0, x0, y0+plotH)
	ly := y0 + plotH + 7
	for i, s := range ss {
		x := marginL + float64(i%4)*contentW/4
		y := ly + float64(i/4)*legendRow
		c := palette[i%len(palette)]
		f.SetFillColor(c[0], c[1], c[2])
		f.Rect(x, y+0.8, 3, 3, "F")
		f.SetTextColor(0, 0, 0)
		d.text(x+3.5, y, contentW/4-4, 4.5, s.label, "L")
	}
	f.SetTextColor(0, 0, 0)
	f.SetY(ly + float64(legendRows)*legendRow + 2)
}

// budgetBar is one district's budget, accrued to date and forecast.
type budgetBar struct {
	label                     string
	budget, accrued, forecast decimal.Decimal
	// over: one of the district's budgets is forecast to be exceeded (a
	// department's may be while the district's sum is not), as the
	// portal's chart and the over_budget findings say.
	over bool
}

// budgetBars draws, per district, its budget (grey) above its forecast
// to the year's end (blue, red when one of its budgets is exceeded), the part accrued
// to date darker, with the figures beside them. The chart and its title
// are kept on one page.
func (d *doc) budgetBars(title string, bars []budgetBar) {
	const labelW, valueW, barH, step = 30.0, 44.0, 3.2, 9.5
	plotW := contentW - labelW - valueW
	h := float64(len(bars))*step + 14
	d.section(title)
	d.reserve(h)
	f := d.f
	x0, y0 := marginL+labelW, f.GetY()+2
	max := decimal.Zero
	for _, b := range bars {
		for _, v := range []decimal.Decimal{b.budget, b.forecast} {
			if v.GreaterThan(max) {
				max = v
			}
		}
	}
	for i, b := range bars {
		y := y0 + float64(i)*step
		d.setSize(sizeTable)
		f.SetTextColor(0, 0, 0)
		d.text(marginL, y, labelW-1, 2*barH+0.6, b.label, "R")
		f.SetFillColor(170, 170, 170)
		f.Rect(x0, y, length(b.budget, max, plotW), barH, "F")
		if b.over {
			f.SetFillColor(220, 120, 120)
		} else {
			f.SetFillColor(140, 170, 210)
		}
		f.Rect(x0, y+barH+0.6, length(b.forecast, max, plotW), barH, "F")
		f.SetFillColor(40, 80, 140)
		f.Rect(x0, y+barH+0.6, length(b.accrued, max, plotW), barH, "F")
		d.setSize(sizeSmall)
		f.SetTextColor(60, 60, 60)
		d.text(x0+plotW+1, y-0.4, valueW-1, barH+0.8, "预算 "+money(b.budget), "R")
		d.text(x0+plotW+1, y+barH+0.2, valueW-1, barH+0.8, "预测 "+money(b.forecast), "R")
	}
	f.SetDrawColor(60, 60, 60)
	f.SetLineWidth(0.3)
	f.Line(x0, y0-1, x0, y0+float64(len(bars))*step-2)
	ly := y0 + float64(len(bars))*step + 1
	d.setSize(sizeSmall)
	for i, l := range []struct {
		c    [3]int
		text string
	}{{[3]int{170, 170, 170}, "预算"}, {[3]int{40, 80, 140}, "累计计提"}, {[3]int{140, 170, 210}, "全年预测（未超预算）"}, {[3]int{220, 120, 120}, "全年预测（有预算超支）"}} {
		x := marginL + labelW + float64(i)*36
		f.SetFillColor(l.c[0], l.c[1], l.c[2])
		f.Rect(x, ly+0.8, 3, 3, "F")
		f.SetTextColor(0, 0, 0)
		d.text(x+3.5, ly, 32, 4.5, l.text, "L")
	}
	f.SetTextColor(0, 0, 0)
	f.SetY(ly + 8)
}
