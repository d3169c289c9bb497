package main

import (
	"context"
	"fmt"
	"strconv"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

// cmdRun runs one job now, the way the daemon does (lock, job history,
// retries), for system cron or a Kubernetes CronJob.
func cmdRun(ctx context.Context, a *cli, args []string) error {
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

	ap, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer ap.DB.Close()
	r := app.NewRunner(ap.DB, a.Log, nil)
	switch job {
	case app.JobNightly:
		if *year != 0 {
			return usagef("--year is for the annual job")
		}
		asOf := func() metering.Date { return app.Yesterday(r.Now()) }
		if *date != "" {
			d, err := metering.ParseDate(*date)
			if err != nil {
				return usagef("--date: %v", err)
			}
			asOf = func() metering.Date { return d }
		}
		r.Jobs = map[string]app.JobFunc{app.JobNightly: ap.NightlyJob(a.ingestInput(*inbox), asOf)}
	case app.JobAnnual:
		if *date != "" {
			return usagef("--date is for the nightly job")
		}
		y := *year
		if y == 0 {
			y = metering.DateOf(r.Now()).Year() - 1
		}
		if err := app.ValidateYear(y); err != nil {
			return err
		}
		r.Jobs = map[string]app.JobFunc{app.JobAnnual: ap.AnnualJob(*out, func() int { return y })}
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

func printRun(a *cli, run store.JobRun) {
	if run.Status == store.JobStatusSkipped {
		fmt.Fprintf(a.Stdout, "%s skipped: %s\n", run.Job, run.Error)
		return
	}
	fmt.Fprintf(a.Stdout, "%s %s in %s (run %d, %s)", run.Job, run.Status, run.Duration().Round(1e6), run.ID, run.Scope)
	for _, k := range app.SortedKeys(run.Counts) {
		fmt.Fprintf(a.Stdout, " %s=%s", k, strconv.FormatInt(run.Counts[k], 10))
	}
	fmt.Fprintln(a.Stdout)
}
