package billing

import (
	"math/big"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Catalogue answers which price version of an item is in force on a day.
type Catalogue struct {
	byItem map[string][]PriceVersion // sorted by EffectiveFrom
}

// NewCatalogue indexes price versions by item.
func NewCatalogue(vs []PriceVersion) *Catalogue {
	c := &Catalogue{byItem: map[string][]PriceVersion{}}
	for _, v := range vs {
		c.byItem[v.ItemCode] = append(c.byItem[v.ItemCode], v)
	}
	for _, list := range c.byItem {
		sort.Slice(list, func(i, j int) bool { return list[i].EffectiveFrom < list[j].EffectiveFrom })
	}
	return c
}

// At returns the version of item in force on d.
func (c *Catalogue) At(item string, d metering.Date) (PriceVersion, bool) {
	list := c.byItem[item]
	i := sort.Search(len(list), func(i int) bool { return list[i].EffectiveFrom > d }) - 1
	if i >= 0 && list[i].InForce(d) {
		return list[i], true
	}
	return PriceVersion{}, false
}

// Versions returns the versions of item, oldest first.
func (c *Catalogue) Versions(item string) []PriceVersion { return c.byItem[item] }

// Items returns every item code, sorted.
func (c *Catalogue) Items() []string {
	out := make([]string, 0, len(c.byItem))
	for k := range c.byItem {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Billable is the billable quantity of a day (docs/rules.md §2–§3): the metered
// quantity, but never more than the approved one, min(metered, approved).
// The excess, metered − Billable, is not payable.
func Billable(metered, approved decimal.Decimal) decimal.Decimal {
	if metered.LessThan(approved) {
		return metered
	}
	return approved
}

// Sum accumulates amounts of the form quantity × price × days ÷ cycle days
// exactly, as a rational number: no rounding happens until Rounded. The
// zero value is an empty sum.
type Sum struct{ r big.Rat }

// AddRun adds q × price × days ÷ cycleDays.
func (s *Sum) AddRun(q, price decimal.Decimal, days, cycleDays int) {
	if days == 0 || q.IsZero() {
		return
	}
	x := new(big.Rat).Mul(q.Rat(), price.Rat())
	x.Mul(x, new(big.Rat).SetFrac64(int64(days), int64(cycleDays)))
	s.r.Add(&s.r, x)
}

// AddDays adds q of version v on each day of [from, to), splitting the range
// at month and year boundaries where the cycle divisor changes.
func (s *Sum) AddDays(q decimal.Decimal, v PriceVersion, from, to metering.Date) {
	for d := from; d < to; {
		end := to
		switch v.Cycle {
		case CycleYear:
			end = min(to, metering.YearEnd(d.Year()))
		case CycleMonth:
			end = min(to, metering.NewDate(d.Year(), d.Month()+1, 1))
		}
		s.AddRun(q, v.Price, end.Sub(d), v.Cycle.Days(d))
		d = end
	}
}

// Exact returns the sum as a decimal with up to 12 decimal places, for
// display and tracing only (rounded half away from zero).
func (s *Sum) Exact() decimal.Decimal { return Round(&s.r, 12) }

// Rounded returns the sum rounded once, half away from zero, to 0.01 元.
func (s *Sum) Rounded() decimal.Decimal { return Round(&s.r, moneyPlaces) }

// Rat returns a copy of the exact value.
func (s *Sum) Rat() *big.Rat { return new(big.Rat).Set(&s.r) }

// moneyPlaces is the precision of money: 0.01 元.
const moneyPlaces = 2

// RoundMoney rounds an amount once, half away from zero, to 0.01 元: the
// single rounding rule of docs/rules.md §4.
func RoundMoney(d decimal.Decimal) decimal.Decimal { return Round(d.Rat(), moneyPlaces) }

// Round rounds r half away from zero to places decimal places: the one
// implementation of the rounding rule. Money is rounded to 0.01 元
// (RoundMoney, Sum.Rounded); exact values are shown with more places
// (Sum.Exact, evaluation scores).
func Round(r *big.Rat, places int32) decimal.Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den → away from zero
	m2 := new(big.Int).Abs(m)
	m2.Lsh(m2, 1)
	if m2.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return decimal.NewFromBigInt(q, -places)
}
