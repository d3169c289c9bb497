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

// chartColours fill the districts of a stacked chart, in code order
// (presentation attributes: the CSP allows no inline style).
var chartColours = []string{"#2f6b9a", "#c76a1e", "#4f8f4f", "#a83c3c", "#7d63a6", "#8a6543",
	"#c25c93", "#6b6b6b", "#8f8f1f", "#2b8fa3", "#1f3f6b", "#b8862e", "#3f9f73"}

// monthSeries is one district's gross per month (index 0: January).
type monthSeries struct {
	Label  string
	Months [12]decimal.Decimal
	Href   string
	Colour int
}

// monthlyChart draws each month's gross as a bar stacked by series,
// January to December (months after through are left empty), with the
// month's total in 万元 above its bar and a legend below; every segment
// names its district, month and amount (its title, for a pointer and a
// screen reader).
func monthlyChart(title string, ss []monthSeries, through int) template.HTML {
	const w, left, top, plotH, right = 760, 64, 26, 200, 10
	legendRows := (len(ss) + 3) / 4
	h := top + plotH + 30 + legendRows*22
	plotW := float64(w - left - right)
	var totals [12]decimal.Decimal
	max := decimal.Zero
	for m := 0; m < 12; m++ {
		for _, s := range ss {
			totals[m] = totals[m].Add(s.Months[m])
		}
		if totals[m].GreaterThan(max) {
			max = totals[m]
		}
	}
	height := func(v decimal.Decimal) float64 {
		if !max.IsPositive() || !v.IsPositive() {
			return 0
		}
		f, _ := v.Div(max).Float64() // drawing only: never a figure
		return f * plotH
	}
	// Labels in 万元 with one decimal, or in 元 when the largest month is
	// under 10 万元 (drawing only: the table holds the figures).
	unit, scale, places := "万元", decimal.NewFromInt(10000), int32(1)
	if max.LessThan(decimal.NewFromInt(100000)) {
		unit, scale, places = "元", decimal.NewFromInt(1), 0
	}
	wan := func(v decimal.Decimal) string { return group(v.Div(scale).StringFixed(places)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="months-t months-d"><title id="months-t">%s</title><desc id="months-d">每月一柱，按县区分段堆叠；柱顶为当月合计，下表列出各月金额（元）。</desc>`,
		w, h, html.EscapeString(title))
	base := float64(top + plotH)
	for k := 0; k <= 4; k++ {
		y := base - plotH*float64(k)/4
		tick := max.Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="chart-axis" stroke-opacity="0.25"/>`, left, y, w-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="chart-label" text-anchor="end">%s</text>`, left-6, y+4, html.EscapeString(wan(tick)))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-label" text-anchor="end">%s</text>`, left-6, top-12, unit)
	slot := plotW / 12
	barW := slot * 0.62
	for m := 0; m < 12; m++ {
		x := float64(left) + float64(m)*slot + (slot-barW)/2
		y := base
		if m < through {
			for _, s := range ss {
				hg := height(s.Months[m])
				if hg <= 0 {
					continue
				}
				y -= hg
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %d 月：%s 元</title></rect>`,
					x, y, barW, hg, chartColours[s.Colour%len(chartColours)], html.EscapeString(s.Label), m+1, html.EscapeString(money(s.Months[m])))
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="chart-value" text-anchor="middle">%s</text>`, x+barW/2, y-4, html.EscapeString(wan(totals[m])))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="chart-label" text-anchor="middle">%d月</text>`, x+barW/2, base+18, m+1)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="chart-axis"/>`, left, base, w-right, base)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" class="chart-axis"/>`, left, top, left, base)
	ly := base + 34
	for i, s := range ss {
		x := float64(left) + float64(i%4)*plotW/4
		y := ly + float64(i/4)*22
		open, shut := "", ""
		if s.Href != "" {
			open, shut = fmt.Sprintf(`<a href="%s">`, html.EscapeString(s.Href)), `</a>`
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>%s<text x="%.1f" y="%.1f" class="chart-label">%s</text>%s`,
			x, y-11, chartColours[s.Colour%len(chartColours)], open, x+17, y, html.EscapeString(s.Label), shut)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// budgetBar is one district's budget, accrued to date and year-end
// forecast of what its budgets cover.
type budgetBar struct {
	Label                     string
	Budget, Accrued, Forecast decimal.Decimal
	Over                      bool // a budget of the district is forecast over (its sum may not be)
	Href                      string
}

// budgetChart draws per district its budget (grey) above its forecast to
// the year's end (blue, red when a budget of it is forecast over), the
// part accrued to date darker, with both figures at the right. Each row
// is drawn to its own scale, the larger of its budget and forecast
// filling the row: the districts' budgets differ a hundredfold, and what
// a row shows is how far its forecast is from its budget.
func budgetChart(title string, bars []budgetBar) template.HTML {
	const labelW, plotW, valueW, barH, rowH, top = 150, 360, 250, 11, 34, 8
	w := labelW + plotW + valueW
	h := top + rowH*len(bars) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="budget-t budget-d"><title id="budget-t">%s</title><desc id="budget-d">每个县区两条：上为预算（灰），下为全年预测（蓝，有预算超支的为红），其中深色部分为累计计提；每行按本县区预算与预测中较大者满格。</desc>`,
		w, h, html.EscapeString(title))
	for i, br := range bars {
		max := decimal.Max(br.Budget, br.Forecast)
		length := func(v decimal.Decimal) float64 {
			if !max.IsPositive() || !v.IsPositive() {
				return 0
			}
			f, _ := v.Div(max).Float64() // drawing only: never a figure
			return f * (plotW - 10)
		}
		y := top + i*rowH
		open, shut := "", ""
		if br.Href != "" {
			open, shut = fmt.Sprintf(`<a href="%s">`, html.EscapeString(br.Href)), `</a>`
		}
		fill := "#8fb0d6"
		if br.Over {
			fill = "#d97a7a"
		}
		fmt.Fprintf(&b, `%s<text x="%d" y="%d" class="chart-label" text-anchor="end">%s</text>%s`, open, labelW-8, y+barH+5, html.EscapeString(br.Label), shut)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#a9a9a9"><title>%s 预算 %s 元</title></rect>`, labelW, y, length(br.Budget), barH, html.EscapeString(br.Label), money(br.Budget))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s 全年预测 %s 元</title></rect>`, labelW, y+barH+2, length(br.Forecast), barH, fill, html.EscapeString(br.Label), money(br.Forecast))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#1f3f6b"><title>%s 累计计提 %s 元</title></rect>`, labelW, y+barH+2, length(br.Accrued), barH, html.EscapeString(br.Label), money(br.Accrued))
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value">预算 %s</text>`, labelW+plotW, y+barH-1, html.EscapeString(money(br.Budget)))
		over := ""
		if br.Over {
			over = "（超支）"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value">预测 %s%s</text>`, labelW+plotW, y+2*barH+1, html.EscapeString(money(br.Forecast)), over)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="chart-axis"/>`, labelW, top-2, labelW, top+rowH*len(bars)-6)
	ly := top + rowH*len(bars) + 12
	for i, l := range []struct{ fill, text string }{{"#a9a9a9", "预算"}, {"#1f3f6b", "累计计提"}, {"#8fb0d6", "全年预测"}, {"#d97a7a", "全年预测（有预算超支）"}} {
		x := labelW + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" class="chart-label">%s</text>`, x, ly-1, l.fill, x+17, ly+10, l.text)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
