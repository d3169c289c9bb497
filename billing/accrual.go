package billing

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Accrue is the accrual rule (docs/rules.md §10): given a line's exact
// amounts month by month (months[0] is January; nil counts as zero), it
// returns each month's accrual: the exact amount accumulated to the
// month's end, rounded once (RoundMoney's rule), minus the same to the
// previous month's end. The accruals of January to December therefore add
// up exactly to the line's gross on the statement (the rounding of the
// year's exact sum), those of a quarter to the rounded amount at its end
// minus that at its start, and those of January to any month to the
// rounded amount accumulated to that month. An accrual is never negative:
// the exact amounts are.
func Accrue(months []*big.Rat) []decimal.Decimal {
	out := make([]decimal.Decimal, len(months))
	cum := new(big.Rat)
	prev := decimal.Zero
	for i, m := range months {
		if m != nil {
			cum.Add(cum, m)
		}
		r := Round(cum, moneyPlaces)
		out[i] = r.Sub(prev)
		prev = r
	}
	return out
}

// MonthFigures is one month of a line: the days billed in the month, the
// quantity-days (docs/rules.md §2) and the month's accrual (Accrue).
type MonthFigures struct {
	BillableDays int
	QuantityDays decimal.Decimal
	Gross        decimal.Decimal // the month's accrual
}

// AccrualLine is a line of the year (provider, resource, item) month by
// month: Months[0] is January.
type AccrualLine struct {
	Placement
	ResourceID string
	ItemCode   string
	Months     [12]MonthFigures
}

// Period sums the months from..to (1–12, inclusive) of the line: billable
// days, quantity-days and gross (Σ of the months' accruals).
func (l AccrualLine) Period(from, to int) MonthFigures {
	var f MonthFigures
	for m := from; m <= to; m++ {
		x := l.Months[m-1]
		f.BillableDays += x.BillableDays
		f.QuantityDays = f.QuantityDays.Add(x.QuantityDays)
		f.Gross = f.Gross.Add(x.Gross)
	}
	return f
}

// ToDate is the gross accrued from January to the end of month m (1–12):
// the exact amount to that day, rounded once.
func (l AccrualLine) ToDate(m int) decimal.Decimal { return l.Period(1, m).Gross }

// Line returns the accrual line as a statement line of months from..to.
func (l AccrualLine) Line(from, to int) Line {
	f := l.Period(from, to)
	return Line{ProviderCode: l.ProviderCode, DistrictCode: l.DistrictCode, DepartmentCode: l.DepartmentCode, SystemID: l.SystemID,
		ResourceID: l.ResourceID, ItemCode: l.ItemCode, BillableDays: f.BillableDays, QuantityDays: f.QuantityDays, Gross: f.Gross}
}

// Accruals rates the day groups of a monthly tally (NewMonthlyTally) into
// the year's lines month by month: each month's runs are kept exact,
// summed per line and month, and turned into accruals by Accrue.
type Accruals struct {
	year      int
	catalogue *Catalogue
	placement map[string]Placement
	lines     map[lineKey]*accrualAcc
}

type accrualAcc struct {
	months [12]struct {
		sum  Sum
		days int
		qd   decimal.Decimal
	}
}

// NewAccruals starts the accruals of year.
func NewAccruals(year int, cat *Catalogue, placement map[string]Placement) *Accruals {
	return &Accruals{year: year, catalogue: cat, placement: placement, lines: map[lineKey]*accrualAcc{}}
}

// Add rates one day group of one month (g.Month 1–12): billable quantity
// = Billable(metered, approved); amount = quantity × price × days ÷ cycle
// days (Cycle.Days of the month), kept exact.
func (a *Accruals) Add(g DayGroup) error {
	q := Billable(g.Metered, g.Approved)
	if !q.IsPositive() || g.Days <= 0 {
		return nil
	}
	if g.Month < 1 || g.Month > 12 {
		return fmt.Errorf("accruals: day group of %s %s without a month (use NewMonthlyTally)", g.ResourceID, g.ItemCode)
	}
	if _, ok := a.placement[g.ResourceID]; !ok {
		return fmt.Errorf("resource %s is not in the inventory", g.ResourceID)
	}
	var v PriceVersion
	found := false
	for _, c := range a.catalogue.Versions(g.ItemCode) {
		if c.EffectiveFrom == g.EffectiveFrom {
			v, found = c, true
			break
		}
	}
	if !found {
		return fmt.Errorf("item %s has no price version from %s", g.ItemCode, g.EffectiveFrom)
	}
	k := lineKey{g.ResourceID, g.ItemCode}
	acc := a.lines[k]
	if acc == nil {
		acc = &accrualAcc{}
		a.lines[k] = acc
	}
	m := &acc.months[g.Month-1]
	m.sum.AddRun(q, v.Price, g.Days, v.Cycle.Days(metering.NewDate(a.year, time.Month(g.Month), 1)))
	m.days += g.Days
	m.qd = m.qd.Add(q.Mul(decimal.NewFromInt(int64(g.Days))))
	return nil
}

// Lines returns the year's accrual lines in canonical order (provider,
// district, department, system, resource, item).
func (a *Accruals) Lines() []AccrualLine {
	out := make([]AccrualLine, 0, len(a.lines))
	exact := make([]*big.Rat, 12)
	for k, acc := range a.lines {
		l := AccrualLine{Placement: a.placement[k.resource], ResourceID: k.resource, ItemCode: k.item}
		for i := range acc.months {
			exact[i] = &acc.months[i].sum.r
		}
		for i, g := range Accrue(exact) {
			m := &acc.months[i]
			l.Months[i] = MonthFigures{BillableDays: m.days, QuantityDays: m.qd, Gross: g}
		}
		out = append(out, l)
	}
	SortAccrualLines(out)
	return out
}

// SortAccrualLines orders accrual lines canonically, as SortLines does.
func SortAccrualLines(ls []AccrualLine) {
	slices.SortFunc(ls, func(a, b AccrualLine) int {
		return cmp.Or(
			strings.Compare(a.ProviderCode, b.ProviderCode),
			strings.Compare(a.DistrictCode, b.DistrictCode),
			strings.Compare(a.DepartmentCode, b.DepartmentCode),
			strings.Compare(a.SystemID, b.SystemID),
			strings.Compare(a.ResourceID, b.ResourceID),
			strings.Compare(a.ItemCode, b.ItemCode),
		)
	})
}

// AccrualColumns are the columns of month-Y-MM.csv and quarter-YQn.csv
// (docs/formats.md): those of settlement-Y.csv for the period, then the
// gross accrued from 1 January to the period's end.
var AccrualColumns = append(append([]string(nil), SettlementColumns...), "gross_to_date")

// WriteAccrualCSV writes one row per line accrued from January to the
// period's end (months from..to of the year, 1–12), in the order given:
// billable days, quantity-days and gross of the period, and
// gross_to_date. A line billed before the period but not in it (released
// in March, in the July file) has zeros for the period and its gross to
// date; a line with no billable day to the period's end is left out.
func WriteAccrualCSV(w io.Writer, lines []AccrualLine, from, to int) error {
	cw := csv.NewWriter(w)
	cw.Write(AccrualColumns)
	for _, l := range lines {
		if l.Period(1, to).BillableDays == 0 {
			continue
		}
		f := l.Period(from, to)
		cw.Write([]string{l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, l.ResourceID, l.ItemCode,
			strconv.Itoa(f.BillableDays), plain(f.QuantityDays), f.Gross.StringFixed(2), l.ToDate(to).StringFixed(2)})
	}
	cw.Flush()
	return cw.Error()
}
