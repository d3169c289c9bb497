package billing

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// UsageMonth is one month of metering of a (resource, item) at one
// quantity, as the store summarises the usage rows: bit d−1 of Days is set
// when day d of the month was metered at Quantity. A (resource, item,
// month) has one UsageMonth per quantity metered in it.
type UsageMonth struct {
	ResourceID string
	ItemCode   string
	Month      metering.Date // the month's first day
	Quantity   string        // a decimal number, as stored ("4", "4.0")
	Days       uint32
}

// ErrNoSegments is returned by Tally.Groups when the segments never came.
var ErrNoSegments = errors.New("no segments")

// Tally counts a year's billable days from its usage months: each month is
// matched with the segments of its (resource, item) that overlap it, its
// days inside each segment are counted, and they are grouped by billable
// quantity (Billable of the metered and the approved quantity), so that a
// segment yields one DayGroup per billable quantity. Usage months may come
// before the segments (the store streams them while the events are still
// being cut into segments): Add keeps them until SetSegments.
type Tally struct {
	segs       []Segment
	byPair     map[pair][]int32 // indexes into segs, by From
	acc        [][]dayCount     // by segment index: a few groups each
	pending    []UsageMonth     // added before the segments
	ready      bool
	quantities map[string]decimal.Decimal // parsed quantities, by text
	nextMonth  map[metering.Date]metering.Date
	monthly    bool // day groups per calendar month (NewMonthlyTally)
}

type pair struct{ res, item string }

// dayCount is the days of one segment at one billable quantity (and, in
// a monthly tally, in one month: 1–12; 0 otherwise).
type dayCount struct {
	billable decimal.Decimal
	days     int32
	month    int32
}

// NewTally starts an empty tally, waiting for its segments.
func NewTally() *Tally {
	return &Tally{quantities: map[string]decimal.Decimal{}, nextMonth: map[metering.Date]metering.Date{}}
}

// NewMonthlyTally starts a tally whose day groups are cut at month ends
// as well: each DayGroup holds the days of one calendar month (Month 1–12,
// whatever the item's cycle), as the accruals need them (Accruals,
// docs/rules.md §10). The annual settlement uses NewTally.
func NewMonthlyTally() *Tally {
	t := NewTally()
	t.monthly = true
	return t
}

// Ready reports whether SetSegments was called.
func (t *Tally) Ready() bool { return t.ready }

// SetSegments gives the tally the year's segments (Segments) and counts
// the usage months added so far.
func (t *Tally) SetSegments(segs []Segment) error {
	t.segs, t.ready = segs, true
	t.acc = make([][]dayCount, len(segs))
	t.byPair = make(map[pair][]int32, len(segs))
	for i, s := range segs {
		k := pair{s.ResourceID, s.ItemCode}
		t.byPair[k] = append(t.byPair[k], int32(i))
	}
	pending := t.pending
	t.pending = nil
	for _, m := range pending {
		if err := t.Add(m); err != nil {
			return err
		}
	}
	return nil
}

// Add counts the days of m in every segment of its (resource, item), or
// keeps m until SetSegments.
func (t *Tally) Add(m UsageMonth) error {
	if !t.ready {
		t.pending = append(t.pending, m)
		return nil
	}
	next, ok := t.nextMonth[m.Month]
	if !ok {
		next = metering.NewDate(m.Month.Year(), m.Month.Month()+1, 1)
		t.nextMonth[m.Month] = next
	}
	var month int32
	if t.monthly {
		month = int32(m.Month.Month())
	}
	for _, i := range t.byPair[pair{m.ResourceID, m.ItemCode}] {
		s := &t.segs[i]
		if s.To <= m.Month || s.From >= next {
			continue
		}
		n := countDays(m.Days, m.Month, next, s.From, s.To)
		if n == 0 {
			continue
		}
		q, ok := t.quantities[m.Quantity]
		if !ok {
			var err error
			if q, err = decimal.NewFromString(m.Quantity); err != nil {
				return fmt.Errorf("usage of %s %s in %s: quantity %q: %w", m.ResourceID, m.ItemCode, m.Month, m.Quantity, err)
			}
			t.quantities[m.Quantity] = q
		}
		b := Billable(q, s.Approved)
		gs := &t.acc[i]
		var j int
		if t.monthly {
			j = slices.IndexFunc(*gs, func(g dayCount) bool { return g.month == month && g.billable.Equal(b) })
		} else {
			j = slices.IndexFunc(*gs, func(g dayCount) bool { return g.billable.Equal(b) })
		}
		if j < 0 {
			*gs = append(*gs, dayCount{billable: b, month: month})
			j = len(*gs) - 1
		}
		(*gs)[j].days += int32(n)
	}
	return nil
}

// Groups calls fn with every day group, in segment order and, within a
// segment, by billable quantity (in a monthly tally by month, then
// billable quantity); Metered is the billable quantity (the metered one,
// or the approved one for the days metered at or above it). Feed them to
// Settlement.Add (or, from a monthly tally, to Accruals.Add).
func (t *Tally) Groups(fn func(DayGroup) error) error {
	if !t.ready {
		return ErrNoSegments
	}
	for i, gs := range t.acc {
		slices.SortFunc(gs, func(a, b dayCount) int {
			if a.month != b.month {
				return int(a.month - b.month)
			}
			return a.billable.Cmp(b.billable)
		})
		s := &t.segs[i]
		for _, g := range gs {
			month := s.Month
			if t.monthly {
				month = int(g.month)
			}
			if err := fn(DayGroup{ResourceID: s.ResourceID, ItemCode: s.ItemCode, EffectiveFrom: s.EffectiveFrom, Approved: s.Approved,
				Month: month, Metered: g.billable, Days: int(g.days)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// countDays counts the days of [from, to) whose bit is set in days, the
// bits of the month [month, next).
func countDays(days uint32, month, next, from, to metering.Date) int {
	lo, hi := max(from, month), min(to, next)
	if lo >= hi {
		return 0
	}
	mask := uint32((uint64(1)<<hi.Sub(lo) - 1) << lo.Sub(month))
	return bits.OnesCount32(days & mask)
}
