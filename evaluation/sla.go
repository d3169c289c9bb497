package evaluation

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// obligationRule pairs a start event with the event that fulfils it.
type obligationRule struct {
	kind       ObligationKind
	start, end metering.EventKind
	provider   bool // the provider's obligation (counts for the SLA share)
}

var obligationRules = []obligationRule{
	{ObligationProvision, metering.EventApproved, metering.EventProvisioned, true},
	{ObligationChange, metering.EventChangeApproved, metering.EventChanged, true},
	{ObligationExit, metering.EventExitApproved, metering.EventReleased, true},
	{ObligationGoLive, metering.EventConfirmed, metering.EventLive, false},
}

// IsProviderObligation reports whether k counts for the provider's SLA share.
func IsProviderObligation(k ObligationKind) bool { return k != ObligationGoLive }

// Obligations derives the SLA obligations of docs/rules.md §7 from lifecycle
// events, with their status as of asOf. Events dated after asOf are not
// yet known. There is one obligation per resource, kind and start date
// (two approved rows on one day are one provision). It is done by the
// first fulfilling event dated on or after the start date — for a change,
// when every item of that day's change approvals has been changed. A
// go_live obligation whose resource is released before it goes live ends
// without status and is left out. resources give the provider codes.
func Obligations(events []metering.Event, resources []metering.Resource, cal *Calendar, p Policy, asOf metering.Date) ([]Obligation, error) {
	provider := make(map[string]string, len(resources))
	for _, r := range resources {
		provider[r.ID] = r.ProviderCode
	}
	byRes := map[string][]metering.Event{}
	for _, e := range events {
		if e.Day <= asOf {
			byRes[e.ResourceID] = append(byRes[e.ResourceID], e)
		}
	}
	ids := make([]string, 0, len(byRes))
	for id := range byRes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Obligation
	for _, id := range ids {
		evs := byRes[id]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
		var released metering.NullDate
		for _, e := range evs {
			if e.Kind == metering.EventReleased && (!released.Valid || e.Day < released.Date) {
				released = metering.NullDate{Date: e.Day, Valid: true}
			}
		}
		for _, rule := range obligationRules {
			// start day → items started that day (change: each must be done)
			starts := map[metering.Date]map[string]bool{}
			var days []metering.Date
			for _, e := range evs {
				if e.Kind != rule.start {
					continue
				}
				if starts[e.Day] == nil {
					starts[e.Day] = map[string]bool{}
					days = append(days, e.Day)
				}
				starts[e.Day][e.ItemCode] = true
			}
			sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
			for _, start := range days {
				done := doneDay(evs, rule, start, starts[start])
				if rule.kind == ObligationGoLive && released.Valid && released.Date >= start &&
					(!done.Valid || released.Date < done.Date) {
					continue // released before going live: no status
				}
				o := Obligation{ProviderCode: provider[id], ResourceID: id, Kind: rule.kind, Started: start, Done: done}
				if err := o.judge(cal, p, asOf); err != nil {
					return nil, fmt.Errorf("resource %s %s from %s: %w", id, rule.kind, start, err)
				}
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// doneDay is the day the obligation started on start was fulfilled.
func doneDay(evs []metering.Event, rule obligationRule, start metering.Date, items map[string]bool) metering.NullDate {
	if rule.kind != ObligationChange {
		for _, e := range evs {
			if e.Kind == rule.end && e.Day >= start {
				return metering.NullDate{Date: e.Day, Valid: true}
			}
		}
		return metering.NullDate{}
	}
	var last metering.Date
	for item := range items {
		found := false
		for _, e := range evs {
			if e.Kind == rule.end && e.ItemCode == item && e.Day >= start {
				found = true
				last = max(last, e.Day)
				break
			}
		}
		if !found {
			return metering.NullDate{}
		}
	}
	return metering.NullDate{Date: last, Valid: true}
}

// judge sets Due, Status and LateWorkingDays as of asOf.
func (o *Obligation) judge(cal *Calendar, p Policy, asOf metering.Date) error {
	due, err := cal.AddWorkdays(o.Started, p.SLADays[o.Kind])
	if err != nil {
		return err
	}
	o.Due = due
	switch {
	case o.Done.Valid && o.Done.Date <= due:
		o.Status = ObligationOnTime
	case o.Done.Valid:
		o.Status = ObligationLate
		o.LateWorkingDays, err = cal.WorkdaysBetween(due, o.Done.Date)
	case asOf <= due:
		o.Status = ObligationOpen
	default:
		o.Status = ObligationOverdue
		o.LateWorkingDays, err = cal.WorkdaysBetween(due, asOf)
	}
	return err
}

// ObligationsOfYear keeps the obligations a year's report lists: started,
// due or done in the year, or overdue during it (due before its end and
// not done by its start). The order is provider, resource, kind, start.
func ObligationsOfYear(obs []Obligation, year int) []Obligation {
	from, to := metering.YearStart(year), metering.YearEnd(year)
	in := func(d metering.Date) bool { return from <= d && d < to }
	var out []Obligation
	for _, o := range obs {
		first := max(from, o.Due.AddDays(1)) // first day it could be overdue in the year
		overdue := first < to && (!o.Done.Valid || o.Done.Date > first)
		if in(o.Started) || in(o.Due) || o.Done.Valid && in(o.Done.Date) || overdue {
			out = append(out, o)
		}
	}
	sortObligations(out)
	return out
}

func sortObligations(obs []Obligation) {
	sort.SliceStable(obs, func(i, j int) bool {
		a, b := obs[i], obs[j]
		if a.ProviderCode != b.ProviderCode {
			return a.ProviderCode < b.ProviderCode
		}
		if a.ResourceID != b.ResourceID {
			return a.ResourceID < b.ResourceID
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Started < b.Started
	})
}

// Quarter returns the period (2024Q3) of d.
func Quarter(d metering.Date) string {
	return fmt.Sprintf("%dQ%d", d.Year(), (int(d.Month())-1)/3+1)
}

// SLAShare is a provider's SLA compliance in one quarter.
type SLAShare struct {
	ProviderCode string
	Period       string
	Due          int // provider obligations due in the quarter
	OnTime       int // of which met on time
}

// Percent is 100 × OnTime ÷ Due, or noneDue when nothing was due, as an
// exact fraction.
func (s SLAShare) Percent(noneDue decimal.Decimal) *big.Rat {
	if s.Due == 0 {
		return noneDue.Rat()
	}
	return big.NewRat(int64(100*s.OnTime), int64(s.Due))
}

// SLAShares counts, per provider and quarter of the due date, the
// provider's obligations (provision, change, exit) due and those met on
// time. Obligations still open count as not met on time.
func SLAShares(obs []Obligation) map[string]map[string]SLAShare {
	out := map[string]map[string]SLAShare{}
	for _, o := range obs {
		if !IsProviderObligation(o.Kind) {
			continue
		}
		q := Quarter(o.Due)
		if out[o.ProviderCode] == nil {
			out[o.ProviderCode] = map[string]SLAShare{}
		}
		s := out[o.ProviderCode][q]
		s.ProviderCode, s.Period = o.ProviderCode, q
		s.Due++
		if o.Status == ObligationOnTime {
			s.OnTime++
		}
		out[o.ProviderCode][q] = s
	}
	return out
}
