package web

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/app"
)

// Pictures drawn on the server as inline SVG: no script, nothing loaded,
// printable. Each has a title and a description for screen readers; the
// figures it shows are in a table beside it.

// bar is one bar of a chart: a label, a value and the page it links to.
type bar struct {
	Label string
	Value decimal.Decimal
	Href  string
}

// barChart draws horizontal bars of values, each labelled with its value
// and, when total is positive, its share of total.
func barChart(title string, bars []bar, total decimal.Decimal) template.HTML {
	const labelW, barW, valueW, rowH = 170, 420, 190, 26
	h := rowH*len(bars) + 10
	var b strings.Builder
	id := fmt.Sprintf("chart-%x", len(title)*7919+len(bars))
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t"><title id="%s-t">%s</title>`,
		labelW+barW+valueW, h, id, id, html.EscapeString(title))
	max := decimal.Zero
	for _, br := range bars {
		if br.Value.GreaterThan(max) {
			max = br.Value
		}
	}
	for i, br := range bars {
		y := 5 + i*rowH
		w := 0.0
		if max.IsPositive() {
			w, _ = br.Value.Div(max).Mul(decimal.NewFromInt(barW - 10)).Float64() // drawing only: never a figure
		}
		label := html.EscapeString(br.Label)
		value := money(br.Value)
		if total.IsPositive() {
			value += fmt.Sprintf("（%s%%）", br.Value.Div(total).Mul(decimal.NewFromInt(100)).StringFixed(1))
		}
		open, shut := "", ""
		if br.Href != "" {
			open, shut = fmt.Sprintf(`<a href="%s">`, html.EscapeString(br.Href)), `</a>`
		}
		fmt.Fprintf(&b, `%s<text x="%d" y="%d" class="chart-label" text-anchor="end">%s</text>%s`, open, labelW-8, y+17, label, shut)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" class="chart-bar"/>`, labelW, y+4, w, rowH-8)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value">%s</text>`, labelW+int(w)+6, y+17, html.EscapeString(value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// usageChart draws a line's metered quantity per day against its approved
// quantity, over the year.
func usageChart(title string, days []app.LineDay) template.HTML {
	const w, h, left, top, bottom = 760, 220, 56, 14, 28
	plotW, plotH := float64(w-left-10), float64(h-top-bottom)
	max := decimal.Zero
	for _, d := range days {
		for _, q := range []decimal.NullDecimal{d.Metered, d.Approved} {
			if q.Valid && q.Decimal.GreaterThan(max) {
				max = q.Decimal
			}
		}
	}
	if !max.IsPositive() {
		max = decimal.NewFromInt(1)
	}
	x := func(i int) float64 { return float64(left) + plotW*float64(i)/float64(max1(len(days)-1)) }
	// A year is 732 points: each quantity's height is computed once per
	// run of equal quantities (decimal division is costly), drawing only.
	var last decimal.Decimal
	var lastY float64
	have := false
	y := func(q decimal.Decimal) float64 {
		if have && q.Equal(last) {
			return lastY
		}
		f, _ := q.Div(max).Float64() // drawing only
		last, lastY, have = q, float64(top)+plotH*(1-f), true
		return lastY
	}
	path := func(pick func(app.LineDay) decimal.NullDecimal, step bool) string {
		p := make([]byte, 0, len(days)*16)
		pen := false
		for i, d := range days {
			q := pick(d)
			if !q.Valid {
				pen = false
				continue
			}
			switch {
			case !pen:
				p = append(p, 'M')
				p = strconv.AppendFloat(p, x(i), 'f', 1, 64)
				p = append(p, ' ')
				pen = true
			case step:
				p = append(p, 'H')
				p = strconv.AppendFloat(p, x(i), 'f', 1, 64)
				p = append(p, " V"...)
			default:
				p = append(p, 'L')
				p = strconv.AppendFloat(p, x(i), 'f', 1, 64)
				p = append(p, ' ')
			}
			p = strconv.AppendFloat(p, y(q.Decimal), 'f', 1, 64)
		}
		return string(p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="usage-t usage-d"><title id="usage-t">%s</title><desc id="usage-d">实线为每日计量用量，虚线为批复用量；纵轴最大值 %s。</desc>`,
		w, h, html.EscapeString(title), html.EscapeString(number(max)))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="chart-axis"/>`, left, top+int(plotH), w-10, top+int(plotH))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="chart-axis"/>`, left, top, left, top+int(plotH))
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-label" text-anchor="end">%s</text>`, left-6, top+5, html.EscapeString(number(max)))
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-label" text-anchor="end">0</text>`, left-6, top+int(plotH)+4)
	for m := 0; m < 12; m++ {
		for i, d := range days {
			if int(d.Day.Month()) == m+1 && d.Day.Day() == 1 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="chart-label">%d月</text>`, x(i), h-8, m+1)
				break
			}
		}
	}
	fmt.Fprintf(&b, `<path d="%s" class="chart-approved"/>`, path(func(d app.LineDay) decimal.NullDecimal { return d.Approved }, true))
	fmt.Fprintf(&b, `<path d="%s" class="chart-metered"/>`, path(func(d app.LineDay) decimal.NullDecimal { return d.Metered }, false))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
