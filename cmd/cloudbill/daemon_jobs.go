package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
)

// Job names.
const (
	jobNightly = "nightly"
	jobAnnual  = "annual"
)

// Counts the jobs report (job_runs.counts); the metrics read the row counts.
const (
	countFiles          = "files"
	countFilesSkipped   = "files_skipped"
	countFilesFailed    = "files_failed"
	countRowsRead       = "rows_read"
	countRowsIngested   = "rows_ingested" // accepted + replaced
	countRowsUnchanged  = "rows_unchanged"
	countRowsRejected   = "rows_rejected"
	countNotYetBillable = "rows_not_yet_billable"
	countFindings       = "findings"
	countVersion        = "version"
	countDocuments      = "documents"
)

// yesterday is the day before now's date in Asia/Shanghai: the nightly
// job's as-of date.
func yesterday(now time.Time) metering.Date { return metering.DateOf(now).AddDays(-1) }

// nightlyJob ingests every new file of inbox, then refreshes the findings
// as of asOf(). Each step commits on its own; both are safe to run again.
func nightlyJob(a *App, db *store.DB, inbox string, asOf func() metering.Date) jobFunc {
	return func(ctx context.Context) (jobResult, error) {
		day := asOf()
		res := jobResult{Scope: "date=" + day.String() + " inbox=" + inbox, Counts: map[string]int64{}}
		if st, err := os.Stat(inbox); err != nil || !st.IsDir() {
			if err == nil {
				err = fmt.Errorf("not a folder")
			}
			return res, fmt.Errorf("inbox %s: %w", inbox, err)
		}
		sum, err := ingestInbox(ctx, a, db, inbox)
		res.Counts[countFiles] = int64(sum.Files)
		res.Counts[countFilesSkipped] = int64(sum.Skipped)
		res.Counts[countFilesFailed] = int64(sum.Failed)
		res.Counts[countRowsRead] = sum.Read
		res.Counts[countRowsIngested] = sum.Accepted + sum.Replaced
		res.Counts[countRowsUnchanged] = sum.Unchanged
		res.Counts[countRowsRejected] = sum.Rejected
		res.Counts[countNotYetBillable] = sum.NotYetBillable
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", inbox, err)
		}
		n, err := refreshFindings(ctx, a, db, day)
		if err != nil {
			return res, err // names the step and the date already
		}
		res.Counts[countFindings] = int64(n)
		return res, nil
	}
}

// annualJob settles year() as a new draft version and writes its documents
// into out.
func annualJob(a *App, db *store.DB, out string, year func() int) jobFunc {
	return func(ctx context.Context) (jobResult, error) {
		y := year()
		res := jobResult{Scope: fmt.Sprintf("year=%d out=%s", y, out), Counts: map[string]int64{}}
		v, err := settleYear(ctx, a, db, y)
		if err != nil {
			return res, fmt.Errorf("settle %d: %w", y, err)
		}
		res.Counts[countVersion] = int64(v)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return res, fmt.Errorf("documents folder: %w", err)
		}
		paths, err := writeReports(ctx, a, db, y, out)
		res.Counts[countDocuments] = int64(len(paths))
		if err != nil {
			return res, fmt.Errorf("write %d documents: %w", y, err)
		}
		return res, nil
	}
}

// daemonJobs are the jobs of `cloudbill serve`: the nightly job as of the
// day before the clock's date, the annual one for the year before it.
func daemonJobs(a *App, db *store.DB, inbox, out string, now func() time.Time) map[string]jobFunc {
	return map[string]jobFunc{
		jobNightly: nightlyJob(a, db, inbox, func() metering.Date { return yesterday(now()) }),
		jobAnnual:  annualJob(a, db, out, func() int { return metering.DateOf(now()).Year() - 1 }),
	}
}
