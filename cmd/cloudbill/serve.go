package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"cloudbill/app"
	"cloudbill/daemon"
	"cloudbill/web"
)

// Default schedules, in Asia/Shanghai (daemon.DefaultSchedules).
var (
	defaultNightly   = daemon.DefaultSchedules[app.JobNightly]   // 01:30 every day
	defaultAnnual    = daemon.DefaultSchedules[app.JobAnnual]    // 06:00 on 5 January
	defaultMonthly   = daemon.DefaultSchedules[app.JobMonthly]   // 06:30 on the 1st: the previous month
	defaultQuarterly = daemon.DefaultSchedules[app.JobQuarterly] // 07:00 on a quarter's first day: the previous quarter
)

func cmdServe(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "serve", "")
	nightly := fs.String("nightly", envOr("CLOUDBILL_NIGHTLY", defaultNightly), "cron schedule of the nightly job (ingest the inbox, refresh findings as of yesterday), Asia/Shanghai; off disables (env CLOUDBILL_NIGHTLY)")
	annual := fs.String("annual", envOr("CLOUDBILL_ANNUAL", defaultAnnual), "cron schedule of the annual job (draft settlement of the previous year and its documents); off disables (env CLOUDBILL_ANNUAL)")
	monthly := fs.String("monthly", envOr("CLOUDBILL_MONTHLY", defaultMonthly), "cron schedule of the monthly job (the previous month's report, month-Y-MM.pdf and .csv); off disables (env CLOUDBILL_MONTHLY)")
	quarterly := fs.String("quarterly", envOr("CLOUDBILL_QUARTERLY", defaultQuarterly), "cron schedule of the quarterly job (the previous quarter's report, quarter-YQn.pdf and .csv); off disables (env CLOUDBILL_QUARTERLY)")
	inbox := fs.String("inbox", envOr("CLOUDBILL_INBOX", "inbox"), "folder the nightly metering files arrive in (env CLOUDBILL_INBOX)")
	a.settleFlag(fs)
	out := fs.String("out", envOr("CLOUDBILL_OUT", "reports"), "folder the annual, monthly and quarterly jobs write their documents to (env CLOUDBILL_OUT)")
	addr := fs.String("addr", envOr("CLOUDBILL_ADDR", "127.0.0.1:9464"), "address of /healthz and /metrics; off serves nothing (env CLOUDBILL_ADDR)")
	grace := fs.Duration("grace", envDuration("CLOUDBILL_GRACE", time.Minute), "on SIGTERM, how long a running job may go on before it is cancelled and rolled back (env CLOUDBILL_GRACE)")
	webAddr := fs.String("web", envOr("CLOUDBILL_WEB", "off"), "address of the review portal, as in 127.0.0.1:8080; off serves none (env CLOUDBILL_WEB)")
	webCache := fs.String("web-cache", envOr("CLOUDBILL_WEB_CACHE", ""), "folder the portal renders each statement version's documents into (default: a folder under the system's temporary directory; env CLOUDBILL_WEB_CACHE)")
	webProxy := fs.Bool("web-trust-proxy", false, "the portal is behind a reverse proxy: take the client's address from X-Forwarded-For and HTTPS from X-Forwarded-Proto")
	catchUp := fs.Bool("catch-up", true, "at start, run each job once if a scheduled run was missed since its last success (the annual, monthly and quarterly jobs too)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	for flag, spec := range map[string]string{"nightly": *nightly, "annual": *annual, "monthly": *monthly, "quarterly": *quarterly} {
		if spec == "off" {
			continue
		}
		if _, err := daemon.ParseSchedule(spec); err != nil {
			return usagef("--%s: %v", flag, err)
		}
	}
	return a.withApp(ctx, func(ap *app.App) error {
		r := app.NewRunner(ap.DB, a.Log, nil)
		r.Jobs = ap.DaemonJobs(a.ingestInput(*inbox), *out, r.Now)
		m := daemon.NewMetrics(app.Version())
		r.Observe = m.Observe
		cfg := daemon.Config{Inbox: *inbox,
			Schedules: map[string]string{app.JobNightly: *nightly, app.JobAnnual: *annual, app.JobMonthly: *monthly, app.JobQuarterly: *quarterly},
			Grace:     *grace,
			Addr:      *addr,
		}
		if *catchUp {
			cfg.CatchUp = []string{app.JobNightly, app.JobAnnual, app.JobMonthly, app.JobQuarterly}
		}
		d := &daemon.Daemon{Config: cfg, Runner: r, Metrics: m, Log: a.Log}
		if *webAddr == "" || *webAddr == "off" {
			return d.Run(ctx)
		}
		portal, err := web.New(ap, web.Config{Inbox: *inbox, CacheDir: *webCache, TrustProxy: *webProxy})
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

func envDuration(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "cloudbill: ignoring %s=%q: not a duration\n", key, v)
	}
	return def
}
