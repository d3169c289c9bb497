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
	// Schedules maps each job to a cron spec in Asia/Shanghai: five fields
	// (minute hour day month weekday) or six with seconds first; a job
	// without a schedule (or "off") is not scheduled.
	Schedules map[string]string
	// CatchUp lists jobs run once at start when a scheduled time passed
	// since their last successful run (or they never succeeded).
	CatchUp []string
	// Grace is how long a running job may go on after shutdown is asked
	// before its context is cancelled (and its transaction rolled back).
	Grace time.Duration
	// Addr serves /healthz and /metrics; "" or "off" serves nothing.
	Addr string
	// Inbox is the folder the nightly job reads; /healthz reports it
	// missing. "" checks nothing.
	Inbox string
	// FlushEvery is how often runs that could not be recorded while the
	// database was down are tried again (default 15 s).
	FlushEvery time.Duration
}

// Daemon runs the runner's jobs on their schedules.
type Daemon struct {
	Config  Config
	Runner  *app.Runner
	Metrics *Metrics // nil: no /metrics
	Log     *slog.Logger
	// Listening, when set, is told the address /metrics is served on.
	Listening func(addr string)
}

// parser reads five-field specs and six-field ones with seconds first.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec ("30 1 * * *", or with seconds
// "*/5 * * * * *"); its times are read in Asia/Shanghai.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// PrevTick is the latest tick of sched at or before now (zero when there
// is none in the last 400 days).
func PrevTick(sched app.Schedule, now time.Time) time.Time {
	now = now.In(metering.Shanghai)
	for _, back := range []time.Duration{time.Minute, time.Hour, 25 * time.Hour, 32 * 24 * time.Hour, 400 * 24 * time.Hour} {
		t := sched.Next(now.Add(-back))
		if t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.After(now) || n.IsZero() {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}

type entry struct {
	name  string
	spec  string
	sched cron.Schedule
}

// Run schedules the jobs, catches up a missed run, serves the metrics, and
// on ctx's end stops scheduling and waits for the running job (for up to
// Grace, then cancels it). Each job runs on its own loop: it sleeps until
// the next tick the schedule names and runs it with that tick's time, so
// that two daemons (or one restarted) claim the same tick and only one
// runs it. A failing job is logged and recorded, never the end of the
// daemon; Run returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
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
	var running sync.WaitGroup
	// One job of the daemon runs at a time, as with one cron runner.
	var one sync.Mutex
	runTick := func(name string, tick time.Time) {
		one.Lock()
		defer one.Unlock()
		if ctx.Err() != nil {
			return // shutting down: no new job starts
		}
		d.Runner.RunTick(jobCtx, name, tick) // recorded and logged by the runner
	}
	d.Log.Info("daemon started", slog.String("holder", d.Runner.Holder), slog.String("database", string(d.Runner.DB.Engine)))

	for _, e := range entries {
		catchUp := slices.Contains(d.Config.CatchUp, e.name)
		d.Log.Info("job scheduled", slog.String("job", e.name), slog.String("schedule", e.spec),
			slog.Time("next", e.sched.Next(d.Runner.Now().In(metering.Shanghai))), slog.Bool("catch_up", catchUp))
		running.Go(func() {
			if catchUp {
				d.catchUp(ctx, e, runTick)
			}
			d.loop(ctx, e, runTick)
		})
	}
	running.Go(func() { d.flushLoop(ctx) })

	<-ctx.Done()
	d.Log.Info("shutting down: no new job starts; waiting for the running one", slog.Float64("grace_seconds", d.Config.Grace.Seconds()))
	idle := make(chan struct{})
	go func() {
		running.Wait()
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

// loop runs e at each of its ticks until ctx ends. A tick that passes
// while the job still runs is skipped, as robfig/cron's SkipIfStillRunning
// would.
func (d *Daemon) loop(ctx context.Context, e entry, runTick func(string, time.Time)) {
	for {
		now := d.Runner.Now()
		next := e.sched.Next(now.In(metering.Shanghai))
		if next.IsZero() {
			return
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		// The timer may fire a little early by the clock the tick is
		// compared with: wait for the clock to reach the tick.
		for d.Runner.Now().Before(next) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(next.Sub(d.Runner.Now())):
			}
		}
		runTick(e.name, next)
	}
}

// catchUp runs e once for its latest tick when a scheduled time passed
// since its last successful run (or it never succeeded).
func (d *Daemon) catchUp(ctx context.Context, e entry, runTick func(string, time.Time)) {
	missed, due, err := d.Runner.Missed(ctx, e.name, e.sched)
	if err != nil {
		d.Log.Error("check for a missed run", slog.String("job", e.name), slog.Any("err", err))
		return
	}
	if !missed {
		return
	}
	tick := PrevTick(e.sched, d.Runner.Now())
	if tick.IsZero() {
		tick = due
	}
	d.Log.Info("running a missed job now", slog.String("job", e.name), slog.Time("was_due", tick))
	runTick(e.name, tick)
}

// flushLoop records runs that failed while the database was down.
func (d *Daemon) flushLoop(ctx context.Context) {
	every := d.Config.FlushEvery
	if every <= 0 {
		every = 15 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if d.Runner.Pending() > 0 {
				d.Runner.FlushPending(ctx)
			}
		}
	}
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
	srv := &http.Server{Handler: d.Metrics.Handler(d.health), ReadHeaderTimeout: 10 * time.Second}
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
