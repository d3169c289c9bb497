package evaluation

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// Action is the suggested action of an idle or zombie finding
// (docs/rules.md §8): idle runs shorter than the policy's reclaim.min_days are to be
// rectified within rectify.working_days working days, longer ones and
// zombies reclaimed. The other kinds carry no action code: what to do
// follows from the kind (reports word it).
type Action string

const (
	ActionRectify Action = "rectify"
	ActionReclaim Action = "reclaim"
)

// IdleAction is the suggested action of an idle run of days days: reclaim
// from reclaim.min_days on, else rectify (within RectifyWorkdays working
// days). Zombies are always reclaimed.
func (p Policy) IdleAction(days int) Action {
	if days >= p.ReclaimMinDays {
		return ActionReclaim
	}
	return ActionRectify
}

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

// IdleDay reports whether one day of activity is idle for a resource of
// family f under the policy (docs/rules.md §8; service kinds are never
// idle): the one definition of an idle day, for the ingest and the
// rebuild of the idle summary alike.
func (p Policy) IdleDay(f metering.Family, cpuAvg, cpuMax, diskUsed decimal.Decimal, netBytes int64) bool {
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
	approvals map[string][]approval // per item, in date order (billing.Lifecycle.Approvals)
	idle      []span                // raw idle runs of activity
	usage     map[string][]usageRun // per item, metered runs up to as-of
}

// UsageRun is a run of consecutive days [First, Last] on which one
// resource metered one item at one quantity: the usage rows of a pair,
// compressed.
type UsageRun struct {
	ResourceID string
	ItemCode   string
	First      metering.Date
	Last       metering.Date // inclusive
	Quantity   decimal.Decimal
}

// usageRun is a UsageRun of a known pair, days [From, To).
type usageRun struct {
	span
	Qty decimal.Decimal
}

// Detector finds the resource-use findings of docs/rules.md §8 from data a
// store streams into it in two set-based passes, in any order:
//
//  1. AddIdleRun for every run of consecutive idle activity days;
//  2. AddUsageRun for every run of consecutive metered days of one
//     resource and item at one quantity (together, exactly the usage rows
//     up to the as-of date);
//
// then Findings computes every finding and its money in Go.
type Detector struct {
	p        Policy
	asOf     metering.Date
	cat      *billing.Catalogue
	res      map[string]*resState
	ids      []string
	findings []Finding
	sums     []billing.Sum
}

// NewDetector prepares a detector as of asOf from the resources' places,
// the lifecycle events (those after asOf are ignored), the catalogue and
// the policy. The billing window and the approvals are those of
// billing.Lifecycles (the ones settlement bills by), the window clipped to
// end on asOf at the latest.
func NewDetector(places []Place, events []metering.Event, versions []billing.PriceVersion, p Policy, asOf metering.Date) *Detector {
	d := &Detector{p: p, asOf: asOf, cat: billing.NewCatalogue(versions), res: map[string]*resState{}}
	for _, pl := range places {
		fam, _ := pl.Kind.Family()
		d.res[pl.ResourceID] = &resState{place: pl, family: fam, approvals: map[string][]approval{}, usage: map[string][]usageRun{}}
		d.ids = append(d.ids, pl.ResourceID)
	}
	sort.Strings(d.ids)
	evs := make([]metering.Event, 0, len(events))
	for _, e := range events {
		if e.Day <= asOf && d.res[e.ResourceID] != nil {
			evs = append(evs, e)
		}
	}
	for _, l := range billing.Lifecycles(evs) {
		r := d.res[l.ResourceID]
		r.released = l.Released
		for _, a := range l.Approvals { // by item, then day
			if len(r.approvals[a.ItemCode]) == 0 {
				r.items = append(r.items, a.ItemCode)
			}
			r.approvals[a.ItemCode] = append(r.approvals[a.ItemCode], approval{span{a.From, a.To}, a.Quantity})
		}
		if from, to, ok := l.Window(); ok {
			r.confirmed = true
			r.window = span{from, min(to, asOf.AddDays(1))}
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

// AddUsageRun records that u.ResourceID metered u.Quantity of u.ItemCode
// on every day of [u.First, u.Last]. Days after the as-of date are
// ignored; the runs of one pair must not overlap.
func (d *Detector) AddUsageRun(u UsageRun) {
	r := d.res[u.ResourceID]
	if r == nil || u.First > d.asOf {
		return
	}
	s := span{u.First, min(u.Last, d.asOf).AddDays(1)}
	if s.empty() {
		return
	}
	r.usage[u.ItemCode] = append(r.usage[u.ItemCode], usageRun{s, u.Quantity})
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

// prepare sorts the usage runs of every pair, merging adjacent runs of
// equal quantity, and clips the idle runs to the billing window.
func (d *Detector) prepare() {
	for _, id := range d.ids {
		r := d.res[id]
		for item, runs := range r.usage {
			sort.Slice(runs, func(i, j int) bool { return runs[i].From < runs[j].From })
			merged := runs[:0]
			for _, u := range runs {
				if n := len(merged); n > 0 && merged[n-1].To == u.From && merged[n-1].Qty.Equal(u.Qty) {
					merged[n-1].To = u.To
					continue
				}
				merged = append(merged, u)
			}
			r.usage[item] = merged
		}
		sort.Slice(r.idle, func(i, j int) bool { return r.idle[i].From < r.idle[j].From })
		clipped := r.idle[:0]
		for _, s := range r.idle {
			if c := s.cut(r.window); !c.empty() {
				clipped = append(clipped, c)
			}
		}
		r.idle = clipped
	}
}

// idleFindings turns the idle runs into idle and zombie findings with the
// money billed over them.
func (d *Detector) idleFindings() {
	bySystem := map[string][]*resState{}
	var systems []string
	for _, id := range d.ids {
		r := d.res[id]
		for _, s := range r.idle {
			if s.To.Sub(s.From) >= d.p.IdleMinDays {
				f := d.finding(FindingIdle, r, "", s)
				f.Action = d.p.IdleAction(f.Days)
				d.addBilled(d.add(f), r, s)
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
				d.addBilled(i, r, s)
			}
		}
	}
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

// addValue adds to finding i the catalogue value of q of item on every day
// of s, at the price version in force on each day.
func (d *Detector) addValue(i int, item string, q decimal.Decimal, s span) {
	if s.empty() || !q.IsPositive() {
		return
	}
	for _, v := range d.cat.Versions(item) {
		vs := span{v.EffectiveFrom, billing.OpenEnd}
		if v.EffectiveTo.Valid {
			vs.To = v.EffectiveTo.Date
		}
		if c := s.cut(vs); !c.empty() {
			d.sums[i].AddDays(q, v, c.From, c.To)
		}
	}
}

// addBilled adds to finding i the money billed for resource r over s:
// every approved item, billing.Billable(metered, approved) on each metered
// day of the billing window.
func (d *Detector) addBilled(i int, r *resState, s span) {
	s = s.cut(r.window)
	if s.empty() {
		return
	}
	for _, item := range r.items {
		for _, u := range r.usage[item] {
			us := s.cut(u.span)
			if us.empty() {
				continue
			}
			for _, a := range r.approvals[item] {
				if as := us.cut(a.span); !as.empty() && a.Qty.IsPositive() {
					d.addValue(i, item, billing.Billable(u.Qty, a.Qty), as)
				}
			}
		}
	}
}

// piece is a stretch of metered days of one finding kind, with the
// quantity whose catalogue value it carries.
type piece struct {
	kind FindingKind
	span
	qty decimal.Decimal
}

// usageFindings turns the usage runs of r's item into unconfirmed,
// after_release and beyond_approval findings: one per run of consecutive
// days of one kind.
func (d *Detector) usageFindings(r *resState, item string) {
	var pieces []piece
	for _, u := range r.usage[item] {
		switch {
		case !r.confirmed:
			pieces = append(pieces, piece{FindingUnconfirmed, u.span, u.Qty})
			continue
		case r.released.Valid:
			if after := u.span.cut(span{r.released.Date, billing.OpenEnd}); !after.empty() {
				pieces = append(pieces, piece{FindingAfterRelease, after, u.Qty})
			}
		}
		// inside the window: above the approval, or no approval at all
		in := u.span.cut(r.window)
		if in.empty() {
			continue
		}
		day := in.From
		for _, a := range r.approvals[item] {
			as := in.cut(a.span)
			if as.empty() {
				continue
			}
			if day < as.From {
				pieces = append(pieces, piece{FindingBeyondApproval, span{day, as.From}, u.Qty})
			}
			if excess := u.Qty.Sub(billing.Billable(u.Qty, a.Qty)); excess.IsPositive() {
				pieces = append(pieces, piece{FindingBeyondApproval, as, excess})
			}
			day = as.To
		}
		if day < in.To {
			pieces = append(pieces, piece{FindingBeyondApproval, span{day, in.To}, u.Qty})
		}
	}
	sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].From < pieces[j].From })
	cur := -1
	var curKind FindingKind
	var curTo metering.Date
	for _, p := range pieces {
		if cur < 0 || p.kind != curKind || p.From != curTo {
			cur, curKind = d.add(d.finding(p.kind, r, item, p.span)), p.kind
		}
		curTo = p.To
		f := &d.findings[cur]
		f.LastDay = p.To.AddDays(-1)
		f.Days = f.LastDay.Sub(f.FirstDay) + 1
		d.addValue(cur, item, p.qty, p.span)
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

// gapFindings reports the expected days of r's item without a usage row.
func (d *Detector) gapFindings(r *resState, item string) {
	runs := r.usage[item]
	for _, e := range r.expected(item) {
		day := e.From
		for _, u := range runs {
			if u.To <= day {
				continue
			}
			if u.From >= e.To {
				break
			}
			if day < u.From {
				d.add(d.finding(FindingGap, r, item, span{day, u.From}))
			}
			day = max(day, u.To)
		}
		if day < e.To {
			d.add(d.finding(FindingGap, r, item, span{day, e.To}))
		}
	}
}

// Findings returns every finding with its amount rounded once to 0.01 元,
// ordered by district, department, system, resource, item, kind and day.
func (d *Detector) Findings() []Finding {
	d.findings, d.sums = nil, nil
	d.prepare()
	d.idleFindings()
	for _, id := range d.ids {
		r := d.res[id]
		items := append([]string(nil), r.items...)
		for item := range r.usage {
			if len(r.approvals[item]) == 0 {
				items = append(items, item)
			}
		}
		sort.Strings(items)
		for _, item := range items {
			d.usageFindings(r, item)
			d.gapFindings(r, item)
		}
	}
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
