package daemon

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

// Config configures `cloudbill serve`.
type Config struct {
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

// Daemon runs the runner's jobs on their cron schedules.
type Daemon struct {
	Config  Config
	Runner  *app.Runner
	Metrics *Metrics // nil: no /metrics
	Log     *slog.Logger
	// Listening, when set, is told the address /metrics is served on.
	Listening func(addr string)
}

// parseSchedule parses a standard cron spec ("30 1 * * *") in Asia/Shanghai.
func ParseSchedule(spec string) (cron.Schedule, error) {
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
func (d *Daemon) Run(ctx context.Context) error {
	type entry struct {
		name  string
		spec  string
		sched cron.Schedule
	}
	var entries []entry
	for _, name := range d.Runner.JobNames() {
		spec := strings.TrimSpace(d.Config.Schedules[name])
		if spec == "" || spec == "off" {
			d.Log.Info("job not scheduled", slog.String("job", name))
			continue
		}
		s, err := ParseSchedule(spec)
		if err != nil {
			return &app.InputError{Field: name, Reason: err.Error()}
		}
		entries = append(entries, entry{name, spec, s})
	}

	if d.Metrics != nil {
		if err := d.Metrics.Restore(ctx, d.Runner.DB, d.Runner.JobNames()); err != nil {
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
	logger := cronLogger{d.Log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	c := cron.New(cron.WithLocation(metering.Shanghai), cron.WithLogger(logger))
	wrapped := map[string]cron.Job{}
	for _, e := range entries {
		name := e.name
		j := chain.Then(cron.FuncJob(func() {
			if ctx.Err() != nil {
				return // shutting down: no new job starts
			}
			d.Runner.Run(jobCtx, name) // recorded and logged by the runner
		}))
		wrapped[name] = j
		c.Schedule(e.sched, j)
		d.Log.Info("job scheduled", slog.String("job", name), slog.String("schedule", e.spec),
			slog.Time("next", e.sched.Next(d.Runner.Now().In(metering.Shanghai))))
	}
	c.Start()
	d.Log.Info("daemon started", slog.String("holder", d.Runner.Holder), slog.String("database", string(d.Runner.DB.Engine)))

	var catchUps sync.WaitGroup
	for _, e := range entries {
		if !slices.Contains(d.Config.CatchUp, e.name) {
			continue
		}
		missed, due, err := d.Runner.Missed(ctx, e.name, e.sched)
		if err != nil {
			d.Log.Error("check for a missed run", slog.String("job", e.name), slog.Any("err", err))
			continue
		}
		if missed {
			d.Log.Info("running a missed job now", slog.String("job", e.name), slog.Time("was_due", due))
			catchUps.Add(1)
			go func() {
				defer catchUps.Done()
				wrapped[e.name].Run()
			}()
		}
	}

	<-ctx.Done()
	d.Log.Info("shutting down: no new job starts; waiting for the running one", slog.Duration("grace", d.Config.Grace))
	stopped := c.Stop()
	idle := make(chan struct{})
	go func() {
		<-stopped.Done()
		catchUps.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-time.After(d.Config.Grace):
		d.Log.Warn("grace period over: cancelling the running job")
		cancelJobs()
		<-idle
	}
	d.Log.Info("daemon stopped")
	return nil
}

// serveHTTP serves /healthz and /metrics on Config.Addr until the returned
// function is called.
func (d *Daemon) serveHTTP() (func(), error) {
	addr := d.Config.Addr
	if addr == "" || addr == "off" || d.Metrics == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics: %w", err)
	}
	srv := &http.Server{Handler: d.Metrics.Handler(d.Runner.DB), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.Log.Error("metrics server", slog.Any("err", err))
		}
	}()
	d.Log.Info("serving /healthz and /metrics", slog.String("addr", ln.Addr().String()))
	if d.Listening != nil {
		d.Listening(ln.Addr().String())
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
