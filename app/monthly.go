package app

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reports"
	"cloudbill/store"
)

// PeriodInput names a monthly or quarterly report (月报, 季报): the period,
// the folder for its documents and the CJK font ("" means
// $CLOUDBILL_FONT, else a standard place).
type PeriodInput struct {
	Period billing.Period
	Out    string
	Font   string
}

// Validate checks the period and the folder.
func (in PeriodInput) Validate() error {
	if !in.Period.Valid() {
		return &InputError{Field: "month", Reason: fmt.Sprintf("%+v is not a month or a quarter from %d to %d", in.Period, MinYear, MaxYear)}
	}
	if in.Out == "" {
		return &InputError{Field: "out", Reason: "a folder for the documents is required"}
	}
	return nil
}

// PeriodFileBase is the documents' name without extension: month-2024-07
// or quarter-2024Q3.
func PeriodFileBase(p billing.Period) string {
	if p.Quarter {
		return "quarter-" + p.Name()
	}
	return "month-" + p.Name()
}

// PeriodResult is what a period report wrote: the paths, how many accrual
// lines its CSV holds, and the budgets its forecast exceeds.
type PeriodResult struct {
	Paths      []string
	Lines      int
	OverBudget int
}

// PeriodReport writes the period's report into the folder, the PDF and
// the CSV of its accrual lines (docs/formats.md), and stores the year's
// over_budget findings of its forecast (unless a later forecast of the
// year is stored already). Paths holds what was written, on an error too.
func (a *App) PeriodReport(ctx context.Context, in PeriodInput) (PeriodResult, error) {
	var res PeriodResult
	if err := in.Validate(); err != nil {
		return res, err
	}
	p := in.Period
	b, err := a.PeriodData(ctx, p)
	if err != nil {
		return res, err
	}
	res.Lines = len(b.Lines)
	font, err := documentFolder(in.Font, in.Out)
	if err != nil {
		return res, err
	}
	base := filepath.Join(in.Out, PeriodFileBase(p))
	if err := writeFileAtomic(base+".csv", func(w *os.File) error { return billing.WriteAccrualCSV(w, b.Lines, p.From, p.To) }); err != nil {
		return res, err
	}
	res.Paths = append(res.Paths, base+".csv")
	if err := reports.WritePeriodPDF(base+".pdf", b, font); err != nil {
		return res, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	res.Paths = append(res.Paths, base+".pdf")
	var over []store.BudgetFinding
	for _, r := range b.Budgets {
		if r.Over() {
			over = append(over, store.BudgetFinding{Year: p.Year, DistrictCode: r.DistrictCode, DepartmentCode: r.DepartmentCode, Budget: r.Amount, Forecast: r.Forecast, AsOf: p.Last()})
		}
	}
	res.OverBudget = len(over)
	stored, err := a.DB.ReplaceBudgetFindings(ctx, p.Year, p.Last(), over)
	if err != nil {
		return res, err
	}
	a.Log.Info("period report written", "period", p.Name(), "lines", len(b.Lines), "over_budget", len(over), "findings_stored", stored, "files", len(res.Paths))
	return res, nil
}

// lineItem keys what is gathered per (resource, item).
type lineItem struct{ resource, item string }

// PeriodData gathers the report of period p as of its last day
// (docs/rules.md §10): the accruals of January to the period's end from
// the usage summaries, the events known on that day (dated on or before
// it), the forecast to the year's end, the budgets, the estimated
// coefficients, the SLA obligations due in the period, the stored
// findings, the resources and approved against metered quantity.
func (a *App) PeriodData(ctx context.Context, p billing.Period) (*reports.PeriodBundle, error) {
	if !p.Valid() {
		return nil, &InputError{Field: "month", Reason: fmt.Sprintf("%+v is not a month or a quarter", p)}
	}
	db := a.DB
	year, asOf := p.Year, p.Last()
	policy, _, err := a.Policy()
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	cat := billing.NewCatalogue(versions)

	// The events are read beside the usage pass, as the settlement does:
	// the segments go to the tally as soon as they are cut.
	type eventsResult struct {
		known []metering.Event
		segs  []billing.Segment
		err   error
	}
	evc := make(chan eventsResult, 1)
	segc := make(chan []billing.Segment, 1)
	go func() {
		events, err := db.LifecycleEvents(ctx)
		if err != nil {
			close(segc)
			evc <- eventsResult{err: err}
			return
		}
		known := make([]metering.Event, 0, len(events))
		for _, e := range events {
			if e.Day <= asOf {
				known = append(known, e)
			}
		}
		segs := billing.Segments(year, known, versions)
		segc <- segs
		close(segc)
		evc <- eventsResult{known: known, segs: segs}
	}()
	// The rest of the reference data is read beside the usage pass too.
	type refResult struct {
		placement map[string]billing.Placement
		inv       metering.Inventory
		days      []evaluation.CalendarDay
		err       error
	}
	refc := make(chan refResult, 1)
	go func() {
		var r refResult
		if r.placement, r.err = db.Placements(ctx); r.err == nil {
			if r.inv, r.err = db.Inventory(ctx); r.err == nil {
				r.days, r.err = db.CalendarDays(ctx)
			}
		}
		refc <- r
	}()
	tally := billing.NewMonthlyTally()
	metered := map[lineItem]decimal.Decimal{}
	quantities := map[string]decimal.Decimal{}
	errNoSegments := errors.New("no segments")
	receive := func(segs []billing.Segment, ok bool) error {
		if !ok {
			return errNoSegments
		}
		return tally.SetSegments(segs)
	}
	t0 := time.Now()
	err = db.UsageMonthsThrough(ctx, year, p.To, func(m billing.UsageMonth) error {
		if !tally.Ready() {
			select {
			case segs, ok := <-segc:
				if err := receive(segs, ok); err != nil {
					return err
				}
			default:
			}
		}
		if int(m.Month.Month()) >= p.From {
			q, ok := quantities[m.Quantity]
			if !ok {
				var err error
				if q, err = decimal.NewFromString(m.Quantity); err != nil {
					return fmt.Errorf("usage of %s %s in %s: quantity %q: %w", m.ResourceID, m.ItemCode, m.Month, m.Quantity, err)
				}
				quantities[m.Quantity] = q
			}
			k := lineItem{m.ResourceID, m.ItemCode}
			metered[k] = metered[k].Add(q.Mul(decimal.NewFromInt(int64(bits.OnesCount32(m.Days)))))
		}
		return tally.Add(m)
	})
	if err == nil && !tally.Ready() {
		segs, ok := <-segc
		err = receive(segs, ok)
	}
	ev := <-evc
	ref := <-refc
	if err != nil {
		if errors.Is(err, errNoSegments) && ev.err != nil {
			err = ev.err
		}
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	if ref.err != nil {
		return nil, ref.err
	}
	a.Log.Debug("period: usage months", "seconds", time.Since(t0).Seconds())
	placement, inv := ref.placement, ref.inv
	acc := billing.NewAccruals(year, cat, placement)
	if err := tally.Groups(acc.Add); err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	lines := acc.Lines()
	a.Log.Debug("period: accruals", "seconds", time.Since(t0).Seconds())

	allObs, err := evaluation.Obligations(ev.known, inv.Resources, evaluation.NewCalendar(ref.days), policy, asOf)
	if err != nil {
		return nil, fmt.Errorf("report %s: sla obligations as of %s: %w", p.Name(), asOf, err)
	}
	changes, exits := pendingOf(ev.known, allObs, asOf)
	lifecycles := billing.Lifecycles(ev.known)
	remaining := billing.Remaining(year, asOf, lifecycles, changes, exits, cat)

	b := &reports.PeriodBundle{Period: p, Lines: lines, Names: reports.Names{Inventory: inv, Catalogue: versions}, Policy: policy,
		PendingChanges: len(changes), PendingExits: len(exits)}
	providers := map[string]bool{}
	for _, l := range lines {
		providers[l.ProviderCode] = true
	}
	for _, l := range remaining {
		providers[placement[l.ResourceID].ProviderCode] = true
	}
	if err := a.evaluatePeriod(ctx, b, sortedSet(providers), allObs, policy); err != nil {
		return nil, err
	}
	coefs := map[string]decimal.Decimal{}
	for _, e := range b.Estimates {
		if e.Period != "" {
			coefs[e.ProviderCode] = e.Coefficient
		}
	}
	b.Rows = billing.PeriodRows(p, lines, remaining, placement, coefs)
	budgets, err := db.Budgets(ctx, year)
	if err != nil {
		return nil, err
	}
	b.Budgets = billing.BudgetRows(budgets, b.Rows)

	for _, o := range allObs {
		if o.Due >= p.Start() && o.Due <= asOf {
			b.Obligations = append(b.Obligations, o)
		}
	}
	if b.Findings, err = db.Findings(ctx, p.Start(), asOf); err != nil {
		return nil, err
	}
	if b.FindingsAsOf, _, err = db.FindingsAsOf(ctx); err != nil {
		return nil, err
	}
	kinds := map[string]metering.Kind{}
	for _, r := range inv.Resources {
		kinds[r.ID] = r.Kind
	}
	for _, l := range lifecycles {
		if !l.Confirmed.Valid {
			continue
		}
		pl := placement[l.ResourceID]
		b.Resources = append(b.Resources, reports.ResourceState{ResourceID: l.ResourceID, DistrictCode: pl.DistrictCode, DepartmentCode: pl.DepartmentCode,
			Kind: kinds[l.ResourceID], Confirmed: l.Confirmed.Date, Released: l.Released})
	}
	b.Usage = itemUsage(p, ev.segs, metered, lines, placement)
	a.Log.Debug("period: gathered", "seconds", time.Since(t0).Seconds())
	return b, nil
}

// pendingOf finds, as of asOf, the changes approved and not carried out
// and the exits approved and not released (docs/rules.md §10): a change's
// items without a changed event are forecast at their new quantity from
// the later of asOf+1 and the change's due date (§7), a resource with a
// pending exit up to the later of asOf+1 and the exit's due date.
func pendingOf(known []metering.Event, obs []evaluation.Obligation, asOf metering.Date) ([]billing.PendingChange, map[string]metering.Date) {
	type startKey struct {
		resource string
		day      metering.Date
	}
	open := map[startKey]metering.Date{} // change started → expected from
	exits := map[string]metering.Date{}
	for _, o := range obs {
		if o.Done.Valid {
			continue
		}
		from := max(asOf.AddDays(1), o.Due)
		switch o.Kind {
		case evaluation.ObligationChange:
			open[startKey{o.ResourceID, o.Started}] = from
		case evaluation.ObligationExit:
			if d, ok := exits[o.ResourceID]; !ok || from < d {
				exits[o.ResourceID] = from
			}
		}
	}
	if len(open) == 0 {
		return nil, exits
	}
	changed := map[lineItem][]metering.Date{}
	for _, e := range known {
		if e.Kind == metering.EventChanged {
			k := lineItem{e.ResourceID, e.ItemCode}
			changed[k] = append(changed[k], e.Day)
		}
	}
	var out []billing.PendingChange
	for _, e := range known {
		if e.Kind != metering.EventChangeApproved {
			continue
		}
		from, ok := open[startKey{e.ResourceID, e.Day}]
		if !ok {
			continue
		}
		done := false
		for _, d := range changed[lineItem{e.ResourceID, e.ItemCode}] {
			done = done || d >= e.Day
		}
		if !done {
			out = append(out, billing.PendingChange{ResourceID: e.ResourceID, ItemCode: e.ItemCode, Quantity: e.Quantity, From: from})
		}
	}
	return out, exits
}

// evaluatePeriod sets the bundle's coefficient estimates and, for a
// quarter, its own evaluation and the year's so far. A provider whose
// scores cannot be evaluated gets no estimate (the report says why); the
// report is not refused for it.
func (a *App) evaluatePeriod(ctx context.Context, b *reports.PeriodBundle, providers []string, obs []evaluation.Obligation, policy evaluation.Policy) error {
	p := b.Period
	var scores []evaluation.Score
	for _, y := range []int{p.Year - 1, p.Year} {
		s, err := a.DB.EvaluationScores(ctx, y)
		if err != nil {
			return err
		}
		scores = append(scores, s...)
	}
	ended := map[string]bool{} // quarters ended by the period's end
	for y := p.Year - 1; y <= p.Year; y++ {
		for q := 1; q <= 4; q++ {
			if qp := billing.QuarterPeriod(y, q); qp.Last() <= p.Last() {
				ended[qp.Name()] = true
			}
		}
	}
	evaluate := func(prov, period string, keep func(string) bool) (billing.ProviderEvaluation, error) {
		var ss []evaluation.Score
		for _, s := range scores {
			if s.ProviderCode == prov && keep(s.Period) {
				ss = append(ss, s)
			}
		}
		y := p.Year
		if period != "" {
			fmt.Sscanf(period, "%dQ", &y)
		}
		evs, err := evaluation.Evaluate(y, []string{prov}, ss, obs, policy)
		if err != nil {
			return billing.ProviderEvaluation{}, err
		}
		return evs[0], nil
	}
	for _, prov := range providers {
		latest := ""
		for _, s := range scores {
			if s.ProviderCode == prov && ended[s.Period] && s.Period > latest {
				latest = s.Period
			}
		}
		est := reports.CoefficientEstimate{ProviderCode: prov}
		if latest == "" {
			est.Note = "截至期末尚无已结束季度的评分"
		} else if ev, err := evaluate(prov, latest, func(s string) bool { return s == latest }); err != nil {
			est.Note = err.Error()
		} else {
			est.Period, est.Score, est.Coefficient = latest, ev.Annual, ev.Coefficient
		}
		b.Estimates = append(b.Estimates, est)
	}
	if !p.Quarter {
		return nil
	}
	q := p.Name()
	prefix := fmt.Sprintf("%dQ", p.Year)
	b.SLA = map[string]evaluation.SLAShare{}
	shares := evaluation.SLAShares(obs)
	for _, prov := range providers {
		s := shares[prov][q]
		s.ProviderCode, s.Period = prov, q
		b.SLA[prov] = s
		if ev, err := evaluate(prov, q, func(s string) bool { return s == q }); err == nil {
			b.Quarter = append(b.Quarter, ev)
		}
		if ev, err := evaluate(prov, q, func(s string) bool { return strings.HasPrefix(s, prefix) && s <= q }); err == nil {
			b.Heading = append(b.Heading, ev)
		}
	}
	return nil
}

// itemUsage sums, per department and item, the approved quantity-days of
// the segments inside the period, the metered ones and the billable ones.
func itemUsage(p billing.Period, segs []billing.Segment, metered map[lineItem]decimal.Decimal, lines []billing.AccrualLine, placement map[string]billing.Placement) []reports.ItemUsage {
	type key struct{ dept, item string }
	by := map[key]*reports.ItemUsage{}
	get := func(res, item string) *reports.ItemUsage {
		pl, ok := placement[res]
		if !ok {
			return nil
		}
		k := key{pl.DepartmentCode, item}
		u := by[k]
		if u == nil {
			u = &reports.ItemUsage{DistrictCode: pl.DistrictCode, DepartmentCode: pl.DepartmentCode, ItemCode: item}
			by[k] = u
		}
		return u
	}
	start, end := p.Start(), p.End()
	for _, s := range segs {
		if f, t := max(s.From, start), min(s.To, end); f < t {
			if u := get(s.ResourceID, s.ItemCode); u != nil {
				u.Approved = u.Approved.Add(s.Approved.Mul(decimal.NewFromInt(int64(t.Sub(f)))))
			}
		}
	}
	for k, q := range metered {
		if u := get(k.resource, k.item); u != nil {
			u.Metered = u.Metered.Add(q)
		}
	}
	for _, l := range lines {
		if f := l.Period(p.From, p.To); f.BillableDays > 0 {
			if u := get(l.ResourceID, l.ItemCode); u != nil {
				u.Billable = u.Billable.Add(f.QuantityDays)
			}
		}
	}
	out := make([]reports.ItemUsage, 0, len(by))
	for _, u := range by {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.DistrictCode != b.DistrictCode {
			return a.DistrictCode < b.DistrictCode
		}
		if a.DepartmentCode != b.DepartmentCode {
			return a.DepartmentCode < b.DepartmentCode
		}
		return a.ItemCode < b.ItemCode
	})
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
