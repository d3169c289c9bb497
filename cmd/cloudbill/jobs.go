package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"cloudbill/app"
	"cloudbill/daemon"
	"cloudbill/store"
	"cloudbill/web"
)

// cmdJobs lists recent job runs, newest first.
func cmdJobs(a *cli, fs *flag.FlagSet) action {
	var in app.JobsInput
	fs.IntVar(&in.Limit, "limit", 20, "how many runs to list")
	fs.StringVar(&in.Job, "job", "", "only this job (nightly, annual, monthly, quarterly, or a command: settle, issue, ingest)")
	fs.StringVar((*string)(&in.Status), "status", "", "only runs with this status (running, succeeded, failed, skipped, abandoned)")
	asJSON := fs.Bool("json", false, "one JSON object per line: job, scheduled, started, finished, status, error, counts…")
	return a.withInput(&in, func(ctx context.Context, ap *app.App) error {
		runs, err := ap.JobHistory(ctx, in)
		if err != nil {
			return err
		}
		if *asJSON {
			return app.WriteJobRunsJSON(a.Stdout, runs)
		}
		return a.show(app.JobTable(runs), nil)
	})
}

// cmdRun runs one job now, the way the daemon does (lock, job history,
// retries), for system cron or a Kubernetes CronJob.
func cmdRun(a *cli, fs *flag.FlagSet) action {
	var in app.JobArgs
	fs.StringVar(&in.Date, "date", "", "nightly: refresh findings as of this date (default: yesterday in Asia/Shanghai)")
	inbox := fs.String("inbox", envOr("CLOUDBILL_INBOX", "inbox"), "nightly: folder of metering files to ingest (env CLOUDBILL_INBOX)")
	a.settleFlag(fs)
	fs.IntVar(&in.Year, "year", 0, "annual: the year to settle (default: last year)")
	fs.StringVar(&in.Month, "month", "", "monthly: the month to report, e.g. 2024-07 (default: last month)")
	fs.StringVar(&in.Quarter, "quarter", "", "quarterly: the quarter to report, e.g. 2024Q3 (default: last quarter)")
	fs.StringVar(&in.Out, "out", envOr("CLOUDBILL_OUT", "reports"), "annual, monthly, quarterly: folder for the documents (env CLOUDBILL_OUT)")
	return func(ctx context.Context, args []string) error {
		// Flags may come before or after the job name.
		if len(args) == 0 {
			return usagef("run needs a job: nightly, annual, monthly or quarterly")
		}
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("unexpected arguments %q", fs.Args())
		}
		in.Job, in.Inbox = args[0], a.ingestInput(*inbox)
		job, err := in.Parse()
		if err != nil {
			return err
		}
		return a.withApp(ctx, func(ap *app.App) error {
			run, err := ap.RunJob(ctx, job)
			if err != nil {
				return err
			}
			if a.Verbose {
				fmt.Fprintln(a.Stdout, app.RunSummary(run))
			}
			return nil
		})
	}
}

// cmdServe runs the jobs on their schedules (daemon.DefaultSchedules, in
// Asia/Shanghai), and the review portal when --web names an address.
func cmdServe(a *cli, fs *flag.FlagSet) action {
	def := daemon.DefaultSchedules
	schedules := map[string]*string{
		app.JobNightly:   fs.String("nightly", envOr("CLOUDBILL_NIGHTLY", def[app.JobNightly]), "cron schedule of the nightly job (ingest the inbox, refresh findings as of yesterday), Asia/Shanghai; off disables (env CLOUDBILL_NIGHTLY)"),
		app.JobAnnual:    fs.String("annual", envOr("CLOUDBILL_ANNUAL", def[app.JobAnnual]), "cron schedule of the annual job (draft settlement of the previous year and its documents); off disables (env CLOUDBILL_ANNUAL)"),
		app.JobMonthly:   fs.String("monthly", envOr("CLOUDBILL_MONTHLY", def[app.JobMonthly]), "cron schedule of the monthly job (the previous month's report, month-Y-MM.pdf and .csv); off disables (env CLOUDBILL_MONTHLY)"),
		app.JobQuarterly: fs.String("quarterly", envOr("CLOUDBILL_QUARTERLY", def[app.JobQuarterly]), "cron schedule of the quarterly job (the previous quarter's report, quarter-YQn.pdf and .csv); off disables (env CLOUDBILL_QUARTERLY)"),
	}
	cfg := daemon.Config{Schedules: map[string]string{}}
	fs.StringVar(&cfg.Inbox, "inbox", envOr("CLOUDBILL_INBOX", "inbox"), "folder the nightly metering files arrive in (env CLOUDBILL_INBOX)")
	a.settleFlag(fs)
	out := fs.String("out", envOr("CLOUDBILL_OUT", "reports"), "folder the annual, monthly and quarterly jobs write their documents to (env CLOUDBILL_OUT)")
	fs.StringVar(&cfg.Addr, "addr", envOr("CLOUDBILL_ADDR", "127.0.0.1:9464"), "address of /healthz and /metrics; off serves nothing (env CLOUDBILL_ADDR)")
	fs.DurationVar(&cfg.Grace, "grace", envDuration("CLOUDBILL_GRACE", time.Minute), "on SIGTERM, how long a running job may go on before it is cancelled and rolled back (env CLOUDBILL_GRACE)")
	webAddr := fs.String("web", envOr("CLOUDBILL_WEB", "off"), "address of the review portal, as in 127.0.0.1:8080; off serves none (env CLOUDBILL_WEB)")
	webCfg := web.Config{}
	fs.StringVar(&webCfg.CacheDir, "web-cache", envOr("CLOUDBILL_WEB_CACHE", ""), "folder the portal renders each statement version's documents into (default: a folder under the system's temporary directory; env CLOUDBILL_WEB_CACHE)")
	fs.BoolVar(&webCfg.TrustProxy, "web-trust-proxy", false, "the portal is behind a reverse proxy: take the client's address from X-Forwarded-For and HTTPS from X-Forwarded-Proto")
	catchUp := fs.Bool("catch-up", true, "at start, run each job once if a scheduled run was missed since its last success (the annual, monthly and quarterly jobs too)")
	return func(ctx context.Context, _ []string) error {
		for job, spec := range schedules {
			if cfg.Schedules[job] = *spec; *spec == "off" {
				continue
			}
			if _, err := daemon.ParseSchedule(*spec); err != nil {
				return usagef("--%s: %w", job, err)
			}
		}
		if *catchUp {
			cfg.CatchUp = []string{app.JobNightly, app.JobAnnual, app.JobMonthly, app.JobQuarterly}
		}
		return a.withApp(ctx, func(ap *app.App) error {
			r := ap.DaemonRunner(a.ingestInput(cfg.Inbox), *out)
			m := daemon.NewMetrics(app.Version())
			r.Observe = m.Observe
			d := &daemon.Daemon{Config: cfg, Runner: r, Metrics: m, Log: a.Log}
			if *webAddr == "" || *webAddr == "off" {
				return d.Run(ctx)
			}
			webCfg.Inbox = cfg.Inbox
			portal, err := web.New(ap, webCfg)
			if err != nil {
				return err
			}
			// The portal and the daemon stop together: on SIGTERM, or when the
			// portal cannot listen.
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			webErr := make(chan error, 1)
			go func() {
				webErr <- web.Serve(runCtx, web.ListenAddr(*webAddr), portal, a.Log, nil)
				stop()
			}()
			err = d.Run(runCtx)
			stop()
			if werr := <-webErr; err == nil {
				err = werr
			}
			return err
		})
	}
}

// cmdBackup writes a consistent copy of the SQLite database while the
// daemon goes on (VACUUM INTO); PostgreSQL is backed up with pg_dump.
func cmdBackup(c *cli, fs *flag.FlagSet) action {
	var in app.BackupInput
	fs.StringVar(&in.Out, "out", "", "`FILE` to write the copy to (must not exist)")
	return c.withInput(&in, func(ctx context.Context, a *app.App) error {
		if err := a.Backup(ctx, in); err != nil {
			return err
		}
		if !c.quiet() {
			fmt.Fprintf(c.Stdout, "%s database copied to %s (restore: stop the daemon, put the copy in place of %s)\n", a.DB.Engine, in.Out, store.RedactDSN(c.DSN))
		}
		return nil
	})
}

// cmdMigrate applies the migrations the database lacks (opening it does)
// and prints its schema version. It parses its own flags: arguments after
// them are ignored, as they always were.
func cmdMigrate(c *cli, fs *flag.FlagSet) action {
	return func(ctx context.Context, args []string) error {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			n, err := a.DB.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s database at schema version %d\n", a.DB.Engine, n)
			return nil
		})
	}
}
