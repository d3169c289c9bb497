package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// pathYear reads the {year} of the path; a bad one is ErrNotFound.
func pathYear(q *request) (int, error) {
	y, err := strconv.Atoi(q.r.PathValue("year"))
	if err != nil || app.ValidateYear(y) != nil {
		return 0, fmt.Errorf("year %q: %w", q.r.PathValue("year"), app.ErrNotFound)
	}
	return y, nil
}

// statement resolves the page's year and ?version= (default: the latest
// issued version, else the latest draft) and reads that version's head
// and the names of the codes.
func (s *Server) statement(q *request, v *view) (*billing.Statement, store.Names, error) {
	sv, names, err := s.version(q, v)
	if err != nil {
		return nil, store.Names{}, err
	}
	st, err := s.heads.head(q.r.Context(), s.app, sv)
	if err != nil {
		return nil, store.Names{}, err
	}
	return st, names, nil
}

// version resolves the page's year and ?version= as statement does, and
// reads the names of the codes, but not the version's head.
func (s *Server) version(q *request, v *view) (store.StatementVersion, store.Names, error) {
	sv, err := s.resolve(q, v)
	if err != nil {
		return sv, store.Names{}, err
	}
	names, err := s.app.Names(q.r.Context())
	if err != nil {
		return sv, store.Names{}, err
	}
	return sv, names, nil
}

// resolve resolves the page's year and ?version= (default: the latest
// issued version, else the latest draft) and sets the view's version: all
// the pages of one line need (their line carries its names).
func (s *Server) resolve(q *request, v *view) (store.StatementVersion, error) {
	year, err := pathYear(q)
	if err != nil {
		return store.StatementVersion{}, err
	}
	version := 0
	if vs := q.r.URL.Query().Get("version"); vs != "" {
		if version, err = strconv.Atoi(vs); err != nil || version <= 0 {
			return store.StatementVersion{}, fmt.Errorf("version %q: %w", vs, app.ErrNotFound)
		}
	}
	sv, all, err := s.app.StatementVersion(q.r.Context(), app.VersionInput{Year: year, Version: version})
	if err != nil {
		return store.StatementVersion{}, err
	}
	v.Year, v.HasV, v.V, v.Versions, v.Path, v.Scope = year, true, sv, all, q.r.URL.Path, q.scope
	return sv, nil
}

// fileLink is a document the user may download.
type fileLink struct{ Name, Href, Label string }

func (s *Server) fileLinks(v *view, names ...[2]string) []fileLink {
	var out []fileLink
	for _, n := range names {
		if v.Scope.File(v.Year, n[0]) {
			out = append(out, fileLink{Name: n[0], Label: n[1], Href: fmt.Sprintf("/statements/%d/files/%s%s", v.Year, url.PathEscape(n[0]), v.VQ())})
		}
	}
	return out
}

type homeYear struct {
	Year  int
	Links []link
}

// home lists, per year with a statement, the pages the user may open.
func (s *Server) home(q *request) error {
	years, err := s.app.DB.StatementYears(q.r.Context())
	if err != nil {
		return err
	}
	v := &view{Title: "政务云费用结算审阅", Path: "/"}
	var out []homeYear
	for _, y := range years {
		yv := &view{Scope: q.scope, User: q.sess.User, Year: y, Path: "/"}
		yv.nav()
		hy := homeYear{Year: y}
		for _, l := range yv.Nav {
			if l.Href != "/" && l.Href[0:7] != "/office" {
				hy.Links = append(hy.Links, l)
			}
		}
		out = append(out, hy)
	}
	if len(years) > 0 {
		v.Year = years[0]
	}
	v.Data = out
	s.render(q, 200, "home", v)
	return nil
}

type departmentRow struct {
	billing.DepartmentRow
	DistrictName, DepartmentName, ProviderName string
}

type providerRow struct {
	Code, Name    string
	Gross, Net    decimal.Decimal
	Coefficient   decimal.Decimal
	Annual        decimal.Decimal
	HasEvaluation bool
	Departments   int
}

type districtRow struct {
	billing.DistrictRow
	Name string
}

type cityData struct {
	St          *billing.Statement
	Districts   []districtRow
	Departments []departmentRow
	Providers   []providerRow
	ShareChart  template.HTML
	IdleChart   template.HTML
	IdleTotal   decimal.Decimal
	Files       []fileLink
}

func deptRows(st *billing.Statement, names store.Names, keep func(billing.DepartmentRow) bool) []departmentRow {
	var out []departmentRow
	for _, d := range st.Departments {
		if keep(d) {
			out = append(out, departmentRow{DepartmentRow: d, DistrictName: names.Districts[d.DistrictCode],
				DepartmentName: names.Departments[d.DepartmentCode].Name, ProviderName: names.Providers[d.ProviderCode]})
		}
	}
	return out
}

func providerRows(st *billing.Statement, names store.Names, deps []billing.DepartmentRow) []providerRow {
	by := map[string]*providerRow{}
	var codes []string
	for _, d := range deps {
		p := by[d.ProviderCode]
		if p == nil {
			p = &providerRow{Code: d.ProviderCode, Name: names.Providers[d.ProviderCode], Coefficient: d.Coefficient}
			by[d.ProviderCode] = p
			codes = append(codes, d.ProviderCode)
		}
		p.Gross, p.Net, p.Departments = p.Gross.Add(d.Gross), p.Net.Add(d.Net), p.Departments+1
	}
	for _, e := range st.Providers {
		if p := by[e.ProviderCode]; p != nil {
			p.Annual, p.HasEvaluation = e.Annual, true
		}
	}
	sort.Strings(codes)
	out := make([]providerRow, len(codes))
	for i, c := range codes {
		out[i] = *by[c]
	}
	return out
}

// city is /statements/Y: the city's total by district, department and
// provider, with the coefficients.
func (s *Server) city(q *request) error {
	if !q.scope.City() {
		return app.ErrNotFound
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	d := cityData{St: st}
	var bars []bar
	for _, r := range st.Districts {
		d.Districts = append(d.Districts, districtRow{DistrictRow: r, Name: names.Districts[r.DistrictCode]})
		bars = append(bars, bar{Label: names.Districts[r.DistrictCode], Value: r.Net, Href: fmt.Sprintf("/statements/%d/districts/%s%s", st.Year, url.PathEscape(r.DistrictCode), v.VQ())})
	}
	d.ShareChart = barChart("各县区应付金额及占比", bars, st.Net)
	d.Departments = deptRows(st, names, func(billing.DepartmentRow) bool { return true })
	d.Providers = providerRows(st, names, st.Departments)
	fs, _, err := s.app.Findings(q.r.Context(), st.Year, q.scope.FindingFilter())
	if err != nil {
		return err
	}
	idle := map[string]decimal.Decimal{}
	for _, f := range fs {
		if f.Kind == evaluation.FindingIdle {
			idle[f.DistrictCode] = idle[f.DistrictCode].Add(f.Amount)
			d.IdleTotal = d.IdleTotal.Add(f.Amount)
		}
	}
	var ibars []bar
	for _, r := range st.Districts {
		ibars = append(ibars, bar{Label: names.Districts[r.DistrictCode], Value: idle[r.DistrictCode],
			Href: fmt.Sprintf("/findings/%d%s&district=%s", st.Year, v.VQ(), url.QueryEscape(r.DistrictCode))})
	}
	d.IdleChart = barChart("各县区闲置资源金额", ibars, d.IdleTotal)
	y := strconv.Itoa(st.Year)
	d.Files = s.fileLinks(v, [2]string{"statement-" + y + ".pdf", "年度结算单（PDF）"}, [2]string{"idle-" + y + ".pdf", "资源使用评估报告（PDF）"},
		[2]string{"evaluation-" + y + ".pdf", "考核评价报告（PDF）"}, [2]string{"cloudbill-" + y + ".xlsx", "全部表格（XLSX）"},
		[2]string{"settlement-" + y + ".csv", "结算明细（CSV，指纹文件）"}, [2]string{"departments-" + y + ".csv", "部门汇总（CSV）"},
		[2]string{"sla-" + y + ".csv", "时限考核（CSV）"}, [2]string{"findings-" + y + ".csv", "评估发现（CSV）"})
	v.Title = fmt.Sprintf("%d 年度全市结算", st.Year)
	v.Crumbs = []link{{Label: "全市"}}
	v.Data = d
	s.render(q, 200, "city", v)
	return nil
}

type districtData struct {
	Code, Name  string
	Row         billing.DistrictRow
	Departments []departmentRow
	Rows        template.HTML // the rows of Departments (districtRows)
	Chart       template.HTML
	Files       []fileLink
	Findings    int
	IdleAmount  decimal.Decimal
}

// districtRows draws the district's department rows, each linking to the
// department's page. Written here, not in the template: the 市本级 has
// some sixty rows, and the template's reflective calls (a link, three
// figures and seven escapers a row) were most of its page's time. The
// HTML is what the template wrote, escaped as html/template escapes.
func districtRows(rows []departmentRow, year int, vq string) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 400)
	for _, r := range rows {
		h := escapeHTML(fmt.Sprintf("/statements/%d/departments/%s%s", year, url.PathEscape(r.DepartmentCode), vq))
		b.WriteString("\n<tr><td>")
		b.WriteString(escapeHTML(r.DepartmentCode))
		b.WriteString(`</td><td><a href="`)
		b.WriteString(h)
		b.WriteString(`">`)
		b.WriteString(escapeHTML(r.DepartmentName))
		b.WriteString(`</a></td><td>`)
		b.WriteString(escapeHTML(r.ProviderName))
		b.WriteString(`</td><td class="num" data-v="gross"><a href="`)
		b.WriteString(h)
		b.WriteString(`">`)
		b.WriteString(escapeHTML(money(r.Gross)))
		b.WriteString(`</a></td><td class="num">`)
		b.WriteString(escapeHTML(number(r.Coefficient)))
		b.WriteString(`</td><td class="num" data-v="net"><a href="`)
		b.WriteString(h)
		b.WriteString(`">`)
		b.WriteString(escapeHTML(money(r.Net)))
		b.WriteString(`</a></td></tr>`)
	}
	return template.HTML(b.String())
}

// district is /statements/Y/districts/CODE: the district's department
// rows (department × provider) adding up to its total.
func (s *Server) district(q *request) error {
	code := q.r.PathValue("code")
	if !q.scope.DistrictPage(code) {
		return app.ErrNotFound
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(st.Districts, func(r billing.DistrictRow) bool { return r.DistrictCode == code })
	if i < 0 {
		return fmt.Errorf("district %s in %d v%d: %w", code, st.Year, st.Version, app.ErrNotFound)
	}
	d := districtData{Code: code, Name: names.Districts[code], Row: st.Districts[i]}
	d.Departments = deptRows(st, names, func(r billing.DepartmentRow) bool {
		return r.DistrictCode == code && q.scope.Allows(r.DistrictCode, r.DepartmentCode, r.ProviderCode)
	})
	by := map[string]decimal.Decimal{}
	var order []string
	for _, r := range d.Departments {
		if _, ok := by[r.DepartmentCode]; !ok {
			order = append(order, r.DepartmentCode)
		}
		by[r.DepartmentCode] = by[r.DepartmentCode].Add(r.Net)
	}
	var bars []bar
	for _, c := range order {
		bars = append(bars, bar{Label: names.Departments[c].Name, Value: by[c], Href: fmt.Sprintf("/statements/%d/departments/%s%s", st.Year, url.PathEscape(c), v.VQ())})
	}
	d.Chart = barChart("各部门应付金额及占比", bars, d.Row.Net)
	d.Rows = districtRows(d.Departments, st.Year, v.VQ())
	ft, err := s.app.FindingTotals(q.r.Context(), st.Year, store.FindingFilter{DistrictCode: code}, evaluation.FindingIdle)
	if err != nil {
		return err
	}
	d.Findings, d.IdleAmount = ft.Count, ft.Amount[evaluation.FindingIdle]
	d.Files = s.fileLinks(v, [2]string{fmt.Sprintf("district-%d-%s.pdf", st.Year, code), "县区结算单（PDF）"})
	v.Title = fmt.Sprintf("%d 年度 %s 结算", st.Year, d.Name)
	v.Crumbs = s.crumbs(q, v, code, "", "")
	v.Data = d
	s.render(q, 200, "district", v)
	return nil
}

// crumbs is the breadcrumb trail down to a district, department, line.
func (s *Server) crumbs(q *request, v *view, district, department, line string) []link {
	var out []link
	if q.scope.City() {
		out = append(out, link{Href: fmt.Sprintf("/statements/%d%s", v.Year, v.VQ()), Label: "全市"})
	}
	if district != "" && q.scope.DistrictPage(district) {
		out = append(out, link{Href: fmt.Sprintf("/statements/%d/districts/%s%s", v.Year, url.PathEscape(district), v.VQ()), Label: "县区 " + district})
	}
	switch {
	case department != "" && q.scope.DepartmentPage(department, district):
		out = append(out, link{Href: fmt.Sprintf("/statements/%d/departments/%s%s", v.Year, url.PathEscape(department), v.VQ()), Label: "部门 " + department})
	case department != "" && q.scope.Provider != "":
		out = append(out, link{Href: fmt.Sprintf("/statements/%d/providers/%s%s&department=%s", v.Year, url.PathEscape(q.scope.Provider), v.VQ(), url.QueryEscape(department)), Label: "部门 " + department})
	}
	if line != "" {
		out = append(out, link{Label: line})
	}
	if len(out) > 0 {
		out[len(out)-1].Href = ""
	}
	return out
}

type lineGroup struct {
	ProviderCode, ProviderName string
	Lines                      []store.PortalLine
	Row                        billing.DepartmentRow
}

type departmentData struct {
	Code, Name, DistrictCode, DistrictName string
	Groups                                 []lineGroup
	Gross, Net                             decimal.Decimal
	Items                                  map[string]billing.PriceVersion
	Findings                               int
}

// department is /statements/Y/departments/CODE: the department's lines,
// per provider, adding up to its department rows.
func (s *Server) department(q *request) error {
	code := q.r.PathValue("code")
	if !q.scope.DepartmentPage(code, "") && q.scope.District == "" {
		return app.ErrNotFound // neither the department nor a district account
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	dep, ok := names.Departments[code]
	if !ok || !q.scope.DepartmentPage(code, dep.DistrictCode) {
		return fmt.Errorf("department %s: %w", code, app.ErrNotFound)
	}
	items, err := s.app.Items(q.r.Context())
	if err != nil {
		return err
	}
	d := departmentData{Code: code, Name: dep.Name, DistrictCode: dep.DistrictCode, DistrictName: names.Districts[dep.DistrictCode], Items: items}
	for _, r := range st.Departments {
		if r.DepartmentCode == code && q.scope.Allows(r.DistrictCode, r.DepartmentCode, r.ProviderCode) {
			d.Groups = append(d.Groups, lineGroup{ProviderCode: r.ProviderCode, ProviderName: names.Providers[r.ProviderCode], Row: r})
			d.Gross, d.Net = d.Gross.Add(r.Gross), d.Net.Add(r.Net)
		}
	}
	if len(d.Groups) == 0 {
		return fmt.Errorf("department %s in %d v%d: %w", code, st.Year, st.Version, app.ErrNotFound)
	}
	lines, err := s.app.Lines(q.r.Context(), st.Year, st.Version, store.LineFilter{DepartmentCode: code})
	if err != nil {
		return err
	}
	for _, l := range lines {
		if !q.scope.Allows(l.DistrictCode, l.DepartmentCode, l.ProviderCode) {
			continue
		}
		for i := range d.Groups {
			if d.Groups[i].ProviderCode == l.ProviderCode {
				d.Groups[i].Lines = append(d.Groups[i].Lines, l)
			}
		}
	}
	ft, err := s.app.FindingTotals(q.r.Context(), st.Year, store.FindingFilter{DepartmentCode: code})
	if err != nil {
		return err
	}
	d.Findings = ft.Count
	v.Title = fmt.Sprintf("%d 年度 %s 结算明细", st.Year, d.Name)
	v.Crumbs = s.crumbs(q, v, dep.DistrictCode, code, "")
	v.Data = d
	s.render(q, 200, "department", v)
	return nil
}

type providerData struct {
	Code, Name     string
	Departments    []departmentRow
	Gross, Net     decimal.Decimal
	Evaluation     *billing.ProviderEvaluation
	Department     string // the department whose lines are listed ("" for none)
	DepartmentName string
	Lines          []store.PortalLine
	LinesGross     decimal.Decimal // the stored department row's gross
	Items          map[string]billing.PriceVersion
	Files          []fileLink
}

// provider is /statements/Y/providers/CODE: the provider's department
// rows, and with ?department=D the provider's lines of that department.
func (s *Server) provider(q *request) error {
	code := q.r.PathValue("code")
	if !q.scope.ProviderPage(code) {
		return app.ErrNotFound
	}
	v := &view{}
	st, names, err := s.statement(q, v)
	if err != nil {
		return err
	}
	if _, ok := names.Providers[code]; !ok {
		return fmt.Errorf("provider %s: %w", code, app.ErrNotFound)
	}
	items, err := s.app.Items(q.r.Context())
	if err != nil {
		return err
	}
	d := providerData{Code: code, Name: names.Providers[code], Items: items}
	d.Departments = deptRows(st, names, func(r billing.DepartmentRow) bool {
		return r.ProviderCode == code && q.scope.Allows(r.DistrictCode, r.DepartmentCode, r.ProviderCode)
	})
	for _, r := range d.Departments {
		d.Gross, d.Net = d.Gross.Add(r.Gross), d.Net.Add(r.Net)
	}
	for i, e := range st.Providers {
		if e.ProviderCode == code {
			d.Evaluation = &st.Providers[i]
		}
	}
	if dep := q.r.URL.Query().Get("department"); dep != "" {
		i := slices.IndexFunc(d.Departments, func(r departmentRow) bool { return r.DepartmentCode == dep })
		if i < 0 {
			return fmt.Errorf("provider %s department %s: %w", code, dep, app.ErrNotFound)
		}
		d.Department, d.DepartmentName, d.LinesGross = dep, d.Departments[i].DepartmentName, d.Departments[i].Gross
		lines, err := s.app.Lines(q.r.Context(), st.Year, st.Version, store.LineFilter{ProviderCode: code, DepartmentCode: dep})
		if err != nil {
			return err
		}
		for _, l := range lines {
			if q.scope.Allows(l.DistrictCode, l.DepartmentCode, l.ProviderCode) {
				d.Lines = append(d.Lines, l)
			}
		}
	}
	d.Files = s.fileLinks(v, [2]string{app.ProviderCSVName(st.Year, code), "本服务商结算明细（CSV，对账用）"})
	v.Title = fmt.Sprintf("%d 年度 %s 结算", st.Year, d.Name)
	v.Data = d
	s.render(q, 200, "provider", v)
	return nil
}

type monthSum struct {
	Month        int
	BillableDays int
	QuantityDays decimal.Decimal
	Days         []app.LineDay
	Lead         []int // blank cells before the 1st (Monday first)
}

// decText is the escaped text of a quantity (nullDec), remembered for the
// next days while they have the same quantity.
type decText struct {
	d    decimal.NullDecimal
	s    string
	have bool
}

func (t *decText) text(d decimal.NullDecimal) string {
	if !t.have || d.Valid != t.d.Valid || d.Valid && !d.Decimal.Equal(t.d.Decimal) {
		t.d, t.s, t.have = d, escapeHTML(nullDec(d)), true
	}
	return t.s
}

// calendar draws a line's calendar: a table per month, its days linked
// to their pages, each with its metered / approved quantity, a row per
// week (Monday first). Written here, not in the template: a year is 366
// cells, and the template evaluated a dozen reflective method calls and
// escapers for each (the line page's largest cost). The HTML is what the
// template wrote, escaped as html/template escapes (escapeHTML); the links
// are paths built from url.PathEscape'd parts.
func calendar(year int, months []monthSum, dayBase, vq string) template.HTML {
	var b strings.Builder
	b.Grow(len(months) * 4500)
	var metered, approved decText
	base, vq := escapeHTML(dayBase), escapeHTML(vq) // a date needs no escaping
	yyyy := fmt.Sprintf("%04d", year)
	for _, m := range months {
		fmt.Fprintf(&b, `<table class="month" id="m-%d">
<caption>%d 年 %d 月</caption>
<thead><tr><th scope="col">一</th><th scope="col">二</th><th scope="col">三</th><th scope="col">四</th><th scope="col">五</th><th scope="col">六</th><th scope="col">日</th></tr></thead>
<tbody><tr>`, m.Month, year, m.Month)
		for range m.Lead {
			b.WriteString("<td></td>")
		}
		for _, day := range m.Days {
			if day.Day.Weekday() == time.Monday && day.Day.Day() != 1 {
				b.WriteString("</tr><tr>")
			}
			class, mark := "outside", ""
			switch {
			case day.Gap():
				class, mark = "gap", " 缺"
			case day.Excess().IsPositive():
				class, mark = "excess", " 超"
			case day.Billable.IsPositive():
				class = "billable"
			}
			b.WriteString(`<td class="`)
			b.WriteString(class)
			dd := day.Day.Day()
			b.WriteString(`"><a href="`)
			b.WriteString(base)
			b.WriteString(yyyy) // the day's date, as metering.Date.String writes it
			b.Write([]byte{'-', byte('0' + m.Month/10), byte('0' + m.Month%10), '-', byte('0' + dd/10), byte('0' + dd%10)})
			b.WriteString(vq)
			b.WriteString(`"><span class="d">`)
			b.WriteString(strconv.Itoa(dd))
			b.WriteString(`</span><span class="q">`)
			b.WriteString(metered.text(day.Metered))
			b.WriteString("/")
			b.WriteString(approved.text(day.Approved))
			b.WriteString(mark)
			b.WriteString("</span></a></td>")
		}
		b.WriteString("</tr></tbody>\n</table>")
	}
	return template.HTML(b.String())
}

type lineData struct {
	app.LineDetail
	Item         billing.PriceVersion
	RunsTotal    decimal.Decimal
	Months       []monthSum
	BillableDays int
	QuantityDays decimal.Decimal
	Chart        template.HTML
	Calendar     template.HTML
	DayBase      string
}

func (s *Server) lineDetail(q *request, v *view) (app.LineDetail, error) {
	sv, err := s.resolve(q, v)
	if err != nil {
		return app.LineDetail{}, err
	}
	res, item := q.r.PathValue("resource"), q.r.PathValue("item")
	d, err := s.app.Line(q.r.Context(), sv.Year, sv.Version, res, item)
	if err != nil {
		return d, err
	}
	if l := d.Line; !q.scope.Allows(l.DistrictCode, l.DepartmentCode, l.ProviderCode) {
		return d, fmt.Errorf("line %s %s: %w", res, item, app.ErrNotFound)
	}
	return d, nil
}

// line is /statements/Y/lines/RESOURCE/ITEM: the line's runs with their
// price versions and approval references, the billing window with the
// confirmation letter, every day's approved and metered quantity, the
// lifecycle events and the findings.
func (s *Server) line(q *request) error {
	v := &view{}
	ld, err := s.lineDetail(q, v)
	if err != nil {
		return err
	}
	l := ld.Line
	d := lineData{LineDetail: ld, Item: ld.Item(),
		DayBase: fmt.Sprintf("/statements/%d/lines/%s/%s/days/", v.Year, url.PathEscape(l.ResourceID), url.PathEscape(l.ItemCode))}
	for _, r := range l.Runs {
		d.RunsTotal = d.RunsTotal.Add(r.Amount)
	}
	for i, day := range ld.Days {
		m := int(day.Day.Month())
		if len(d.Months) < m {
			lead := (int(day.Day.Weekday()) + 6) % 7
			d.Months = append(d.Months, monthSum{Month: m, Lead: make([]int, lead), Days: ld.Days[i:i]})
		}
		ms := &d.Months[m-1]
		ms.Days = ms.Days[:len(ms.Days)+1] // the month's days are consecutive in ld.Days
		if day.Billable.IsPositive() {
			ms.BillableDays++
			ms.QuantityDays = ms.QuantityDays.Add(day.Billable)
			d.BillableDays++
			d.QuantityDays = d.QuantityDays.Add(day.Billable)
		}
	}
	d.Calendar = calendar(v.Year, d.Months, d.DayBase, v.VQ())
	d.Chart = usageChart(fmt.Sprintf("%s %s 每日计量与批复用量", l.ResourceID, l.ItemCode), ld.Days)
	v.Title = fmt.Sprintf("%s · %s 结算行", l.ResourceID, l.ItemCode)
	v.Crumbs = s.crumbs(q, v, l.DistrictCode, l.DepartmentCode, l.ResourceID+" "+l.ItemCode)
	v.Data = d
	s.render(q, 200, "line", v)
	return nil
}

type dayData struct {
	app.DayDetail
	Line    store.PortalLine
	Item    billing.PriceVersion
	LineURL string
	Prev    string
	Next    string
}

// day is /statements/Y/lines/RESOURCE/ITEM/days/D: one day's meter
// reading, approval, billable quantity, price and amount.
func (s *Server) day(q *request) error {
	v := &view{}
	ld, err := s.lineDetail(q, v)
	if err != nil {
		return err
	}
	day, err := metering.ParseDate(q.r.PathValue("day"))
	if err != nil {
		return fmt.Errorf("day %q: %w", q.r.PathValue("day"), app.ErrNotFound)
	}
	dd, err := s.app.LineDay(q.r.Context(), ld, day)
	if err != nil {
		return err
	}
	l := ld.Line
	base := fmt.Sprintf("/statements/%d/lines/%s/%s", v.Year, url.PathEscape(l.ResourceID), url.PathEscape(l.ItemCode))
	d := dayData{DayDetail: dd, Line: l, Item: ld.Item(), LineURL: base + v.VQ()}
	if day > metering.YearStart(v.Year) {
		d.Prev = base + "/days/" + day.AddDays(-1).String() + v.VQ()
	}
	if day < metering.YearEnd(v.Year).AddDays(-1) {
		d.Next = base + "/days/" + day.AddDays(1).String() + v.VQ()
	}
	v.Title = fmt.Sprintf("%s · %s · %s 计量", l.ResourceID, l.ItemCode, day)
	v.Crumbs = s.crumbs(q, v, l.DistrictCode, l.DepartmentCode, l.ResourceID+" "+l.ItemCode)
	v.Crumbs[len(v.Crumbs)-1].Href = d.LineURL
	v.Crumbs = append(v.Crumbs, link{Label: day.String()})
	v.Data = d
	s.render(q, 200, "day", v)
	return nil
}
