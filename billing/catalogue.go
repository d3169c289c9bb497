package billing

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Cycle is the period a catalogue price is quoted for.
type Cycle string

const (
	CycleYear  Cycle = "year"
	CycleMonth Cycle = "month"
	CycleDay   Cycle = "day"
)

// Days returns the divisor that turns the price into a daily rate on day d:
// the days of d's year, of d's month, or 1.
func (c Cycle) Days(d metering.Date) int {
	switch c {
	case CycleYear:
		return d.DaysInYear()
	case CycleMonth:
		return d.DaysInMonth()
	}
	return 1
}

// Valid reports whether c is one of year, month, day.
func (c Cycle) Valid() bool { return c == CycleYear || c == CycleMonth || c == CycleDay }

// PriceVersion is one approved price of a catalogue item, in force on
// [EffectiveFrom, EffectiveTo); an empty EffectiveTo is open-ended.
type PriceVersion struct {
	ItemCode      string            `db:"item_code"`
	Category      string            `db:"category"`
	Name          string            `db:"name"`
	Unit          string            `db:"unit"`
	Cycle         Cycle             `db:"cycle"`
	Price         decimal.Decimal   `db:"price"`
	EffectiveFrom metering.Date     `db:"effective_from"`
	EffectiveTo   metering.NullDate `db:"effective_to"`
	ApprovalRef   string            `db:"approval_ref"`
}

// InForce reports whether the version applies on day d.
func (v PriceVersion) InForce(d metering.Date) bool {
	return v.EffectiveFrom <= d && (!v.EffectiveTo.Valid || d < v.EffectiveTo.Date)
}

// CatalogueColumns are the columns of catalogue.csv.
var CatalogueColumns = []string{"item_code", "category", "name", "unit", "cycle", "price", "effective_from", "effective_to", "approval_ref"}

// ParsePriceVersion reads one catalogue.csv row.
func ParsePriceVersion(r *metering.Row) (PriceVersion, []metering.Problem) {
	f := metering.Fields{Row: r}
	v := PriceVersion{
		ItemCode:      f.Text("item_code", true),
		Category:      f.Text("category", true),
		Name:          f.Text("name", true),
		Unit:          f.Text("unit", true),
		Cycle:         Cycle(f.Text("cycle", true)),
		Price:         f.Decimal("price", nil, nil),
		EffectiveFrom: f.Date("effective_from"),
		EffectiveTo:   f.OptionalDate("effective_to"),
		ApprovalRef:   f.Text("approval_ref", true),
	}
	if v.Cycle != "" && !v.Cycle.Valid() {
		f.Fail("cycle", "cycle %q is not year, month or day", v.Cycle)
	}
	if r.Get("price") != "" && f.OK() && !v.Price.IsPositive() {
		f.Fail("price", "price %s must be > 0", v.Price)
	}
	if v.EffectiveTo.Valid && v.EffectiveTo.Date <= v.EffectiveFrom {
		f.Fail("effective_to", "%s is not after effective_from %s", v.EffectiveTo.Date, v.EffectiveFrom)
	}
	return v, f.Problems
}

// LocatedPrice is a price version with the line it was read from.
type LocatedPrice struct {
	PriceVersion
	File string
	Line int
}

// CheckOverlaps reports every pair of versions of one item whose effective
// ranges overlap.
func CheckOverlaps(vs []LocatedPrice) []metering.Problem {
	byItem := map[string][]LocatedPrice{}
	for _, v := range vs {
		byItem[v.ItemCode] = append(byItem[v.ItemCode], v)
	}
	var ps []metering.Problem
	for _, list := range byItem {
		sort.Slice(list, func(i, j int) bool { return list[i].EffectiveFrom < list[j].EffectiveFrom })
		for i := 1; i < len(list); i++ {
			prev, cur := list[i-1], list[i]
			if !prev.EffectiveTo.Valid || prev.EffectiveTo.Date > cur.EffectiveFrom {
				ps = append(ps, metering.Problem{File: cur.File, Line: cur.Line, Column: "effective_from",
					Reason: fmt.Sprintf("item %s: range from %s overlaps the version from %s (line %d)", cur.ItemCode, cur.EffectiveFrom, prev.EffectiveFrom, prev.Line)})
			}
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return ps
}
