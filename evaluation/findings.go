package evaluation

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// Suggested actions of idle and zombie findings (DESIGN.md §2.6): idle
// runs shorter than the policy's reclaim.min_days are to be rectified
// within rectify.working_days working days, longer ones and zombies
// reclaimed. The other kinds carry no action code: what to do follows from
// the kind (reports word it).
const (
	ActionRectify = "rectify"
	ActionReclaim = "reclaim"
)

// Place is where a resource sits: its system, department, district,
// provider and kind.
type Place struct {
	ResourceID     string        `db:"resource_id"`
	SystemID       string        `db:"system_id"`
	DepartmentCode string        `db:"department_code"`
	DistrictCode   string        `db:"district_code"`
	ProviderCode   string        `db:"provider_code"`
	Kind           metering.Kind `db:"kind"`
}

// IdleActivity reports whether one day of activity is idle for a resource
// of family f under the policy (service kinds are never idle).
func (p Policy) IdleActivity(f metering.Family, cpuAvg, cpuMax, diskUsed decimal.Decimal, netBytes int64) bool {
	switch f {
	case metering.FamilyCompute:
		return cpuAvg.LessThan(p.IdleCPUAvgBelow) && cpuMax.LessThan(p.IdleCPUMaxBelow) && netBytes < p.IdleNetBytesBelow
	case metering.FamilyStorage:
		return diskUsed.LessThan(p.IdleDiskUsedBelow)
	case metering.FamilyNetwork:
		return netBytes < p.IdleNetBytesBelow
	}
	return false
}

// span is the days [From, To) — To exclusive.
type span struct{ From, To metering.Date }

func (s span) empty() bool { return s.To <= s.From }

func (s span) cut(o span) span { return span{max(s.From, o.From), min(s.To, o.To)} }

// approval is an approved quantity of one item over [From, To).
type approval struct {
	span
	Qty decimal.Decimal
}

type resState struct {
	place     Place
	family    metering.Family
	window    span // billing window clipped to as-of; empty when not billable
	confirmed bool
	released  metering.NullDate
	items     []string              // approved items, sorted
	approvals map[string][]approval // per item, in date order, non-empty spans
	idle      []span                // raw idle runs of activity
	seenUsage map[string]bool       // items with a usage summary
}

// approvedAt is the approved quantity of item on d (zero, false: none).
func (r *resState) approvedAt(item string, d metering.Date) (decimal.Decimal, bool) {
	for _, a := range r.approvals[item] {
		if a.From <= d && d < a.To {
			return a.Qty, true
		}
	}
	return decimal.Zero, false
}

// AmountRange is a stretch of days of one resource and item with one
// approved quantity and one price version, whose metered quantities the
// store sums for the money of idle and zombie findings.
type AmountRange struct {
	ID         int
	ResourceID string
	ItemCode   string
	First      metering.Date
	Last       metering.Date // inclusive

	finding  int
	approved decimal.Decimal
	version  billing.PriceVersion
}

// UsageDay is one metered day of a resource and item.
type UsageDay struct {
	Day      metering.Date
	Quantity decimal.Decimal
}

// UsageSummary sums up the usage rows of one resource and item up to the
// as-of date: how many fall on days inside the billing window on or after
// the item's first approval (N, with their first and last day), and the
// notable rows — metered while never confirmed, on or after release, or,
// inside the window, before the first approval or possibly above the
// approved quantity (a superset is fine: the detector checks exactly).
type UsageSummary struct {
	ResourceID string
	ItemCode   string
	N          int
	First      metering.NullDate
	Last       metering.NullDate
	Notable    []UsageDay
}

// Detector finds the resource-use findings of DESIGN.md §2.6 from data a
// store streams into it in a few set-based passes:
//
//  1. AddIdleRun for every run of consecutive idle activity days;
//  2. AmountRanges, then AddRangeUsage with the usage rows of those ranges
//     grouped by range, quantity and month;
//  3. AddUsageSummary for every (resource, item) of the usage rows;
//  4. GapPairs, then AddUsageDays with the metered days of those pairs;
//  5. Findings.
type Detector struct {
	p        Policy
	asOf     metering.Date
	cat      *billing.Catalogue
	res      map[string]*resState
	ids      []string
	findings []Finding
	sums     []billing.Sum
	ranges   []AmountRange
	gapNeed  map[[2]string]bool
}

// NewDetector prepares a detector as of asOf from the resources' places,
// the lifecycle events (those after asOf are ignored), the catalogue and
// the policy. Billing window = confirmed ≤ d < released, and d ≤ asOf;
// the approved quantity on d is that of the latest approved/changed event
// of the item dated on or before d.
func NewDetector(places []Place, events []metering.Event, versions []billing.PriceVersion, p Policy, asOf metering.Date) *Detector {
	d := &Detector{p: p, asOf: asOf, cat: billing.NewCatalogue(versions), res: map[string]*resState{}, gapNeed: map[[2]string]bool{}}
	for _, pl := range places {
		fam, _ := pl.Kind.Family()
		d.res[pl.ResourceID] = &resState{place: pl, family: fam, approvals: map[string][]approval{}, seenUsage: map[string]bool{}}
		d.ids = append(d.ids, pl.ResourceID)
	}
	sort.Strings(d.ids)
	evs := make([]metering.Event, 0, len(events))
	for _, e := range events {
		if e.Day <= asOf && d.res[e.ResourceID] != nil {
			evs = append(evs, e)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].ResourceID != evs[j].ResourceID {
			return evs[i].ResourceID < evs[j].ResourceID
		}
		if evs[i].Day != evs[j].Day {
			return evs[i].Day < evs[j].Day
		}
		return evs[i].At.Before(evs[j].At)
	})
	var confirmed = map[string]metering.NullDate{}
	for _, e := range evs {
		r := d.res[e.ResourceID]
		switch e.Kind {
		case metering.EventConfirmed:
			if c := confirmed[e.ResourceID]; !c.Valid || e.Day < c.Date {
				confirmed[e.ResourceID] = metering.NullDate{Date: e.Day, Valid: true}
			}
		case metering.EventReleased:
			if !r.released.Valid || e.Day < r.released.Date {
				r.released = metering.NullDate{Date: e.Day, Valid: true}
			}
		case metering.EventApproved, metering.EventChanged:
			list := r.approvals[e.ItemCode]
			if n := len(list); n > 0 {
				list[n-1].To = e.Day
				if list[n-1].empty() {
					list = list[:n-1]
				}
			} else {
				r.items = append(r.items, e.ItemCode)
			}
			r.approvals[e.ItemCode] = append(list, approval{span{e.Day, metering.Date(1 << 30)}, e.Quantity})
		}
	}
	for _, id := range d.ids {
		r := d.res[id]
		sort.Strings(r.items)
		if c, ok := confirmed[id]; ok {
			r.confirmed = true
			end := asOf.AddDays(1)
			if r.released.Valid {
				end = min(end, r.released.Date)
			}
			r.window = span{c.Date, end}
		}
	}
	return d
}

// AddIdleRun records that resourceID was idle on every day of [first, last].
func (d *Detector) AddIdleRun(resourceID string, first, last metering.Date) {
	if r := d.res[resourceID]; r != nil && r.family != metering.FamilyService {
		r.idle = append(r.idle, span{first, last.AddDays(1)})
	}
}

func (d *Detector) add(f Finding) int {
	d.findings = append(d.findings, f)
	d.sums = append(d.sums, billing.Sum{})
	return len(d.findings) - 1
}

func (d *Detector) finding(kind FindingKind, r *resState, item string, s span) Finding {
	return Finding{Kind: kind, DistrictCode: r.place.DistrictCode, DepartmentCode: r.place.DepartmentCode,
		SystemID: r.place.SystemID, ResourceID: r.place.ResourceID, ItemCode: item,
		FirstDay: s.From, LastDay: s.To.AddDays(-1), Days: s.To.Sub(s.From)}
}

func (d *Detector) idleAction(days int) string {
	if days >= d.p.ReclaimMinDays {
		return ActionReclaim
	}
	return ActionRectify
}

// AmountRanges turns the idle runs into idle and zombie findings and
// returns the ranges whose usage the store must sum (AddRangeUsage).
func (d *Detector) AmountRanges() []AmountRange {
	bySystem := map[string][]*resState{}
	var systems []string
	for _, id := range d.ids {
		r := d.res[id]
		sort.Slice(r.idle, func(i, j int) bool { return r.idle[i].From < r.idle[j].From })
		clipped := r.idle[:0]
		for _, s := range r.idle {
			if c := s.cut(r.window); !c.empty() {
				clipped = append(clipped, c)
			}
		}
		r.idle = clipped
		for _, s := range r.idle {
			if s.To.Sub(s.From) >= d.p.IdleMinDays {
				f := d.finding(FindingIdle, r, "", s)
				f.Action = d.idleAction(f.Days)
				d.addRanges(d.add(f), r, s)
			}
		}
		if bySystem[r.place.SystemID] == nil {
			systems = append(systems, r.place.SystemID)
		}
		bySystem[r.place.SystemID] = append(bySystem[r.place.SystemID], r)
	}
	sort.Strings(systems)
	for _, sys := range systems {
		for _, s := range d.zombieRuns(bySystem[sys]) {
			first := bySystem[sys][0]
			f := d.finding(FindingZombie, first, "", s)
			f.ResourceID = ""
			f.Action = ActionReclaim
			i := d.add(f)
			for _, r := range bySystem[sys] {
				d.addRanges(i, r, s)
			}
		}
	}
	return d.ranges
}

// zombieRuns are the runs of at least ZombieMinDays days on which the
// system has at least one billable resource that can be idle (compute,
// storage, network) and every such resource is idle. Service resources,
// never idle by definition, follow their system and do not keep it alive.
func (d *Detector) zombieRuns(rs []*resState) []span {
	delta := map[metering.Date][2]int{} // billable, idle
	bump := func(day metering.Date, i, n int) {
		v := delta[day]
		v[i] += n
		delta[day] = v
	}
	for _, r := range rs {
		if r.family == metering.FamilyService || r.window.empty() {
			continue
		}
		bump(r.window.From, 0, 1)
		bump(r.window.To, 0, -1)
		for _, s := range r.idle {
			bump(s.From, 1, 1)
			bump(s.To, 1, -1)
		}
	}
	days := make([]metering.Date, 0, len(delta))
	for day := range delta {
		days = append(days, day)
	}
	sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
	var out []span
	billable, idle := 0, 0
	var cur *span
	for i, day := range days {
		billable += delta[day][0]
		idle += delta[day][1]
		if i+1 == len(days) {
			break
		}
		seg := span{day, days[i+1]}
		if billable > 0 && idle == billable {
			if cur != nil && cur.To == seg.From {
				cur.To = seg.To
			} else {
				out = append(out, seg)
				cur = &out[len(out)-1]
			}
		}
	}
	kept := out[:0]
	for _, s := range out {
		if s.To.Sub(s.From) >= d.p.ZombieMinDays {
			kept = append(kept, s)
		}
	}
	return kept
}

// addRanges adds the amount ranges of resource r over s for finding i:
// every approved item, split where the approved quantity or the price
// version changes.
func (d *Detector) addRanges(i int, r *resState, s span) {
	s = s.cut(r.window)
	if s.empty() {
		return
	}
	for _, item := range r.items {
		for _, a := range r.approvals[item] {
			as := s.cut(a.span)
			if as.empty() || !a.Qty.IsPositive() {
				continue
			}
			for _, v := range d.cat.Versions(item) {
				vs := span{v.EffectiveFrom, metering.Date(1 << 30)}
				if v.EffectiveTo.Valid {
					vs.To = v.EffectiveTo.Date
				}
				c := as.cut(vs)
				if c.empty() {
					continue
				}
				d.ranges = append(d.ranges, AmountRange{ID: len(d.ranges), ResourceID: r.place.ResourceID, ItemCode: item,
					First: c.From, Last: c.To.AddDays(-1), finding: i, approved: a.Qty, version: v})
			}
		}
	}
}

// AddRangeUsage adds days metered days of quantity within amount range id,
// all in the month of day: billed min(quantity, approved) × daily rate.
func (d *Detector) AddRangeUsage(id int, quantity decimal.Decimal, day metering.Date, days int) {
	if id < 0 || id >= len(d.ranges) {
		return
	}
	g := d.ranges[id]
	q := decimal.Min(quantity, g.approved)
	d.sums[g.finding].AddRun(q, g.version.Price, days, g.version.Cycle.Days(day))
}

// AddUsageSummary records one (resource, item) summary of the usage rows
// and turns its notable rows into beyond_approval, unconfirmed and
// after_release findings.
func (d *Detector) AddUsageSummary(s UsageSummary) {
	r := d.res[s.ResourceID]
	if r == nil {
		return
	}
	r.seenUsage[s.ItemCode] = true
	d.checkGaps(r, s)
	rows := s.Notable
	sort.Slice(rows, func(i, j int) bool { return rows[i].Day < rows[j].Day })
	var (
		cur     = -1
		curKind FindingKind
		curLast metering.Date
	)
	for _, u := range rows {
		if u.Day > d.asOf {
			continue
		}
		var kind FindingKind
		qty := u.Quantity
		switch {
		case !r.confirmed:
			kind = FindingUnconfirmed
		case r.released.Valid && u.Day >= r.released.Date:
			kind = FindingAfterRelease
		case u.Day < r.window.From:
			continue // testing before confirmation
		default:
			a, _ := r.approvedAt(s.ItemCode, u.Day)
			if !qty.GreaterThan(a) {
				continue
			}
			kind = FindingBeyondApproval
			qty = qty.Sub(a)
		}
		if cur < 0 || kind != curKind || u.Day != curLast.AddDays(1) {
			f := d.finding(kind, r, s.ItemCode, span{u.Day, u.Day.AddDays(1)})
			cur, curKind = d.add(f), kind
		}
		curLast = u.Day
		f := &d.findings[cur]
		f.LastDay = u.Day
		f.Days = f.LastDay.Sub(f.FirstDay) + 1
		if v, ok := d.cat.At(s.ItemCode, u.Day); ok {
			d.sums[cur].AddRun(qty, v.Price, 1, v.Cycle.Days(u.Day))
		}
	}
}

// expected returns the days of item on which a usage row is due: inside the
// billing window with a positive approved quantity, merged into runs.
func (r *resState) expected(item string) []span {
	var out []span
	for _, a := range r.approvals[item] {
		c := a.span.cut(r.window)
		if c.empty() || !a.Qty.IsPositive() {
			continue
		}
		if n := len(out); n > 0 && out[n-1].To == c.From {
			out[n-1].To = c.To
		} else {
			out = append(out, c)
		}
	}
	return out
}

func spanDays(ss []span) int {
	n := 0
	for _, s := range ss {
		n += s.To.Sub(s.From)
	}
	return n
}

// checkGaps finds the gaps of one summary when its counts suffice, or
// marks the pair for AddUsageDays.
func (d *Detector) checkGaps(r *resState, s UsageSummary) {
	exp := r.expected(s.ItemCode)
	total := spanDays(exp)
	// N counts the days from the first approval on; it matches the
	// expected days only when no approval sets the quantity to zero.
	simple := true
	for _, a := range r.approvals[s.ItemCode] {
		simple = simple && a.Qty.IsPositive()
	}
	switch {
	case total == 0:
	case !simple:
		d.gapNeed[[2]string{r.place.ResourceID, s.ItemCode}] = true
	case s.N == total:
	case s.N == 0:
		d.gaps(r, s.ItemCode, exp)
	case len(exp) == 1 && s.First.Valid && s.Last.Valid && s.N == s.Last.Date.Sub(s.First.Date)+1:
		d.gaps(r, s.ItemCode, []span{{exp[0].From, s.First.Date}, {s.Last.Date.AddDays(1), exp[0].To}})
	default:
		d.gapNeed[[2]string{r.place.ResourceID, s.ItemCode}] = true
	}
}

func (d *Detector) gaps(r *resState, item string, ss []span) {
	for _, s := range ss {
		if !s.empty() {
			f := d.finding(FindingGap, r, item, s)
			d.add(f)
		}
	}
}

// GapPairs returns the (resource, item) pairs whose gaps need the list of
// metered days: the approved items never metered get their gaps here.
func (d *Detector) GapPairs() [][2]string {
	for _, id := range d.ids {
		r := d.res[id]
		for _, item := range r.items {
			if !r.seenUsage[item] {
				r.seenUsage[item] = true
				d.gaps(r, item, r.expected(item))
			}
		}
	}
	out := make([][2]string, 0, len(d.gapNeed))
	for k := range d.gapNeed {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// AddUsageDays gives the metered days of a pair from GapPairs.
func (d *Detector) AddUsageDays(resourceID, item string, days []metering.Date) {
	r := d.res[resourceID]
	if r == nil || !d.gapNeed[[2]string{resourceID, item}] {
		return
	}
	delete(d.gapNeed, [2]string{resourceID, item})
	have := make(map[metering.Date]bool, len(days))
	for _, day := range days {
		have[day] = true
	}
	var missing []span
	for _, s := range r.expected(item) {
		for day := s.From; day < s.To; day++ {
			if have[day] {
				continue
			}
			if n := len(missing); n > 0 && missing[n-1].To == day {
				missing[n-1].To++
			} else {
				missing = append(missing, span{day, day + 1})
			}
		}
	}
	d.gaps(r, item, missing)
}

// Findings returns every finding with its amount rounded once to 0.01 元,
// ordered by district, department, system, resource, item, kind and day.
func (d *Detector) Findings() []Finding {
	out := make([]Finding, len(d.findings))
	for i, f := range d.findings {
		f.Amount = d.sums[i].Rounded()
		out[i] = f
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings by district, department, system, resource,
// item, kind and first day.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		switch {
		case a.DistrictCode != b.DistrictCode:
			return a.DistrictCode < b.DistrictCode
		case a.DepartmentCode != b.DepartmentCode:
			return a.DepartmentCode < b.DepartmentCode
		case a.SystemID != b.SystemID:
			return a.SystemID < b.SystemID
		case a.ResourceID != b.ResourceID:
			return a.ResourceID < b.ResourceID
		case a.ItemCode != b.ItemCode:
			return a.ItemCode < b.ItemCode
		case a.Kind != b.Kind:
			return a.Kind < b.Kind
		}
		return a.FirstDay < b.FirstDay
	})
}

// FindingsOfYear keeps the findings whose run overlaps year.
func FindingsOfYear(fs []Finding, year int) []Finding {
	from, to := metering.YearStart(year), metering.YearEnd(year)
	var out []Finding
	for _, f := range fs {
		if f.FirstDay < to && f.LastDay >= from {
			out = append(out, f)
		}
	}
	return out
}
