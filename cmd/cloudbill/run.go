package main

import (
	"context"
	"fmt"
	"strconv"

	"cloudbill/metering"
	"cloudbill/store"
)

// cmdRun runs one job now, the way the daemon does (lock, job history,
// retries), for system cron or a Kubernetes CronJob.
func cmdRun(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "run", "nightly|annual")
	date := fs.String("date", "", "nightly: refresh findings as of this date (default: yesterday in Asia/Shanghai)")
	inbox := fs.String("inbox", envOr("CLOUDBILL_INBOX", "inbox"), "nightly: folder of metering files to ingest (env CLOUDBILL_INBOX)")
	year := fs.Int("year", 0, "annual: the year to settle (default: last year)")
	out := fs.String("out", envOr("CLOUDBILL_OUT", "reports"), "annual: folder for the documents (env CLOUDBILL_OUT)")
	// Flags may come before or after the job name.
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("run needs a job: nightly or annual")
	}
	job := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}

	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r := newJobRunner(db, a.Log, nil)
	switch job {
	case jobNightly:
		if *year != 0 {
			return usagef("--year is for the annual job")
		}
		asOf := func() metering.Date { return yesterday(r.now()) }
		if *date != "" {
			d, err := metering.ParseDate(*date)
			if err != nil {
				return usagef("--date: %v", err)
			}
			asOf = func() metering.Date { return d }
		}
		r.jobs = map[string]jobFunc{jobNightly: nightlyJob(a, db, *inbox, asOf)}
	case jobAnnual:
		if *date != "" {
			return usagef("--date is for the nightly job")
		}
		y := *year
		if y == 0 {
			y = metering.DateOf(r.now()).Year() - 1
		}
		if y < 2000 || y > 2100 {
			return usagef("--year %d is out of range", y)
		}
		r.jobs = map[string]jobFunc{jobAnnual: annualJob(a, db, *out, func() int { return y })}
	default:
		return usagef("unknown job %q: nightly or annual", job)
	}
	run, err := r.Run(ctx, job)
	if err != nil {
		return err
	}
	printRun(a, run)
	return nil
}

func printRun(a *App, run store.JobRun) {
	if run.Status == store.JobStatusSkipped {
		fmt.Fprintf(a.Stdout, "%s skipped: %s\n", run.Job, run.Error)
		return
	}
	fmt.Fprintf(a.Stdout, "%s %s in %s (run %d, %s)", run.Job, run.Status, run.Duration().Round(1e6), run.ID, run.Scope)
	for _, k := range sortedKeys(run.Counts) {
		fmt.Fprintf(a.Stdout, " %s=%s", k, strconv.FormatInt(run.Counts[k], 10))
	}
	fmt.Fprintln(a.Stdout)
}
