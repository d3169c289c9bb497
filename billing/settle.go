package billing

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// DayGroup is what a Tally yields: the number of days in one year on
// which a resource's item was billable at Metered (the metered quantity,
// or the approved one for days metered at or above it) while Approved was
// in force, inside the billing window, under the price version starting
// EffectiveFrom, within one month (Month, 1–12) for month-cycle items or
// the whole year (Month 0) otherwise.
type DayGroup struct {
	ResourceID    string
	ItemCode      string
	EffectiveFrom metering.Date
	Month         int
	Metered       decimal.Decimal
	Approved      decimal.Decimal
	Days          int
}

// Placement says where a resource is billed: provider and the
// district/department/system it belongs to.
type Placement struct {
	ProviderCode   string `db:"provider_code"`
	DistrictCode   string `db:"district_code"`
	DepartmentCode string `db:"department_code"`
	SystemID       string `db:"system_id"`
}

// Settlement accumulates day groups into the lines of one year.
type Settlement struct {
	year      int
	catalogue *Catalogue
	placement map[string]Placement
	lines     map[lineKey]*lineAcc
}

type lineKey struct{ resource, item string }

type lineAcc struct {
	sum  Sum
	runs map[runKey]*Run
	days int
	qd   decimal.Decimal
}

type runKey struct {
	from  metering.Date
	month int
	q     string
}

// NewSettlement starts the settlement of year.
func NewSettlement(year int, cat *Catalogue, placement map[string]Placement) *Settlement {
	return &Settlement{year: year, catalogue: cat, placement: placement, lines: map[lineKey]*lineAcc{}}
}

// Add rates one day group: billable quantity = Billable(metered, approved);
// amount = quantity × price × days ÷ cycle days, kept exact.
func (s *Settlement) Add(g DayGroup) error {
	q := Billable(g.Metered, g.Approved)
	if !q.IsPositive() || g.Days <= 0 {
		return nil
	}
	if _, ok := s.placement[g.ResourceID]; !ok {
		return fmt.Errorf("resource %s is not in the inventory", g.ResourceID)
	}
	var v PriceVersion
	found := false
	for _, c := range s.catalogue.Versions(g.ItemCode) {
		if c.EffectiveFrom == g.EffectiveFrom {
			v, found = c, true
			break
		}
	}
	if !found {
		return fmt.Errorf("item %s has no price version from %s", g.ItemCode, g.EffectiveFrom)
	}
	var cycleDays int
	switch v.Cycle {
	case CycleYear:
		cycleDays = metering.DaysInYear(s.year)
	case CycleMonth:
		if g.Month < 1 || g.Month > 12 {
			return fmt.Errorf("item %s: month-cycle group without a month", g.ItemCode)
		}
		cycleDays = metering.NewDate(s.year, time.Month(g.Month), 1).DaysInMonth()
	default:
		cycleDays = 1
	}
	k := lineKey{g.ResourceID, g.ItemCode}
	acc := s.lines[k]
	if acc == nil {
		acc = &lineAcc{runs: map[runKey]*Run{}}
		s.lines[k] = acc
	}
	acc.sum.AddRun(q, v.Price, g.Days, cycleDays)
	acc.days += g.Days
	acc.qd = acc.qd.Add(q.Mul(decimal.NewFromInt(int64(g.Days))))
	month := 0
	if v.Cycle == CycleMonth {
		month = g.Month
	}
	rk := runKey{v.EffectiveFrom, month, q.String()}
	r := acc.runs[rk]
	if r == nil {
		r = &Run{ResourceID: g.ResourceID, ItemCode: g.ItemCode, EffectiveFrom: v.EffectiveFrom, Price: v.Price, Cycle: v.Cycle,
			ApprovalRef: v.ApprovalRef, Quantity: q, CycleDays: cycleDays, Month: month}
		acc.runs[rk] = r
	}
	r.Days += g.Days
	return nil
}

// Lines returns the year's lines, each gross rounded once, in canonical
// order (provider, district, department, system, resource, item).
func (s *Settlement) Lines() []Line {
	out := make([]Line, 0, len(s.lines))
	for k, acc := range s.lines {
		p := s.placement[k.resource]
		l := Line{ProviderCode: p.ProviderCode, DistrictCode: p.DistrictCode, DepartmentCode: p.DepartmentCode, SystemID: p.SystemID,
			ResourceID: k.resource, ItemCode: k.item, BillableDays: acc.days, QuantityDays: acc.qd, Gross: acc.sum.Rounded()}
		for _, r := range acc.runs {
			var rs Sum
			rs.AddRun(r.Quantity, r.Price, r.Days, r.CycleDays)
			r.Amount = rs.Exact()
			l.Runs = append(l.Runs, *r)
		}
		sort.Slice(l.Runs, func(i, j int) bool {
			a, b := l.Runs[i], l.Runs[j]
			if a.EffectiveFrom != b.EffectiveFrom {
				return a.EffectiveFrom < b.EffectiveFrom
			}
			if a.Month != b.Month {
				return a.Month < b.Month
			}
			return a.Quantity.LessThan(b.Quantity)
		})
		out = append(out, l)
	}
	SortLines(out)
	return out
}

// SortLines orders lines canonically: provider, district, department,
// system, resource, item.
func SortLines(ls []Line) {
	sort.Slice(ls, func(i, j int) bool { return lineLess(ls[i], ls[j]) })
}

func lineLess(a, b Line) bool {
	return cmp.Or(
		strings.Compare(a.ProviderCode, b.ProviderCode),
		strings.Compare(a.DistrictCode, b.DistrictCode),
		strings.Compare(a.DepartmentCode, b.DepartmentCode),
		strings.Compare(a.SystemID, b.SystemID),
		strings.Compare(a.ResourceID, b.ResourceID),
		strings.Compare(a.ItemCode, b.ItemCode),
	) < 0
}

// SortLinesByPlace orders lines for printing: district, department,
// provider, system, resource, item.
func SortLinesByPlace(ls []Line) {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		return cmp.Or(
			strings.Compare(a.DistrictCode, b.DistrictCode),
			strings.Compare(a.DepartmentCode, b.DepartmentCode),
			strings.Compare(a.ProviderCode, b.ProviderCode),
			strings.Compare(a.SystemID, b.SystemID),
			strings.Compare(a.ResourceID, b.ResourceID),
			strings.Compare(a.ItemCode, b.ItemCode),
		) < 0
	})
}

// Assemble builds the statement from its lines and the providers'
// evaluations: department gross = Σ lines; net = gross × coefficient
// rounded once; district rows = Σ departments; city = Σ districts.
func Assemble(year int, lines []Line, evals []ProviderEvaluation, policy string) (*Statement, error) {
	coef := map[string]decimal.Decimal{}
	for _, e := range evals {
		coef[e.ProviderCode] = e.Coefficient
	}
	type depKey struct{ provider, department string }
	deps := map[depKey]*DepartmentRow{}
	for _, l := range lines {
		c, ok := coef[l.ProviderCode]
		if !ok {
			return nil, fmt.Errorf("provider %s has lines in %d but no evaluation", l.ProviderCode, year)
		}
		k := depKey{l.ProviderCode, l.DepartmentCode}
		d := deps[k]
		if d == nil {
			d = &DepartmentRow{ProviderCode: l.ProviderCode, DistrictCode: l.DistrictCode, DepartmentCode: l.DepartmentCode, Coefficient: c}
			deps[k] = d
		}
		d.Gross = d.Gross.Add(l.Gross)
	}
	st := &Statement{Year: year, Status: StatementStatusDraft, Policy: policy, Lines: lines, Providers: evals}
	dist := map[string]*DistrictRow{}
	for _, d := range deps {
		d.Net = RoundMoney(d.Gross.Mul(d.Coefficient))
		st.Departments = append(st.Departments, *d)
		r := dist[d.DistrictCode]
		if r == nil {
			r = &DistrictRow{DistrictCode: d.DistrictCode}
			dist[d.DistrictCode] = r
		}
		r.Gross = r.Gross.Add(d.Gross)
		r.Net = r.Net.Add(d.Net)
	}
	sort.Slice(st.Departments, func(i, j int) bool {
		a, b := st.Departments[i], st.Departments[j]
		if a.DistrictCode != b.DistrictCode {
			return a.DistrictCode < b.DistrictCode
		}
		if a.DepartmentCode != b.DepartmentCode {
			return a.DepartmentCode < b.DepartmentCode
		}
		return a.ProviderCode < b.ProviderCode
	})
	for _, r := range dist {
		st.Districts = append(st.Districts, *r)
		st.Gross = st.Gross.Add(r.Gross)
		st.Net = st.Net.Add(r.Net)
	}
	sort.Slice(st.Districts, func(i, j int) bool { return st.Districts[i].DistrictCode < st.Districts[j].DistrictCode })
	sum, err := Fingerprint(st)
	if err != nil {
		return nil, err
	}
	st.SHA256 = sum
	return st, nil
}
