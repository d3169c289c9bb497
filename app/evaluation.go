package app

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// evalInputs is what the evaluation of a year reads: the scores, and the
// SLA obligations when some quarter lacks response scores.
type evalInputs struct {
	scores []evaluation.Score
	obs    []evaluation.Obligation
}

// evaluationInputs reads what the evaluation of year needs; events, when
// not nil, are the lifecycle events already read (else they are read if
// the SLA obligations are needed).
func (a *App) evaluationInputs(ctx context.Context, year int, p evaluation.Policy, events []metering.Event) (evalInputs, error) {
	var in evalInputs
	var err error
	if in.scores, err = a.DB.EvaluationScores(ctx, year); err != nil {
		return in, err
	}
	if p.ResponseFallback == evaluation.ResponseFallbackSLA && needsSLA(in.scores) {
		if in.obs, err = a.obligations(ctx, p, metering.YearEnd(year).AddDays(-1), events); err != nil {
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

// obligations derives the SLA obligations from events (read here when
// nil) with their status as of asOf.
func (a *App) obligations(ctx context.Context, p evaluation.Policy, asOf metering.Date, events []metering.Event) ([]evaluation.Obligation, error) {
	if events == nil {
		var err error
		if events, err = a.DB.LifecycleEvents(ctx); err != nil {
			return nil, err
		}
	}
	resources, err := a.DB.ResourcesAll(ctx)
	if err != nil {
		return nil, err
	}
	days, err := a.DB.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	obs, err := evaluation.Obligations(events, resources, evaluation.NewCalendar(days), p, asOf)
	if err != nil {
		return nil, fmt.Errorf("sla obligations as of %s: %w", asOf, err)
	}
	return obs, nil
}

// YearObligations returns the obligations year's report lists, with their
// status as of asOf (31 December of the year, or today if earlier).
func (a *App) YearObligations(ctx context.Context, year int, asOf metering.Date) ([]evaluation.Obligation, error) {
	p, _, err := a.Policy()
	if err != nil {
		return nil, err
	}
	obs, err := a.obligations(ctx, p, asOf, nil)
	if err != nil {
		return nil, err
	}
	return evaluation.ObligationsOfYear(obs, year), nil
}

// YearFindings returns the stored findings whose run overlaps year (as of
// the last refresh; see RefreshFindings and the nightly job), with the
// year's over_budget findings (as of its latest forecast: the monthly and
// quarterly reports, docs/rules.md §10).
func (a *App) YearFindings(ctx context.Context, year int) ([]evaluation.Finding, error) {
	from, to := metering.YearStart(year), metering.YearEnd(year).AddDays(-1)
	fs, err := a.DB.Findings(ctx, from, to)
	if err != nil {
		return nil, err
	}
	over, err := a.DB.BudgetFindings(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for _, f := range over {
		fs = append(fs, f.Finding())
	}
	evaluation.SortFindings(fs)
	return fs, nil
}

// ReportAsOf is the as-of date of a year's report: 31 December, or today
// if earlier.
func (a *App) ReportAsOf(year int) metering.Date {
	return min(metering.YearEnd(year).AddDays(-1), a.Today())
}

// FindingsInput names the as-of date of a findings refresh; zero means
// yesterday in Asia/Shanghai.
type FindingsInput struct{ AsOf metering.Date }

// Validate accepts any date: a refresh as of a date without metering finds
// nothing.
func (in FindingsInput) Validate() error { return nil }

// RefreshFindings recomputes the resource-use findings as of the input's
// date (the nightly job's second step) and returns them.
func (a *App) RefreshFindings(ctx context.Context, in FindingsInput) ([]evaluation.Finding, metering.Date, error) {
	asOf := in.AsOf
	if asOf == 0 {
		asOf = a.Today().AddDays(-1)
	}
	p, _, err := a.Policy()
	if err != nil {
		return nil, asOf, err
	}
	fs, err := a.DB.RefreshFindings(ctx, p, asOf)
	if err != nil {
		return nil, asOf, err
	}
	return fs, asOf, nil
}
