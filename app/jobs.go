package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/store"
)

// Job names.
const (
	JobNightly   = "nightly"
	JobAnnual    = "annual"
	JobMonthly   = "monthly"   // the previous month's report, on the 1st
	JobQuarterly = "quarterly" // the previous quarter's report, on a quarter's first day
)

// Counts the jobs report (job_runs.counts); the metrics read the row counts.
const (
	CountFiles          = "files"
	CountFilesSkipped   = "files_skipped"
	CountFilesFailed    = "files_failed"
	CountFilesWaiting   = "files_waiting" // still being written: left for the next run
	CountRowsRead       = "rows_read"
	CountRowsIngested   = "rows_ingested" // accepted + replaced
	CountRowsUnchanged  = "rows_unchanged"
	CountRowsRejected   = "rows_rejected"
	CountNotYetBillable = "rows_not_yet_billable"
	CountFindings       = "findings"
	CountVersion        = "version"
	CountDocuments      = "documents"
	CountLines          = "lines"
	CountOverBudget     = "over_budget"
)

// Yesterday is the day before now's date in Asia/Shanghai: the nightly
// job's as-of date.
func Yesterday(now time.Time) metering.Date { return metering.DateOf(now).AddDays(-1) }

// NightlyJob ingests every new file of the inbox named by in, then
// refreshes the findings as of asOf() and records the sign-off lapses.
// Each step commits on its own; all are safe to run again.
func (a *App) NightlyJob(in IngestInput, asOf func() metering.Date) JobFunc {
	return func(ctx context.Context) (JobResult, error) {
		day := asOf()
		inbox := in.Inbox
		res := JobResult{Scope: "date=" + day.String() + " inbox=" + inbox, Counts: map[string]int64{}}
		if st, err := os.Stat(inbox); err != nil || !st.IsDir() {
			if err == nil {
				err = errors.New("not a folder")
			}
			return res, fmt.Errorf("inbox %s: %w", inbox, err)
		}
		sum, err := a.Ingest(ctx, in)
		sum.Count(res.Counts)
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", inbox, err)
		}
		fs, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: day})
		if err != nil {
			return res, err // names the step and the date already
		}
		res.Counts[CountFindings] = int64(len(fs))
		// The districts that did not answer a published draft in time are
		// confirmed by lapse (docs/signoff.md).
		lapsed, err := a.LapseSignoffs(ctx)
		if lapsed > 0 {
			res.Counts[CountLapsed] = int64(lapsed)
		}
		if err != nil {
			return res, fmt.Errorf("sign-off lapses: %w", err)
		}
		if sum.Failed > 0 {
			// The findings are refreshed all the same; the run is failed so
			// that the operator looks at the inbox's failed/ folder.
			return res, fmt.Errorf("%d files could not be read, moved to %s: %w", sum.Failed, filepath.Join(inbox, "failed"), errors.Join(fileErrors(sum.FailedFiles)...))
		}
		return res, nil
	}
}

func fileErrors(fes []*store.FileError) []error {
	out := make([]error, len(fes))
	for i, fe := range fes {
		out[i] = fe
	}
	return out
}

// AnnualJob settles year() as a new draft version and writes its documents
// into out.
func (a *App) AnnualJob(out string, year func() int) JobFunc {
	return func(ctx context.Context) (JobResult, error) {
		y := year()
		res := JobResult{Scope: fmt.Sprintf("year=%d out=%s", y, out), Counts: map[string]int64{}}
		r, err := a.Settle(ctx, YearInput{Year: y})
		if err != nil {
			return res, fmt.Errorf("settle %d: %w", y, err)
		}
		res.Counts[CountVersion] = int64(r.Statement.Version)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return res, fmt.Errorf("documents folder: %w", err)
		}
		paths, err := a.Report(ctx, ReportInput{Year: y, Out: out})
		res.Counts[CountDocuments] = int64(len(paths))
		if err != nil {
			return res, fmt.Errorf("write %d documents: %w", y, err)
		}
		return res, nil
	}
}

// PeriodJob writes the report of period() (a month or a quarter) into
// out: the monthly and the quarterly job. It reads and writes documents
// only (and the year's over_budget findings), so it is safe to run again.
func (a *App) PeriodJob(out string, period func() billing.Period) JobFunc {
	return func(ctx context.Context) (JobResult, error) {
		p := period()
		res := JobResult{Scope: fmt.Sprintf("period=%s out=%s", p.Name(), out), Counts: map[string]int64{}}
		r, err := a.PeriodReport(ctx, PeriodInput{Period: p, Out: out})
		res.Counts[CountDocuments] = int64(len(r.Paths))
		res.Counts[CountLines] = int64(r.Lines)
		res.Counts[CountOverBudget] = int64(r.OverBudget)
		if err != nil {
			return res, fmt.Errorf("report %s: %w", p.Name(), err)
		}
		return res, nil
	}
}

// DaemonJobs are the jobs of `cloudbill serve`: the nightly job as of the
// day before the clock's date, the annual one for the year before it, the
// monthly one for the month before it and the quarterly one for the
// quarter before it.
func (a *App) DaemonJobs(in IngestInput, out string, now func() time.Time) map[string]JobFunc {
	return map[string]JobFunc{
		JobNightly:   a.NightlyJob(in, func() metering.Date { return Yesterday(now()) }),
		JobAnnual:    a.AnnualJob(out, func() int { return metering.DateOf(now()).Year() - 1 }),
		JobMonthly:   a.PeriodJob(out, func() billing.Period { return billing.MonthBefore(metering.DateOf(now())) }),
		JobQuarterly: a.PeriodJob(out, func() billing.Period { return billing.QuarterBefore(metering.DateOf(now())) }),
	}
}

// JobInput names one job to run now (`cloudbill run`): the nightly job
// over Inbox as of Date (zero: yesterday), the annual job of Year (0:
// last year) into Out, or the monthly or quarterly job of Period (zero:
// the previous month or quarter) into Out.
type JobInput struct {
	Job    string
	Date   metering.Date
	Year   int
	Period billing.Period
	Inbox  IngestInput
	Out    string
}

// Validate checks the job's name and that only its own options are set.
func (in JobInput) Validate() error {
	if in.Period != (billing.Period{}) && in.Job != JobMonthly && in.Job != JobQuarterly {
		return &InputError{Field: "month", Reason: "--month is for the monthly job, --quarter for the quarterly one"}
	}
	switch in.Job {
	case JobNightly:
		if in.Year != 0 {
			return &InputError{Field: "year", Reason: "--year is for the annual job"}
		}
	case JobAnnual:
		if in.Date != 0 {
			return &InputError{Field: "date", Reason: "--date is for the nightly job"}
		}
		if in.Year != 0 {
			return ValidateYear(in.Year)
		}
	case JobMonthly, JobQuarterly:
		if in.Date != 0 || in.Year != 0 {
			return &InputError{Field: "date", Reason: fmt.Sprintf("--date and --year are not for the %s job (--month or --quarter)", in.Job)}
		}
		if in.Period == (billing.Period{}) {
			return nil
		}
		if in.Period.Quarter != (in.Job == JobQuarterly) {
			return &InputError{Field: "month", Reason: "--month is for the monthly job, --quarter for the quarterly one"}
		}
		if !in.Period.Valid() {
			return &InputError{Field: "month", Reason: fmt.Sprintf("%s is not a period from %d to %d", in.Period.Name(), MinYear, MaxYear)}
		}
	default:
		return &InputError{Field: "job", Reason: fmt.Sprintf("unknown job %q: nightly, annual, monthly or quarterly", in.Job)}
	}
	return nil
}

// Job returns the body of the job in names, with the clock now for its
// defaults.
func (a *App) Job(in JobInput, now func() time.Time) (JobFunc, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Job == JobNightly {
		asOf := func() metering.Date { return Yesterday(now()) }
		if in.Date != 0 {
			asOf = func() metering.Date { return in.Date }
		}
		return a.NightlyJob(in.Inbox, asOf), nil
	}
	if in.Job == JobMonthly || in.Job == JobQuarterly {
		p := in.Period
		if p == (billing.Period{}) {
			if p = billing.MonthBefore(metering.DateOf(now())); in.Job == JobQuarterly {
				p = billing.QuarterBefore(metering.DateOf(now()))
			}
		}
		return a.PeriodJob(in.Out, func() billing.Period { return p }), nil
	}
	y := in.Year
	if y == 0 {
		y = metering.DateOf(now()).Year() - 1
	}
	if err := ValidateYear(y); err != nil {
		return nil, err
	}
	return a.AnnualJob(in.Out, func() int { return y }), nil
}
