package billing

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Period is a month or a quarter of a year: the months From..To (1–12,
// inclusive) the monthly and quarterly reports cover.
type Period struct {
	Year     int
	From, To int  // months, 1–12
	Quarter  bool // a quarter (From = 3q−2, To = 3q), else one month
}

var (
	monthRE   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterRE = regexp.MustCompile(`^(\d{4})Q([1-4])$`)
)

// ParseMonth reads a month such as 2024-07.
func ParseMonth(s string) (Period, error) {
	m := monthRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%q is not a month such as 2024-07", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if mo < 1 || mo > 12 {
		return Period{}, fmt.Errorf("%q is not a month such as 2024-07", s)
	}
	return Month(y, mo), nil
}

// ParseQuarter reads a quarter such as 2024Q3.
func ParseQuarter(s string) (Period, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%q is not a quarter such as 2024Q3", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	return QuarterPeriod(y, q), nil
}

// Month is month m (1–12) of year.
func Month(year, m int) Period { return Period{Year: year, From: m, To: m} }

// QuarterPeriod is quarter q (1–4) of year.
func QuarterPeriod(year, q int) Period {
	return Period{Year: year, From: 3*q - 2, To: 3 * q, Quarter: true}
}

// MonthBefore is the month before the one holding d: the monthly job's
// period.
func MonthBefore(d metering.Date) Period {
	first := metering.NewDate(d.Year(), d.Month(), 1).AddDays(-1)
	return Month(first.Year(), int(first.Month()))
}

// QuarterBefore is the quarter before the one holding d: the quarterly
// job's period.
func QuarterBefore(d metering.Date) Period {
	q := (int(d.Month())-1)/3 + 1
	if q == 1 {
		return QuarterPeriod(d.Year()-1, 4)
	}
	return QuarterPeriod(d.Year(), q-1)
}

// Name is 2024-07 or 2024Q3.
func (p Period) Name() string {
	if p.Quarter {
		return fmt.Sprintf("%dQ%d", p.Year, p.To/3)
	}
	return fmt.Sprintf("%d-%02d", p.Year, p.From)
}

// Start is the period's first day.
func (p Period) Start() metering.Date { return metering.NewDate(p.Year, time.Month(p.From), 1) }

// End is the day after the period's last day.
func (p Period) End() metering.Date { return metering.NewDate(p.Year, time.Month(p.To)+1, 1) }

// Last is the period's last day: the as-of date of its report.
func (p Period) Last() metering.Date { return p.End().AddDays(-1) }

// Valid reports whether the period is a month or a quarter of a year
// cloudbill settles.
func (p Period) Valid() bool {
	if p.Year < 2000 || p.Year > 2100 || p.From < 1 || p.To > 12 || p.From > p.To {
		return false
	}
	if p.Quarter {
		return p.From%3 == 1 && p.To == p.From+2
	}
	return p.From == p.To
}

// PeriodRow is one (department, provider) of a period report: the gross
// accrued in the period and from 1 January to its end, what the forecast
// adds to the year's end, and the estimated net of the gross to date
// (RoundMoney(ToDate × Coefficient), when the provider has a coefficient
// estimate).
type PeriodRow struct {
	ProviderCode   string
	DistrictCode   string
	DepartmentCode string
	Gross          decimal.Decimal // accrued in the period
	ToDate         decimal.Decimal // accrued from 1 January to the period's end
	Remaining      decimal.Decimal // forecast from the day after to 31 December
	Coefficient    decimal.Decimal
	HasCoefficient bool
	Net            decimal.Decimal // estimated, of ToDate; zero without a coefficient
}

// Forecast is the year-end forecast: accrued to date + remaining.
func (r PeriodRow) Forecast() decimal.Decimal { return r.ToDate.Add(r.Remaining) }

// PeriodRows sums the accrual lines of period p and the remaining lines
// (placed by placement) into (department, provider) rows, in (district,
// department, provider) order. coefficients holds the estimated
// coefficient of each provider that has one. Every row's figures are sums
// of rounded lines; the net is rounded once per row (docs/rules.md §4).
func PeriodRows(p Period, lines []AccrualLine, remaining []RemainingLine, placement map[string]Placement, coefficients map[string]decimal.Decimal) []PeriodRow {
	type key struct{ provider, department string }
	rows := map[key]*PeriodRow{}
	get := func(pl Placement) *PeriodRow {
		k := key{pl.ProviderCode, pl.DepartmentCode}
		r := rows[k]
		if r == nil {
			r = &PeriodRow{ProviderCode: pl.ProviderCode, DistrictCode: pl.DistrictCode, DepartmentCode: pl.DepartmentCode}
			rows[k] = r
		}
		return r
	}
	for _, l := range lines {
		if l.Days(1, p.To) == 0 {
			continue
		}
		r := get(l.Placement)
		r.Gross = r.Gross.Add(l.Gross(p.From, p.To))
		r.ToDate = r.ToDate.Add(l.ToDate(p.To))
	}
	for _, l := range remaining {
		pl, ok := placement[l.ResourceID]
		if !ok {
			continue
		}
		r := get(pl)
		r.Remaining = r.Remaining.Add(l.Amount)
	}
	out := make([]PeriodRow, 0, len(rows))
	for _, r := range rows {
		if c, ok := coefficients[r.ProviderCode]; ok {
			r.Coefficient, r.HasCoefficient = c, true
			r.Net = RoundMoney(r.ToDate.Mul(c))
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b PeriodRow) int {
		return cmp.Or(strings.Compare(a.DistrictCode, b.DistrictCode), strings.Compare(a.DepartmentCode, b.DepartmentCode), strings.Compare(a.ProviderCode, b.ProviderCode))
	})
	return out
}

// BudgetRow is a budget against what its department (or, district-wide,
// its district) accrued to the period's end and is forecast to cost by
// the year's end.
type BudgetRow struct {
	Budget
	Accrued  decimal.Decimal // Σ ToDate of the rows it covers
	Forecast decimal.Decimal // Σ Forecast of the rows it covers
	Rate     decimal.Decimal // ExecutionRate(Accrued, Amount), in %
	HasRate  bool            // false for a zero budget
}

// Over reports whether the forecast exceeds the budget: an over_budget
// finding (docs/rules.md §10).
func (b BudgetRow) Over() bool { return b.Forecast.GreaterThan(b.Amount) }

// Excess is the forecast minus the budget (negative when within it).
func (b BudgetRow) Excess() decimal.Decimal { return b.Forecast.Sub(b.Amount) }

// BudgetRows compares each budget of rows' year with the period rows it
// covers: a department budget its department's rows, a district-wide one
// every row of its district. Budgets come in (district, department) order.
func BudgetRows(budgets []Budget, rows []PeriodRow) []BudgetRow {
	out := make([]BudgetRow, 0, len(budgets))
	for _, b := range budgets {
		br := BudgetRow{Budget: b}
		for _, r := range rows {
			if r.DistrictCode == b.DistrictCode && (b.DepartmentCode == "" || r.DepartmentCode == b.DepartmentCode) {
				br.Accrued = br.Accrued.Add(r.ToDate)
				br.Forecast = br.Forecast.Add(r.Forecast())
			}
		}
		br.Rate, br.HasRate = ExecutionRate(br.Accrued, b.Amount)
		out = append(out, br)
	}
	slices.SortFunc(out, func(a, b BudgetRow) int {
		return cmp.Or(strings.Compare(a.DistrictCode, b.DistrictCode), strings.Compare(a.DepartmentCode, b.DepartmentCode))
	})
	return out
}
