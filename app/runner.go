package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
)

// JobResult is what a job reports: what it covered and what it counted.
// A failing job returns what it had counted so far with its error.
type JobResult struct {
	Scope  string
	Counts map[string]int64
}

// JobFunc is the body of a job. It must leave nothing half-applied when ctx
// is cancelled: its writes are transactions that roll back.
type JobFunc func(ctx context.Context) (JobResult, error)

// ErrLockLost cancels a job whose database lock was lost while it ran.
var ErrLockLost = errors.New("job lock lost while running")

// Runner runs named jobs the one way both the daemon and the one-shot
// `cloudbill run` use: take the job's database lock (or record a skipped
// run), record the run in job_runs, run the body retrying transient
// database errors with backoff, record the outcome and tell Observe.
type Runner struct {
	DB      *store.DB
	Log     *slog.Logger
	Holder  string             // host:pid, recorded with runs and locks
	Now     func() time.Time   // the clock (tests inject one)
	Lease   time.Duration      // SQLite lock lease
	Backoff []time.Duration    // waits before each retry of a transient error
	Observe func(store.JobRun) // told of every finished or skipped run (metrics); may be nil
	Jobs    map[string]JobFunc // job name → body

	mu sync.Mutex
	// pending are runs that could not be recorded (the database was
	// down): they are written as soon as it answers again.
	pending []store.JobRun
}

// NewRunner returns a runner of jobs on db with the default lease and
// backoff, holder host:pid and the wall clock.
func NewRunner(db *store.DB, log *slog.Logger, jobs map[string]JobFunc) *Runner {
	host, _ := os.Hostname()
	return &Runner{
		DB:      db,
		Log:     log,
		Holder:  fmt.Sprintf("%s:%d", host, os.Getpid()),
		Now:     time.Now,
		Lease:   2 * time.Minute,
		Backoff: []time.Duration{2 * time.Second, 8 * time.Second, 30 * time.Second},
		Jobs:    jobs,
	}
}

// JobNames lists the runner's jobs in order.
func (r *Runner) JobNames() []string {
	names := make([]string, 0, len(r.Jobs))
	for n := range r.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// skip records run as skipped for reason and returns it.
func (r *Runner) skip(ctx context.Context, log *slog.Logger, run store.JobRun, reason, msg string) store.JobRun {
	run.Status, run.FinishedAt, run.Error = store.JobStatusSkipped, run.StartedAt, reason
	log.Info(msg, slog.String("reason", reason))
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	var err error
	if run.ID, err = r.DB.InsertJobRun(bctx, run); err != nil {
		log.Error("record skipped run", slog.Any("err", err))
	}
	r.observe(run)
	return run
}

// failed handles a run that could not start (the database did not answer,
// the lock could not be taken): logged at ERROR, counted, and recorded as
// failed now or, when the database is down, as soon as it answers again.
func (r *Runner) failed(ctx context.Context, log *slog.Logger, run store.JobRun, err error) error {
	run.Status, run.FinishedAt, run.Error = store.JobStatusFailed, r.Now(), err.Error()
	log.Error("job failed", slog.Any("err", err))
	r.observe(run)
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if _, ierr := r.DB.InsertJobRun(bctx, run); ierr != nil {
		r.mu.Lock()
		r.pending = append(r.pending, run)
		r.mu.Unlock()
		log.Warn("failed run not recorded yet: the database does not answer; it is recorded once it does", slog.Any("err", ierr))
	}
	return fmt.Errorf("job %s: %w", run.Job, err)
}

// FlushPending records the runs that could not be recorded while the
// database was down; it keeps those it still cannot write.
func (r *Runner) FlushPending(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var left []store.JobRun
	for _, run := range r.pending {
		if _, err := r.DB.InsertJobRun(ctx, run); err != nil && !errors.Is(err, store.ErrTickClaimed) {
			left = append(left, run)
			continue
		}
		r.Log.Info("recorded a failed run from while the database was down", slog.String("job", run.Job), slog.Time("started", run.StartedAt))
	}
	r.pending = left
}

// Pending is how many failed runs wait to be recorded.
func (r *Runner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

func (r *Runner) observe(run store.JobRun) {
	if r.Observe != nil {
		r.Observe(run)
	}
}

// bookkeeping is the context for writing a run's history: it outlives the
// job's cancellation (a cancelled job is still recorded) but not forever.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// Run runs job name once, by hand (no scheduled tick), and returns its
// recorded run; see RunTick.
func (r *Runner) Run(ctx context.Context, name string) (store.JobRun, error) {
	return r.RunTick(ctx, name, time.Time{})
}

// RunTick runs job name once for the tick the schedule named at scheduled
// (zero: a run by hand) and returns its recorded run. A tick is run once
// across processes: the run claims (job, scheduled) in the database, and a
// tick already claimed is skipped, as is a job whose lock another process
// holds; a skipped run is not an error. The error is the job's own error
// (also recorded in the run) or a failure to run it at all, which is
// logged, counted and recorded too (as soon as the database answers).
func (r *Runner) RunTick(ctx context.Context, name string, scheduled time.Time) (store.JobRun, error) {
	fn, ok := r.Jobs[name]
	if !ok {
		return store.JobRun{}, fmt.Errorf("unknown job %q (jobs: %s)", name, strings.Join(r.JobNames(), ", "))
	}
	log := r.Log.With(slog.String("job", name))
	run := store.JobRun{Job: name, Holder: r.Holder, Scheduled: scheduled, StartedAt: r.Now()}
	if !scheduled.IsZero() {
		log = log.With(slog.Time("scheduled", scheduled))
	}
	if err := ctx.Err(); err != nil {
		return run, fmt.Errorf("job %s not started: %w", name, err)
	}
	r.FlushPending(ctx)

	var lock *store.Lock
	err := r.retry(ctx, log, func() error {
		var err error
		lock, err = r.DB.TryLock(ctx, "job:"+name, r.Holder, r.Lease)
		return err
	})
	if errors.Is(err, store.ErrLocked) {
		return r.skip(ctx, log, run, err.Error(), "job skipped: another process is running it"), nil
	}
	if err != nil {
		return run, r.failed(ctx, log, run, err)
	}
	if dead := lock.TookOver(); dead != "" {
		log.Warn("took over the lock of a process that no longer exists", slog.String("dead_holder", dead))
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
	if n, err := r.DB.AbandonJobRuns(ctx, name, run.StartedAt, "abandoned: the process running it ended before it finished"); err != nil {
		return run, r.failed(ctx, log, run, err)
	} else if n > 0 {
		log.Warn("closed runs left running by a process that died", slog.Int64("runs", n))
	}
	run.Status = store.JobStatusRunning
	err = r.retry(ctx, log, func() error {
		var err error
		run.ID, err = r.DB.InsertJobRun(ctx, run)
		return err
	})
	if errors.Is(err, store.ErrTickClaimed) {
		reason := err.Error()
		if other, ok, _ := r.DB.TickRun(ctx, name, scheduled); ok {
			reason = fmt.Sprintf("tick %s already run by %s (run %d, %s)", scheduled.UTC().Format(time.RFC3339), other.Holder, other.ID, other.Status)
		}
		return r.skip(ctx, log, run, reason, "job skipped: its tick was already claimed"), nil
	}
	if err != nil {
		return run, r.failed(ctx, log, run, err)
	}
	log.Info("job started", slog.Int64("run", run.ID))

	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancel(ErrLockLost)
		case <-jctx.Done():
		}
	}()
	var res JobResult
	jobErr := r.retry(jctx, log, func() error {
		var err error
		res, err = fn(jctx)
		return err
	})
	if jobErr != nil && jctx.Err() != nil {
		jobErr = fmt.Errorf("interrupted (%w): %w", context.Cause(jctx), jobErr)
	}

	run.FinishedAt, run.Scope, run.Counts = r.Now(), res.Scope, res.Counts
	run.Status = store.JobStatusSucceeded
	if jobErr != nil {
		run.Status, run.Error = store.JobStatusFailed, jobErr.Error()
	}
	bctx, bcancel := bookkeeping(ctx)
	defer bcancel()
	if err := r.retry(bctx, log, func() error { return r.DB.FinishJobRun(bctx, run) }); err != nil {
		log.Error("record end of run", slog.Int64("run", run.ID), slog.Any("err", err))
	}
	r.observe(run)
	attrs := []any{slog.Int64("run", run.ID), slog.String("scope", run.Scope), slog.Float64("seconds", run.Duration().Seconds())}
	for _, k := range SortedKeys(run.Counts) {
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
func (r *Runner) retry(ctx context.Context, log *slog.Logger, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= len(r.Backoff) || !store.IsTransient(err) || ctx.Err() != nil {
			return err
		}
		log.Warn("transient database error, trying again", slog.Int("attempt", attempt+1),
			slog.Duration("wait", r.Backoff[attempt]), slog.Any("err", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(r.Backoff[attempt]):
		}
	}
}

// SortedKeys returns the keys of a run's counts in order.
func SortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Schedule says when a job runs next after a given time (a parsed cron
// spec is one).
type Schedule interface{ Next(time.Time) time.Time }

// Missed reports whether job missed a scheduled run: a scheduled time came
// after the start of its last successful run and is not later than now; a
// job that never succeeded has missed its run too. However many nights
// passed, that is one missed run. It also returns when the run was due.
func (r *Runner) Missed(ctx context.Context, job string, sched Schedule) (bool, time.Time, error) {
	last, ok, err := r.DB.LastJobRun(ctx, job, store.JobStatusSucceeded)
	if err != nil {
		return false, time.Time{}, err
	}
	if !ok {
		return true, time.Time{}, nil
	}
	due := sched.Next(last.StartedAt.In(metering.Shanghai))
	return !due.After(r.Now()), due, nil
}

// manualBackoff are the waits of a command run by hand (Recorded) before
// each new try of a transient database error: about 30 s in all, the
// SQLite busy timeout its statements wait for a writer anyway.
func manualBackoff() []time.Duration {
	return []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}
}

// ErrBusy is returned by Recorded when another process runs the same
// command.
var ErrBusy = errors.New("another process is running it")

// Recorded runs fn as the command name by hand, the way jobs run: under
// the command's lock and recorded in the job history (so `cloudbill jobs`
// lists manual settle, issue and ingest runs too). A command another
// process is running is refused with ErrBusy. A database busy with
// another writer (the nightly ingest of a file, say) is waited for, as
// the command's own statements wait for it (manualBackoff, 30 s in all),
// with a warning at each try; the job lock itself never waits.
func (a *App) Recorded(ctx context.Context, name string, fn JobFunc) (store.JobRun, error) {
	r := NewRunner(a.DB, a.Log, map[string]JobFunc{name: fn})
	if a.Now != nil {
		r.Now = a.Now
	}
	r.Backoff = manualBackoff()
	run, err := r.Run(ctx, name)
	if err != nil && run.Status == store.JobStatusFailed {
		if jobErr := errors.Unwrap(err); jobErr != nil {
			err = jobErr // the command's own error, without the runner's "job NAME:"
		}
	}
	if err == nil && run.Status == store.JobStatusSkipped {
		return run, fmt.Errorf("%s: %w (%s)", name, ErrBusy, run.Error)
	}
	return run, err
}
