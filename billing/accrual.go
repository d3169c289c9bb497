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
	out, _ := accrue(months)
	return out
}

// accrue is Accrue, also returning the rounded cumulative amounts (the
// gross to date at each month's end). A month with nothing adds nothing
// and is not rounded again.
func accrue(months []*big.Rat) (accruals, toDate []decimal.Decimal) {
	accruals, toDate = make([]decimal.Decimal, len(months)), make([]decimal.Decimal, len(months))
	cum := new(big.Rat)
	prev := decimal.Zero
	for i, m := range months {
		if m != nil && m.Sign() != 0 {
			cum.Add(cum, m)
			r := Round(cum, moneyPlaces)
			accruals[i] = r.Sub(prev)
			prev = r
		}
		toDate[i] = prev
	}
	return accruals, toDate
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
	// toDate caches the gross to each month's end (set by Accruals.Lines).
	toDate *[12]decimal.Decimal
}

// Period sums the months from..to (1–12, inclusive) of the line: billable
// days, quantity-days and gross (Σ of the months' accruals).
func (l AccrualLine) Period(from, to int) MonthFigures {
	if from == to {
		return l.Months[from-1]
	}
	var f MonthFigures
	for m := from; m <= to; m++ {
		x := l.Months[m-1]
		if x.BillableDays == 0 && x.Gross.IsZero() {
			continue
		}
		f.BillableDays += x.BillableDays
		f.QuantityDays = f.QuantityDays.Add(x.QuantityDays)
		f.Gross = f.Gross.Add(x.Gross)
	}
	return f
}

// Days is the billable days of months from..to.
func (l AccrualLine) Days(from, to int) int {
	n := 0
	for m := from; m <= to; m++ {
		n += l.Months[m-1].BillableDays
	}
	return n
}

// Gross is the gross accrued in months from..to: the gross to the end of
// to minus that to the end of from−1 (the sum of the months' accruals).
func (l AccrualLine) Gross(from, to int) decimal.Decimal {
	if from == to {
		return l.Months[from-1].Gross
	}
	if from == 1 {
		return l.ToDate(to)
	}
	return l.ToDate(to).Sub(l.ToDate(from - 1))
}

// ToDate is the gross accrued from January to the end of month m (1–12):
// the exact amount to that day, rounded once.
func (l AccrualLine) ToDate(m int) decimal.Decimal {
	if l.toDate != nil {
		return l.toDate[m-1]
	}
	return l.Period(1, m).Gross
}

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
	// the last group's line, version and billable quantity, and q × price:
	// a tally yields a segment's months one after the other
	last struct {
		key     lineKey
		acc     *accrualAcc
		version PriceVersion
		q       decimal.Decimal
		qp      *big.Rat
	}
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
	k := lineKey{g.ResourceID, g.ItemCode}
	last := &a.last
	if last.acc == nil || last.key != k {
		if _, ok := a.placement[g.ResourceID]; !ok {
			return fmt.Errorf("resource %s is not in the inventory", g.ResourceID)
		}
		acc := a.lines[k]
		if acc == nil {
			acc = &accrualAcc{}
			a.lines[k] = acc
		}
		last.key, last.acc, last.qp = k, acc, nil
	}
	if last.qp == nil || last.version.EffectiveFrom != g.EffectiveFrom || !last.q.Equal(q) {
		found := false
		for _, c := range a.catalogue.Versions(g.ItemCode) {
			if c.EffectiveFrom == g.EffectiveFrom {
				last.version, found = c, true
				break
			}
		}
		if !found {
			return fmt.Errorf("item %s has no price version from %s", g.ItemCode, g.EffectiveFrom)
		}
		last.q, last.qp = q, new(big.Rat).Mul(q.Rat(), last.version.Price.Rat())
	}
	m := &last.acc.months[g.Month-1]
	m.sum.addProduct(last.qp, g.Days, last.version.Cycle.Days(metering.NewDate(a.year, time.Month(g.Month), 1)))
	m.days += g.Days
	m.qd = m.qd.Add(q.Mul(decimal.NewFromInt(int64(g.Days))))
	return nil
}

// addProduct adds qp × days ÷ cycleDays, qp being quantity × price: the
// amount of Sum.AddRun (docs/rules.md §3) with the product computed once
// for the months of a segment.
func (s *Sum) addProduct(qp *big.Rat, days, cycleDays int) {
	if days == 0 || qp.Sign() == 0 {
		return
	}
	x := new(big.Rat).SetFrac64(int64(days), int64(cycleDays))
	s.r.Add(&s.r, x.Mul(x, qp))
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
		accruals, toDate := accrue(exact)
		l.toDate = (*[12]decimal.Decimal)(toDate)
		for i, g := range accruals {
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
		if l.Days(1, to) == 0 {
			continue
		}
		f := l.Period(from, to)
		cw.Write([]string{l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, l.ResourceID, l.ItemCode,
			strconv.Itoa(f.BillableDays), plain(f.QuantityDays), f.Gross.StringFixed(2), l.ToDate(to).StringFixed(2)})
	}
	cw.Flush()
	return cw.Error()
}
