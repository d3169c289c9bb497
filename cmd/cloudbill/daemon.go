package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cloudbill/app"
	"cloudbill/metering"
)

// daemonConfig configures `cloudbill serve`.
type daemonConfig struct {
	// Schedules maps each job to a standard 5-field cron spec in
	// Asia/Shanghai; a job without a schedule (or "off") is not scheduled.
	Schedules map[string]string
	// CatchUp lists jobs run once at start when a scheduled time passed
	// since their last successful run (or they never succeeded).
	CatchUp []string
	// Grace is how long a running job may go on after shutdown is asked
	// before its context is cancelled (and its transaction rolled back).
	Grace time.Duration
	// Addr serves /healthz and /metrics; "" or "off" serves nothing.
	Addr string
}

// daemon runs the runner's jobs on their cron schedules.
type daemon struct {
	cfg     daemonConfig
	runner  *app.Runner
	metrics *metrics // nil: no /metrics
	log     *slog.Logger
	// listening, when set, is told the address /metrics is served on.
	listening func(addr string)
}

// parseSchedule parses a standard cron spec ("30 1 * * *") in Asia/Shanghai.
func parseSchedule(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// Run schedules the jobs, catches up a missed run, serves the metrics, and
// on ctx's end stops scheduling and waits for the running job (for up to
// Grace, then cancels it). A failing job is logged and recorded, never the
// end of the daemon; Run returns nil after a clean shutdown.
func (d *daemon) Run(ctx context.Context) error {
	type entry struct {
		name  string
		spec  string
		sched cron.Schedule
	}
	var entries []entry
	for _, name := range d.runner.JobNames() {
		spec := strings.TrimSpace(d.cfg.Schedules[name])
		if spec == "" || spec == "off" {
			d.log.Info("job not scheduled", slog.String("job", name))
			continue
		}
		s, err := parseSchedule(spec)
		if err != nil {
			return usagef("--%s: %v", name, err)
		}
		entries = append(entries, entry{name, spec, s})
	}

	if d.metrics != nil {
		if err := d.metrics.restore(ctx, d.runner.DB, d.runner.JobNames()); err != nil {
			return fmt.Errorf("read job history: %w", err)
		}
	}
	stopHTTP, err := d.serveHTTP()
	if err != nil {
		return err
	}
	defer stopHTTP()

	// Jobs run on a context that survives the shutdown request for Grace.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	logger := cronLogger{d.log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	c := cron.New(cron.WithLocation(metering.Shanghai), cron.WithLogger(logger))
	wrapped := map[string]cron.Job{}
	for _, e := range entries {
		name := e.name
		j := chain.Then(cron.FuncJob(func() {
			if ctx.Err() != nil {
				return // shutting down: no new job starts
			}
			d.runner.Run(jobCtx, name) // recorded and logged by the runner
		}))
		wrapped[name] = j
		c.Schedule(e.sched, j)
		d.log.Info("job scheduled", slog.String("job", name), slog.String("schedule", e.spec),
			slog.Time("next", e.sched.Next(d.runner.Now().In(metering.Shanghai))))
	}
	c.Start()
	d.log.Info("daemon started", slog.String("holder", d.runner.Holder), slog.String("database", string(d.runner.DB.Engine)))

	var catchUps sync.WaitGroup
	for _, e := range entries {
		if !slices.Contains(d.cfg.CatchUp, e.name) {
			continue
		}
		missed, due, err := d.runner.Missed(ctx, e.name, e.sched)
		if err != nil {
			d.log.Error("check for a missed run", slog.String("job", e.name), slog.Any("err", err))
			continue
		}
		if missed {
			d.log.Info("running a missed job now", slog.String("job", e.name), slog.Time("was_due", due))
			catchUps.Add(1)
			go func() {
				defer catchUps.Done()
				wrapped[e.name].Run()
			}()
		}
	}

	<-ctx.Done()
	d.log.Info("shutting down: no new job starts; waiting for the running one", slog.Duration("grace", d.cfg.Grace))
	stopped := c.Stop()
	idle := make(chan struct{})
	go func() {
		<-stopped.Done()
		catchUps.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-time.After(d.cfg.Grace):
		d.log.Warn("grace period over: cancelling the running job")
		cancelJobs()
		<-idle
	}
	d.log.Info("daemon stopped")
	return nil
}

// serveHTTP serves /healthz and /metrics on cfg.Addr until the returned
// function is called.
func (d *daemon) serveHTTP() (func(), error) {
	addr := d.cfg.Addr
	if addr == "" || addr == "off" || d.metrics == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics: %w", err)
	}
	srv := &http.Server{Handler: d.metrics.handler(d.runner.DB), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics server", slog.Any("err", err))
		}
	}()
	d.log.Info("serving /healthz and /metrics", slog.String("addr", ln.Addr().String()))
	if d.listening != nil {
		d.listening(ln.Addr().String())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// cronLogger sends robfig/cron's messages to slog: its chatter at debug
// level, a run skipped because the previous one still runs as a warning.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.l.Warn("cron: previous run still running, this one skipped", kv...)
		return
	}
	c.l.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, slog.Any("err", err))...)
}
