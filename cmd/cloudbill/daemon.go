package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cloudbill/metering"
	"cloudbill/store"
)

// jobResult is what a job reports: what it covered and what it counted.
// A failing job returns what it had counted so far with its error.
type jobResult struct {
	Scope  string
	Counts map[string]int64
}

// jobFunc is the body of a job. It must leave nothing half-applied when ctx
// is cancelled: its writes are transactions that roll back.
type jobFunc func(ctx context.Context) (jobResult, error)

// errLockLost cancels a job whose database lock was lost while it ran.
var errLockLost = errors.New("job lock lost while running")

// jobRunner runs named jobs the one way both the daemon and the one-shot
// `cloudbill run` use: take the job's database lock (or record a skipped
// run), record the run in job_runs, run the body retrying transient
// database errors with backoff, record the outcome and the metrics.
type jobRunner struct {
	db      *store.DB
	log     *slog.Logger
	holder  string             // host:pid, recorded with runs and locks
	now     func() time.Time   // the clock (tests inject one)
	lease   time.Duration      // SQLite lock lease
	backoff []time.Duration    // waits before each retry of a transient error
	metrics *metrics           // nil: no metrics (one-shot)
	jobs    map[string]jobFunc // job name → body
}

func newJobRunner(db *store.DB, log *slog.Logger, jobs map[string]jobFunc) *jobRunner {
	host, _ := os.Hostname()
	return &jobRunner{
		db:      db,
		log:     log,
		holder:  fmt.Sprintf("%s:%d", host, os.Getpid()),
		now:     time.Now,
		lease:   2 * time.Minute,
		backoff: []time.Duration{2 * time.Second, 8 * time.Second, 30 * time.Second},
		jobs:    jobs,
	}
}

// jobNames lists the runner's jobs in order.
func (r *jobRunner) jobNames() []string {
	names := make([]string, 0, len(r.jobs))
	for n := range r.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// bookkeeping is the context for writing a run's history: it outlives the
// job's cancellation (a cancelled job is still recorded) but not forever.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// Run runs job name once and returns its recorded run. The error is the
// job's own error (also recorded in the run) or a failure to run it at all;
// a run skipped because another process holds the lock is not an error.
func (r *jobRunner) Run(ctx context.Context, name string) (store.JobRun, error) {
	fn, ok := r.jobs[name]
	if !ok {
		return store.JobRun{}, fmt.Errorf("unknown job %q (jobs: %s)", name, strings.Join(r.jobNames(), ", "))
	}
	log := r.log.With(slog.String("job", name))
	run := store.JobRun{Job: name, Holder: r.holder, StartedAt: r.now()}
	if err := ctx.Err(); err != nil {
		return run, fmt.Errorf("job %s not started: %w", name, err)
	}

	var lock *store.Lock
	err := r.retry(ctx, log, func() error {
		var err error
		lock, err = r.db.TryLock(ctx, "job:"+name, r.holder, r.lease)
		return err
	})
	if errors.Is(err, store.ErrLocked) {
		run.Status, run.FinishedAt, run.Error = store.JobStatusSkipped, run.StartedAt, err.Error()
		log.Info("job skipped: another process is running it", slog.String("reason", err.Error()))
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		if run.ID, err = r.db.InsertJobRun(bctx, run); err != nil {
			log.Error("record skipped run", slog.Any("err", err))
		}
		r.metrics.observe(run)
		return run, nil
	}
	if err != nil {
		return run, fmt.Errorf("job %s: %w", name, err)
	}
	defer func() {
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		if err := lock.Release(bctx); err != nil {
			log.Warn("release job lock", slog.Any("err", err))
		}
	}()

	// Holding the lock, nobody else runs this job: rows still "running" were
	// left by a process that died.
	if n, err := r.db.AbandonJobRuns(ctx, name, run.StartedAt, "abandoned: the process running it ended before it finished"); err != nil {
		return run, fmt.Errorf("job %s: %w", name, err)
	} else if n > 0 {
		log.Warn("closed runs left running by a process that died", slog.Int64("runs", n))
	}
	run.Status = store.JobStatusRunning
	if err := r.retry(ctx, log, func() error {
		var err error
		run.ID, err = r.db.InsertJobRun(ctx, run)
		return err
	}); err != nil {
		return run, fmt.Errorf("job %s: %w", name, err)
	}
	log.Info("job started", slog.Int64("run", run.ID))

	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancel(errLockLost)
		case <-jctx.Done():
		}
	}()
	var res jobResult
	jobErr := r.retry(jctx, log, func() error {
		var err error
		res, err = fn(jctx)
		return err
	})
	if jobErr != nil && jctx.Err() != nil {
		jobErr = fmt.Errorf("interrupted (%w): %w", context.Cause(jctx), jobErr)
	}

	run.FinishedAt, run.Scope, run.Counts = r.now(), res.Scope, res.Counts
	run.Status = store.JobStatusSucceeded
	if jobErr != nil {
		run.Status, run.Error = store.JobStatusFailed, jobErr.Error()
	}
	bctx, bcancel := bookkeeping(ctx)
	defer bcancel()
	if err := r.retry(bctx, log, func() error { return r.db.FinishJobRun(bctx, run) }); err != nil {
		log.Error("record end of run", slog.Int64("run", run.ID), slog.Any("err", err))
	}
	r.metrics.observe(run)
	attrs := []any{slog.Int64("run", run.ID), slog.String("scope", run.Scope), slog.Duration("duration", run.Duration())}
	for _, k := range sortedKeys(run.Counts) {
		attrs = append(attrs, slog.Int64(k, run.Counts[k]))
	}
	if jobErr != nil {
		log.Error("job failed", append(attrs, slog.Any("err", jobErr))...)
		return run, fmt.Errorf("job %s: %w", name, jobErr)
	}
	log.Info("job succeeded", attrs...)
	return run, nil
}

// retry runs fn, again after each backoff wait while it fails with a
// transient database error.
func (r *jobRunner) retry(ctx context.Context, log *slog.Logger, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= len(r.backoff) || !store.IsTransient(err) || ctx.Err() != nil {
			return err
		}
		log.Warn("transient database error, trying again", slog.Int("attempt", attempt+1),
			slog.Duration("wait", r.backoff[attempt]), slog.Any("err", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(r.backoff[attempt]):
		}
	}
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

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
	cfg    daemonConfig
	runner *jobRunner
	log    *slog.Logger
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

// missed reports whether job missed a scheduled run: a scheduled time came
// after the start of its last successful run and is not later than now; a
// job that never succeeded has missed its run too. However many nights
// passed, that is one missed run.
func (d *daemon) missed(ctx context.Context, job string, sched cron.Schedule) (bool, time.Time, error) {
	last, ok, err := d.runner.db.LastJobRun(ctx, job, store.JobStatusSucceeded)
	if err != nil {
		return false, time.Time{}, err
	}
	if !ok {
		return true, time.Time{}, nil
	}
	due := sched.Next(last.StartedAt.In(metering.Shanghai))
	return !due.After(d.runner.now()), due, nil
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
	for _, name := range d.runner.jobNames() {
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

	if d.runner.metrics != nil {
		if err := d.runner.metrics.restore(ctx, d.runner.db, d.runner.jobNames()); err != nil {
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
			slog.Time("next", e.sched.Next(d.runner.now().In(metering.Shanghai))))
	}
	c.Start()
	d.log.Info("daemon started", slog.String("holder", d.runner.holder), slog.String("database", string(d.runner.db.Engine)))

	var catchUps sync.WaitGroup
	for _, e := range entries {
		if !slices.Contains(d.cfg.CatchUp, e.name) {
			continue
		}
		missed, due, err := d.missed(ctx, e.name, e.sched)
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
	if addr == "" || addr == "off" || d.runner.metrics == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics: %w", err)
	}
	srv := &http.Server{Handler: d.runner.metrics.handler(d.runner.db), ReadHeaderTimeout: 10 * time.Second}
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
