package web

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reports"
)

// The year's rhythm in the portal (/rhythm/Y): the monthly report's
// figures (app.PeriodData, docs/rules.md §10) as of a month's end — the
// gross accrued month by month, per district, the budgets against the
// year-end forecast — drawn as SVG beside the tables that hold them.
// Finance and the office see the city (or one district with
// ?district=), a district account its own district; anyone else 404.

// rhythmMonthRow is one month of the year: the gross accrued in it.
type rhythmMonthRow struct {
	Month int
	Gross decimal.Decimal
	Href  string
}

// rhythmDistrictRow is one district's period row sums (billing.PeriodRow).
type rhythmDistrictRow struct {
	Code, Name                     string
	Gross, ToDate, Net, Forecast   decimal.Decimal
	Href                           string
	Budget, Accrued, BudgetFcst    decimal.Decimal // Σ of its budgets
	Excess                         decimal.Decimal // BudgetFcst − Budget
	Rate                           decimal.Decimal
	HasRate, HasBudget, OverBudget bool
}

// rhythmBudgetRow is one budget (billing.BudgetRow) with its names.
type rhythmBudgetRow struct {
	billing.BudgetRow
	DistrictName, Unit, Href string
}

type rhythmData struct {
	Period         billing.Period
	AsOf           metering.Date
	District       string // the district shown alone ("" for the city)
	DistrictName   string
	Months         []rhythmMonthRow
	MonthLinks     []link
	Districts      []rhythmDistrictRow
	Budgets        []rhythmBudgetRow
	Total          rhythmDistrictRow // the sums of Districts
	BudgetTotal    rhythmDistrictRow // the sums of the districts with a budget
	MonthChart     template.HTML
	BudgetChart    template.HTML
	PendingChanges int
	PendingExits   int
	Lines          int
	CityHref       string
}

// rhythmMonth is the month the page is as of: ?month=M, else December
// of a past year, the month before the clock's of the current year (its
// January: January), December of a future year (the forecast alone).
func (s *Server) rhythmMonth(q *request, year int) (int, error) {
	if ms := q.r.URL.Query().Get("month"); ms != "" {
		m, err := strconv.Atoi(ms)
		if err != nil || m < 1 || m > 12 {
			return 0, fmt.Errorf("month %q: %w", ms, app.ErrNotFound)
		}
		return m, nil
	}
	today := s.app.Today()
	if year == today.Year() {
		return max(int(today.Month())-1, 1), nil
	}
	return 12, nil
}

// rhythm is /rhythm/Y[?month=M][&district=CODE].
func (s *Server) rhythm(q *request) error {
	sc := q.scope
	if !sc.City() && sc.District == "" {
		return app.ErrNotFound
	}
	year, err := pathYear(q)
	if err != nil {
		return err
	}
	month, err := s.rhythmMonth(q, year)
	if err != nil {
		return err
	}
	district := q.r.URL.Query().Get("district")
	if district == "" && !sc.City() {
		district = sc.District
	}
	if district != "" && !sc.DistrictPage(district) {
		return app.ErrNotFound
	}
	names, err := s.app.Names(q.r.Context())
	if err != nil {
		return err
	}
	if _, ok := names.Districts[district]; district != "" && !ok {
		return fmt.Errorf("district %s: %w", district, app.ErrNotFound)
	}
	p := billing.Month(year, month)
	b, err := s.app.PeriodData(q.r.Context(), p)
	var missing *evaluation.YearMissingError
	if errors.As(err, &missing) {
		// A year the working-day calendar does not reach (far ahead):
		// nothing to show, as for a year without a statement.
		s.log.Warn("rhythm page: no calendar", slog.String("period", p.Name()), slog.Any("err", err))
		return fmt.Errorf("%s: %w", err, app.ErrNotFound)
	}
	if err != nil {
		return err
	}
	d := rhythmPage(b, names.Districts, names.Departments, district, sc.City())
	v := &view{Year: year, Path: q.r.URL.Path, Data: d}
	d.DistrictName = names.Districts[district]
	if district == "" {
		v.Title = fmt.Sprintf("%d 年全市月度计提与预算执行", year)
	} else {
		v.Title = fmt.Sprintf("%d 年 %s 月度计提与预算执行", year, d.DistrictName)
	}
	if sc.City() {
		d.CityHref = fmt.Sprintf("/rhythm/%d?month=%d", year, month)
		v.Crumbs = []link{{Href: d.CityHref, Label: "全市"}}
		if district != "" {
			v.Crumbs = append(v.Crumbs, link{Label: "县区 " + district})
		} else {
			v.Crumbs[0].Href = ""
		}
	}
	s.render(q, 200, "rhythm", v)
	return nil
}

// rhythmHref is the page as of month m, of district c ("" the city).
func rhythmHref(year, m int, c string) string {
	h := fmt.Sprintf("/rhythm/%d?month=%d", year, m)
	if c != "" {
		h += "&district=" + url.QueryEscape(c)
	}
	return h
}

// rhythmPage sums the period bundle for the page: only district's rows
// when district is set. Every figure is a sum of the bundle's rounded
// lines or rows (the monthly report's); nothing is rounded here but the
// execution rates (billing.ExecutionRate).
func rhythmPage(b *reports.PeriodBundle, districtNames map[string]string, deps map[string]metering.Department, district string, city bool) *rhythmData {
	p := b.Period
	keep := func(c string) bool { return district == "" || c == district }
	d := &rhythmData{Period: p, AsOf: p.Last(), District: district, PendingChanges: b.PendingChanges, PendingExits: b.PendingExits}
	linkTo := func(c string) string {
		if district == "" && !city {
			return rhythmHref(p.Year, p.To, "")
		}
		return rhythmHref(p.Year, p.To, c)
	}
	// Months: Σ of the lines' monthly accruals, per district too (chart).
	codes := map[string]bool{}
	for c := range districtNames {
		if keep(c) {
			codes[c] = true
		}
	}
	perDistrict := map[string]*[12]decimal.Decimal{}
	var months [12]decimal.Decimal
	for _, l := range b.Lines {
		if !keep(l.DistrictCode) {
			continue
		}
		d.Lines++
		codes[l.DistrictCode] = true
		pd := perDistrict[l.DistrictCode]
		if pd == nil {
			pd = new([12]decimal.Decimal)
			perDistrict[l.DistrictCode] = pd
		}
		for m := 0; m < p.To; m++ {
			g := l.Months[m].Gross
			pd[m] = pd[m].Add(g)
			months[m] = months[m].Add(g)
		}
	}
	for m := 1; m <= p.To; m++ {
		d.Months = append(d.Months, rhythmMonthRow{Month: m, Gross: months[m-1], Href: rhythmHref(p.Year, m, district)})
	}
	for m := 1; m <= 12; m++ {
		d.MonthLinks = append(d.MonthLinks, link{Href: rhythmHref(p.Year, m, district), Label: fmt.Sprintf("%d 月", m), Current: m == p.To})
	}
	order := make([]string, 0, len(codes))
	for c := range codes {
		order = append(order, c)
	}
	sort.Strings(order)

	// Districts: Σ of the period rows (department × provider).
	by := map[string]*rhythmDistrictRow{}
	for _, c := range order {
		by[c] = &rhythmDistrictRow{Code: c, Name: nameOr(districtNames[c], c), Href: linkTo(c)}
	}
	for _, r := range b.Rows {
		if !keep(r.DistrictCode) {
			continue
		}
		x := by[r.DistrictCode]
		if x == nil {
			x = &rhythmDistrictRow{Code: r.DistrictCode, Name: nameOr(districtNames[r.DistrictCode], r.DistrictCode), Href: linkTo(r.DistrictCode)}
			by[r.DistrictCode] = x
			order = append(order, r.DistrictCode)
			sort.Strings(order)
		}
		x.Gross, x.ToDate, x.Net, x.Forecast = x.Gross.Add(r.Gross), x.ToDate.Add(r.ToDate), x.Net.Add(r.Net), x.Forecast.Add(r.Forecast())
	}
	// Budgets: each budget row, summed per district.
	for _, r := range b.Budgets {
		if !keep(r.DistrictCode) {
			continue
		}
		x := by[r.DistrictCode]
		if x == nil {
			continue // a budget of a district without a name cannot be: the load checks codes
		}
		unit := "全区（县）统筹预算"
		if r.DepartmentCode != "" {
			unit = nameOr(deps[r.DepartmentCode].Name, r.DepartmentCode)
		}
		d.Budgets = append(d.Budgets, rhythmBudgetRow{BudgetRow: r, DistrictName: x.Name, Unit: unit, Href: linkTo(r.DistrictCode)})
		x.HasBudget = true
		x.Budget, x.Accrued, x.BudgetFcst = x.Budget.Add(r.Amount), x.Accrued.Add(r.Accrued), x.BudgetFcst.Add(r.Forecast)
		x.OverBudget = x.OverBudget || r.Over()
	}
	var series []monthSeries
	var bars []budgetBar
	for i, c := range order {
		x := by[c]
		if x.HasBudget {
			x.Excess = x.BudgetFcst.Sub(x.Budget)
			x.Rate, x.HasRate = billing.ExecutionRate(x.Accrued, x.Budget)
			t := &d.BudgetTotal
			t.Budget, t.Accrued, t.BudgetFcst, t.Excess = t.Budget.Add(x.Budget), t.Accrued.Add(x.Accrued), t.BudgetFcst.Add(x.BudgetFcst), t.Excess.Add(x.Excess)
			t.HasBudget = true
			bars = append(bars, budgetBar{Label: x.Name, Budget: x.Budget, Accrued: x.Accrued, Forecast: x.BudgetFcst, Over: x.OverBudget, Href: x.Href})
		}
		t := &d.Total
		t.Gross, t.ToDate, t.Net, t.Forecast = t.Gross.Add(x.Gross), t.ToDate.Add(x.ToDate), t.Net.Add(x.Net), t.Forecast.Add(x.Forecast)
		d.Districts = append(d.Districts, *x)
		s := monthSeries{Label: x.Name, Href: x.Href, Colour: i}
		if pd := perDistrict[c]; pd != nil {
			s.Months = *pd
		}
		series = append(series, s)
	}
	d.BudgetTotal.Rate, d.BudgetTotal.HasRate = billing.ExecutionRate(d.BudgetTotal.Accrued, d.BudgetTotal.Budget)
	d.MonthChart = monthlyChart(fmt.Sprintf("%d 年各月计提（截至 %d 月）", p.Year, p.To), series, p.To)
	if len(bars) > 0 {
		d.BudgetChart = budgetChart(fmt.Sprintf("%d 年预算与全年预测", p.Year), bars)
	}
	return d
}

func nameOr(name, code string) string {
	if name == "" {
		return code
	}
	return name
}
