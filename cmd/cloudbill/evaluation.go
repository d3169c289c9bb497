package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reports"
	"cloudbill/store"
)

// providerEvaluations derives each provider's coefficient for year from the
// stored scores, and, for quarters without response scores, from the SLA
// compliance of the lifecycle events as of the year's last day.
func providerEvaluations(ctx context.Context, db *store.DB, year int, providers []string, p evaluation.Policy) ([]billing.ProviderEvaluation, error) {
	in, err := evaluationInputs(ctx, db, year, p, nil)
	if err != nil {
		return nil, err
	}
	return in.evaluate(year, providers, p)
}

// evalInputs is what the evaluation of a year reads: the scores, and the
// SLA obligations when some quarter lacks response scores.
type evalInputs struct {
	scores []evaluation.Score
	obs    []evaluation.Obligation
}

// evaluationInputs reads what the evaluation of year needs; events, when
// not nil, are the lifecycle events already read (else they are read if
// the SLA obligations are needed).
func evaluationInputs(ctx context.Context, db *store.DB, year int, p evaluation.Policy, events []metering.Event) (evalInputs, error) {
	var in evalInputs
	var err error
	if in.scores, err = db.EvaluationScores(ctx, year); err != nil {
		return in, err
	}
	if p.ResponseFallback == evaluation.ResponseFallbackSLA && needsSLA(in.scores) {
		if in.obs, err = obligationsFrom(ctx, db, p, metering.YearEnd(year).AddDays(-1), events); err != nil {
			return in, err
		}
	}
	return in, nil
}

func (in evalInputs) evaluate(year int, providers []string, p evaluation.Policy) ([]billing.ProviderEvaluation, error) {
	evs, err := evaluation.Evaluate(year, providers, in.scores, in.obs, p)
	if err != nil {
		return nil, fmt.Errorf("evaluate providers for %d: %w", year, err)
	}
	return evs, nil
}

// needsSLA reports whether some provider-quarter lacks response scores.
func needsSLA(scores []evaluation.Score) bool {
	has := map[string]bool{}
	for _, s := range scores {
		key := s.ProviderCode + " " + s.Period
		has[key] = has[key] || s.Dimension == evaluation.DimensionResponse
	}
	for _, ok := range has {
		if !ok {
			return true
		}
	}
	return false
}

// obligationsFrom derives the SLA obligations from events (read here when
// nil).
func obligationsFrom(ctx context.Context, db *store.DB, p evaluation.Policy, asOf metering.Date, events []metering.Event) ([]evaluation.Obligation, error) {
	if events == nil {
		var err error
		if events, err = db.LifecycleEvents(ctx); err != nil {
			return nil, err
		}
	}
	resources, err := db.ResourcesAll(ctx)
	if err != nil {
		return nil, err
	}
	days, err := db.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	obs, err := evaluation.Obligations(events, resources, evaluation.NewCalendar(days), p, asOf)
	if err != nil {
		return nil, fmt.Errorf("sla obligations as of %s: %w", asOf, err)
	}
	return obs, nil
}

// yearObligations returns the obligations year's report lists, with their
// status as of asOf (31 December of the year, or today if earlier).
func yearObligations(ctx context.Context, db *store.DB, year int, asOf metering.Date) ([]evaluation.Obligation, error) {
	p, _, err := policyInForce()
	if err != nil {
		return nil, err
	}
	obs, err := obligationsFrom(ctx, db, p, asOf, nil)
	if err != nil {
		return nil, err
	}
	return evaluation.ObligationsOfYear(obs, year), nil
}

// yearFindings returns the stored findings whose run overlaps year (as of
// the last refresh; see cloudbill findings and the nightly job).
func yearFindings(ctx context.Context, db *store.DB, year int) ([]evaluation.Finding, error) {
	return db.Findings(ctx, metering.YearStart(year), metering.YearEnd(year).AddDays(-1))
}

// reportAsOf is the as-of date of a year's report: 31 December, or today
// if earlier.
func reportAsOf(year int) metering.Date {
	return min(metering.YearEnd(year).AddDays(-1), metering.DateOf(now()))
}

// refreshFindings recomputes the resource-use findings as of asOf (the
// nightly job's second step) and returns how many there are.
func refreshFindings(ctx context.Context, a *App, db *store.DB, asOf metering.Date) (int, error) {
	p, err := loadPolicy(a)
	if err != nil {
		return 0, err
	}
	fs, err := db.RefreshFindings(ctx, p, asOf)
	if err != nil {
		return 0, err
	}
	return len(fs), nil
}

// writeEvaluationCSVs writes sla-Y.csv and findings-Y.csv into dir. When
// findings were never computed, they are refreshed as of the report's
// as-of date first.
func writeEvaluationCSVs(ctx context.Context, a *App, db *store.DB, year int, dir string) ([]string, error) {
	asOf := reportAsOf(year)
	obs, err := yearObligations(ctx, db, year, asOf)
	if err != nil {
		return nil, err
	}
	if _, ok, err := db.FindingsAsOf(ctx); err != nil {
		return nil, err
	} else if !ok {
		if _, err := refreshFindings(ctx, a, db, asOf); err != nil {
			return nil, err
		}
	}
	fs, err := yearFindings(ctx, db, year)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name  string
		write func(*os.File) error
	}{
		{fmt.Sprintf("sla-%d.csv", year), func(w *os.File) error { return reports.WriteSLACSV(w, obs) }},
		{fmt.Sprintf("findings-%d.csv", year), func(w *os.File) error { return reports.WriteFindingsCSV(w, fs) }},
	} {
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, f.write); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func cmdFindings(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "findings", "")
	asOfFlag := fs.String("as-of", "", "as-of date YYYY-MM-DD (default: yesterday in Asia/Shanghai)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	asOf := metering.DateOf(now()).AddDays(-1)
	if *asOfFlag != "" {
		d, err := metering.ParseDate(*asOfFlag)
		if err != nil {
			return usagef("--as-of: %v", err)
		}
		asOf = d
	}
	p, err := loadPolicy(a)
	if err != nil {
		return err
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	t0 := time.Now()
	found, err := db.RefreshFindings(ctx, p, asOf)
	if err != nil {
		return err
	}
	took := time.Since(t0)
	byKind := map[evaluation.FindingKind]int{}
	for _, f := range found {
		byKind[f.Kind]++
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	fmt.Fprintf(a.Stdout, "%d findings as of %s", len(found), asOf)
	for _, k := range kinds {
		fmt.Fprintf(a.Stdout, "; %s %d", k, byKind[evaluation.FindingKind(k)])
	}
	fmt.Fprintln(a.Stdout)
	a.Log.Info("findings refreshed", "as_of", asOf.String(), "findings", len(found), "seconds", took.Seconds())
	return nil
}
