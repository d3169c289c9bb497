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

// Segments cuts year's days of every (resource, item) into segments, in
// (resource, item, From) order: the intersection of the billing window
// [first confirmed, first released), the approval intervals (an approved
// or changed event holds until the next one of its item, ordered by day
// and then instant) and the price versions of the item, clipped to the
// year; month-cycle items are cut at month ends. A resource never
// confirmed, an event without an item and an item without a price give
// nothing.
func Segments(year int, events []metering.Event, versions []PriceVersion) []Segment {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	type window struct {
		start, end         metering.Date
		confirmed, release bool
	}
	windows := map[string]*window{}
	var approvals []metering.Event
	for _, e := range events {
		switch e.Kind {
		case metering.EventConfirmed, metering.EventReleased:
			w := windows[e.ResourceID]
			if w == nil {
				w = &window{}
				windows[e.ResourceID] = w
			}
			if e.Kind == metering.EventConfirmed && (!w.confirmed || e.Day < w.start) {
				w.start, w.confirmed = e.Day, true
			}
			if e.Kind == metering.EventReleased && (!w.release || e.Day < w.end) {
				w.end, w.release = e.Day, true
			}
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
	byItem := map[string][]PriceVersion{}
	for _, v := range versions {
		byItem[v.ItemCode] = append(byItem[v.ItemCode], v)
	}
	var out []Segment
	for i, a := range approvals {
		w := windows[a.ResourceID]
		if w == nil || !w.confirmed {
			continue
		}
		to := y1
		if n := i + 1; n < len(approvals) && approvals[n].ResourceID == a.ResourceID && approvals[n].ItemCode == a.ItemCode {
			to = min(to, approvals[n].Day)
		}
		if w.release {
			to = min(to, w.end)
		}
		for _, v := range byItem[a.ItemCode] {
			from, end := max(a.Day, w.start, v.EffectiveFrom, y0), to
			if v.EffectiveTo.Valid {
				end = min(end, v.EffectiveTo.Date)
			}
			if from < end {
				out = append(out, Segment{ResourceID: a.ResourceID, ItemCode: a.ItemCode, Approved: a.Quantity,
					EffectiveFrom: v.EffectiveFrom, Cycle: v.Cycle, From: from, To: end})
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
