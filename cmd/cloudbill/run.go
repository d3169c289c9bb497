package main

import (
	"context"
	"fmt"
	"strconv"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/store"
)

// cmdRun runs one job now, the way the daemon does (lock, job history,
// retries), for system cron or a Kubernetes CronJob.
func cmdRun(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "run", "nightly|annual|monthly|quarterly")
	date := fs.String("date", "", "nightly: refresh findings as of this date (default: yesterday in Asia/Shanghai)")
	inbox := fs.String("inbox", envOr("CLOUDBILL_INBOX", "inbox"), "nightly: folder of metering files to ingest (env CLOUDBILL_INBOX)")
	a.settleFlag(fs)
	year := fs.Int("year", 0, "annual: the year to settle (default: last year)")
	month := fs.String("month", "", "monthly: the month to report, e.g. 2024-07 (default: last month)")
	quarter := fs.String("quarter", "", "quarterly: the quarter to report, e.g. 2024Q3 (default: last quarter)")
	out := fs.String("out", envOr("CLOUDBILL_OUT", "reports"), "annual, monthly, quarterly: folder for the documents (env CLOUDBILL_OUT)")
	// Flags may come before or after the job name.
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("run needs a job: nightly, annual, monthly or quarterly")
	}
	job := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}

	in := app.JobInput{Job: job, Year: *year, Inbox: a.ingestInput(*inbox), Out: *out}
	if *date != "" {
		d, err := metering.ParseDate(*date)
		if err != nil {
			return usagef("--date: %v", err)
		}
		in.Date = d
	}
	if *month != "" && *quarter != "" {
		return usagef("give --month or --quarter, not both")
	}
	if *month != "" {
		p, err := billing.ParseMonth(*month)
		if err != nil {
			return usagef("--month: %v", err)
		}
		in.Period = p
	}
	if *quarter != "" {
		p, err := billing.ParseQuarter(*quarter)
		if err != nil {
			return usagef("--quarter: %v", err)
		}
		in.Period = p
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return a.withApp(ctx, func(ap *app.App) error {
		r := app.NewRunner(ap.DB, a.Log, nil)
		fn, err := ap.Job(in, r.Now)
		if err != nil {
			return err
		}
		r.Jobs = map[string]app.JobFunc{job: fn}
		run, err := r.Run(ctx, job)
		if err != nil {
			return err
		}
		if a.Verbose {
			printRun(a, run)
		}
		return nil
	})
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
