package billing

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Segment is a run of days [From, To) of one (resource, item) on which the
// billing window, the approved quantity and the price version are all
// constant. Segments of month-cycle items hold days of one month (Month);
// Month is 0 for the others.
type Segment struct {
	ResourceID    string
	ItemCode      string
	Approved      decimal.Decimal
	EffectiveFrom metering.Date // of the price version
	Cycle         Cycle
	From, To      metering.Date
	Month         int
}

// OpenEnd is the To of a billing window or an approval that nothing ends.
const OpenEnd = metering.Date(1 << 30)

// Lifecycle is what one resource's lifecycle events fix for billing
// (docs/rules.md §1–§2): the billing window and, per item, the approved
// quantity over time.
type Lifecycle struct {
	ResourceID string
	Confirmed  metering.NullDate // the first confirmed event: billing starts on this day
	Released   metering.NullDate // the first released event: billing ends the day before
	Approvals  []Approval        // in (item, From) order; one item's do not overlap
}

// Approval is the quantity of one item approved on the days [From, To):
// an approved or changed event holds from its day until the day of the
// next one of its item, ordered by day, then instant, then kind (OpenEnd
// when none follows). An event followed on its own day holds no day and
// gives no approval.
type Approval struct {
	ItemCode string
	Quantity decimal.Decimal
	From, To metering.Date
}

// Window returns the billing window [first confirmed, first released),
// To being OpenEnd when the resource was never released; ok is false when
// it was never confirmed (nothing is billable).
func (l Lifecycle) Window() (from, to metering.Date, ok bool) {
	if !l.Confirmed.Valid {
		return 0, 0, false
	}
	to = OpenEnd
	if l.Released.Valid {
		to = l.Released.Date
	}
	return l.Confirmed.Date, to, true
}

// Lifecycles derives from lifecycle events, in any order, the lifecycle of
// every resource with a confirmed, released, approved or changed event, in
// resource order. Approved and changed events without an item are
// ignored.
func Lifecycles(events []metering.Event) []Lifecycle {
	byRes := map[string]*Lifecycle{}
	get := func(id string) *Lifecycle {
		l := byRes[id]
		if l == nil {
			l = &Lifecycle{ResourceID: id}
			byRes[id] = l
		}
		return l
	}
	first := func(n *metering.NullDate, d metering.Date) {
		if !n.Valid || d < n.Date {
			*n = metering.NullDate{Date: d, Valid: true}
		}
	}
	var approvals []metering.Event
	for _, e := range events {
		switch e.Kind {
		case metering.EventConfirmed:
			first(&get(e.ResourceID).Confirmed, e.Day)
		case metering.EventReleased:
			first(&get(e.ResourceID).Released, e.Day)
		case metering.EventApproved, metering.EventChanged:
			if e.ItemCode != "" {
				approvals = append(approvals, e)
			}
		}
	}
	slices.SortStableFunc(approvals, func(a, b metering.Event) int {
		return cmp.Or(strings.Compare(a.ResourceID, b.ResourceID), strings.Compare(a.ItemCode, b.ItemCode),
			cmp.Compare(a.Day, b.Day), a.At.Compare(b.At), strings.Compare(string(a.Kind), string(b.Kind)))
	})
	for i, a := range approvals {
		to := OpenEnd
		if n := i + 1; n < len(approvals) && approvals[n].ResourceID == a.ResourceID && approvals[n].ItemCode == a.ItemCode {
			to = approvals[n].Day
		}
		l := get(a.ResourceID)
		if a.Day < to {
			l.Approvals = append(l.Approvals, Approval{ItemCode: a.ItemCode, Quantity: a.Quantity, From: a.Day, To: to})
		}
	}
	out := make([]Lifecycle, 0, len(byRes))
	for _, l := range byRes {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Lifecycle) int { return strings.Compare(a.ResourceID, b.ResourceID) })
	return out
}

// Segments cuts year's days of every (resource, item) into segments, in
// (resource, item, From) order: the intersection of the billing window and
// the approvals of Lifecycles with the price versions of the item, clipped
// to the year; month-cycle items are cut at month ends. A resource never
// confirmed, an event without an item and an item without a price give
// nothing.
func Segments(year int, events []metering.Event, versions []PriceVersion) []Segment {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	byItem := map[string][]PriceVersion{}
	for _, v := range versions {
		byItem[v.ItemCode] = append(byItem[v.ItemCode], v)
	}
	var out []Segment
	for _, l := range Lifecycles(events) {
		start, end, ok := l.Window()
		if !ok {
			continue
		}
		for _, a := range l.Approvals {
			for _, v := range byItem[a.ItemCode] {
				from, to := max(a.From, start, v.EffectiveFrom, y0), min(a.To, end, y1)
				if v.EffectiveTo.Valid {
					to = min(to, v.EffectiveTo.Date)
				}
				if from < to {
					out = append(out, Segment{ResourceID: l.ResourceID, ItemCode: a.ItemCode, Approved: a.Quantity,
						EffectiveFrom: v.EffectiveFrom, Cycle: v.Cycle, From: from, To: to})
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Segment) int {
		return cmp.Or(strings.Compare(a.ResourceID, b.ResourceID), strings.Compare(a.ItemCode, b.ItemCode), cmp.Compare(a.From, b.From))
	})
	return splitMonths(out)
}

// splitMonths cuts the segments of month-cycle items at month ends, so
// that each holds days of one month (one divisor).
func splitMonths(segs []Segment) []Segment {
	out := make([]Segment, 0, len(segs))
	for _, s := range segs {
		if s.Cycle != CycleMonth {
			out = append(out, s)
			continue
		}
		for d := s.From; d < s.To; {
			next := min(s.To, metering.NewDate(d.Year(), d.Month()+1, 1))
			m := s
			m.From, m.To, m.Month = d, next, int(d.Month())
			out = append(out, m)
			d = next
		}
	}
	return out
}
