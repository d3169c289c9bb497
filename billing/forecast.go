package billing

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// PendingChange is a change of configuration approved (change_approved)
// but not yet carried out (no changed event of its item) as of a
// forecast's date: the item is forecast at Quantity from From on
// (docs/rules.md §10).
type PendingChange struct {
	ResourceID string
	ItemCode   string
	Quantity   decimal.Decimal
	From       metering.Date
}

// RemainingLine is what one (resource, item) is forecast to cost over the
// rest of a year: Days with a positive approved quantity, their
// quantity-days, and the amount, rounded once.
type RemainingLine struct {
	ResourceID   string
	ItemCode     string
	Days         int
	QuantityDays decimal.Decimal
	Amount       decimal.Decimal
}

// Remaining is the forecast rule of docs/rules.md §10: for every resource
// in service after asOf (confirmed on or before it, not released on or
// before it), each item's approved quantity in force after asOf, at the
// price versions in force on each day (known future versions included),
// over the days from asOf+1 (or 1 January of year, if later) to 31
// December of year. A pending change replaces the item's quantity from its
// From day (no earlier than asOf+1); a resource with a pending exit is
// forecast up to the day before exits[id], a resource with a known release
// up to the day before it. Lifecycles are those of the events known on
// asOf (Lifecycles of the events dated on or before it). Each line's
// amount is the exact sum of its days, rounded once; the lines come in
// (resource, item) order.
func Remaining(year int, asOf metering.Date, lifecycles []Lifecycle, changes []PendingChange, exits map[string]metering.Date, cat *Catalogue) []RemainingLine {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	start := max(asOf.AddDays(1), y0)
	byRes := map[string][]PendingChange{}
	for _, c := range changes {
		byRes[c.ResourceID] = append(byRes[c.ResourceID], c)
	}
	var out []RemainingLine
	for _, l := range lifecycles {
		from, to, ok := l.Window()
		if !ok || from > asOf {
			continue // not in service yet: not forecast
		}
		end := min(to, y1)
		if d, ok := exits[l.ResourceID]; ok {
			end = min(end, d)
		}
		if start >= end {
			continue
		}
		// the items: those approved, and those of pending changes
		items := map[string][]piece{}
		for _, a := range l.Approvals {
			if f, t := max(a.From, start), min(a.To, end); f < t {
				items[a.ItemCode] = append(items[a.ItemCode], piece{f, t, a.Quantity})
			}
		}
		pending := slices.Clone(byRes[l.ResourceID])
		slices.SortStableFunc(pending, func(a, b PendingChange) int {
			return cmp.Or(strings.Compare(a.ItemCode, b.ItemCode), cmp.Compare(a.From, b.From))
		})
		for _, c := range pending {
			f := max(c.From, start)
			if f >= end {
				continue
			}
			var kept []piece
			for _, p := range items[c.ItemCode] {
				if p.from < f {
					p.to = min(p.to, f)
					kept = append(kept, p)
				}
			}
			items[c.ItemCode] = append(kept, piece{f, end, c.Quantity})
		}
		codes := make([]string, 0, len(items))
		for code := range items {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			line := RemainingLine{ResourceID: l.ResourceID, ItemCode: code}
			var sum Sum
			for _, p := range items[code] {
				if !p.q.IsPositive() {
					continue
				}
				for _, v := range cat.Versions(code) {
					f, t := max(p.from, v.EffectiveFrom), p.to
					if v.EffectiveTo.Valid {
						t = min(t, v.EffectiveTo.Date)
					}
					if f >= t {
						continue
					}
					sum.AddDays(p.q, v, f, t)
					line.Days += t.Sub(f)
					line.QuantityDays = line.QuantityDays.Add(p.q.Mul(decimal.NewFromInt(int64(t.Sub(f)))))
				}
			}
			if line.Days > 0 {
				line.Amount = sum.Rounded()
				out = append(out, line)
			}
		}
	}
	return out
}

// piece is a quantity in force on the days [from, to).
type piece struct {
	from, to metering.Date
	q        decimal.Decimal
}
