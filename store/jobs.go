package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// JobStatus is the state of one job run.
type JobStatus string

const (
	JobStatusRunning   JobStatus = "running"
	JobStatusSucceeded JobStatus = "succeeded"
	JobStatusFailed    JobStatus = "failed"
	// JobStatusSkipped is a run that did not start because another process
	// held the job's lock or had claimed its tick.
	JobStatusSkipped JobStatus = "skipped"
	// JobStatusAbandoned is a run left running by a process that ended
	// before it finished.
	JobStatusAbandoned JobStatus = "abandoned"
)

// Valid reports whether s is one of the statuses.
func (s JobStatus) Valid() bool {
	switch s {
	case JobStatusRunning, JobStatusSucceeded, JobStatusFailed, JobStatusSkipped, JobStatusAbandoned:
		return true
	}
	return false
}

// ErrTickClaimed is returned by InsertJobRun when another run of the job
// already claimed the same scheduled tick (and is running or succeeded).
var ErrTickClaimed = errors.New("tick already claimed")

// JobRun is one row of the job history: an attempt to run a named job
// (nightly, annual) from the daemon, its catch-up or a one-shot command.
type JobRun struct {
	ID     int64
	Job    string
	Scope  string // what the run covered, as in "date=2024-06-01"
	Holder string // host:pid of the process that ran it
	// Scheduled is the time the schedule named for this run (the tick it
	// claims); zero for a run started by hand.
	Scheduled  time.Time
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Status     JobStatus
	Counts     map[string]int64
	Error      string
}

// Duration is how long a finished run took (zero while running).
func (r JobRun) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

func countsJSON(c map[string]int64) (string, error) {
	if len(c) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(c) // keys sorted
	if err != nil {
		return "", fmt.Errorf("encode job counts: %w", err)
	}
	return string(b), nil
}

func (db *DB) finishedAt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.dialect.instant(t)
}

// InsertJobRun records a run (usually with status running, or a finished
// skipped run) and returns its id. A running or succeeded run of a
// scheduled tick claims the tick: when another run of the job already
// claimed it, nothing is written and the error is ErrTickClaimed.
func (db *DB) InsertJobRun(ctx context.Context, r JobRun) (int64, error) {
	counts, err := countsJSON(r.Counts)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.pool.QueryRowContext(ctx, db.pool.Rebind(`INSERT INTO job_runs (job, scope, holder, scheduled, started_at, finished_at, status, counts, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (job, scheduled) WHERE scheduled IS NOT NULL AND status IN ('running', 'succeeded') DO NOTHING
		RETURNING id`),
		r.Job, r.Scope, r.Holder, db.finishedAt(r.Scheduled), db.dialect.instant(r.StartedAt), db.finishedAt(r.FinishedAt), string(r.Status), counts, r.Error).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("record %s run of %s: %w", r.Job, r.Scheduled.UTC().Format(time.RFC3339), ErrTickClaimed)
	}
	if err != nil {
		return 0, fmt.Errorf("record %s run: %w", r.Job, err)
	}
	return id, nil
}

// TickRun returns the run that claimed job's tick at scheduled (running or
// succeeded); ok is false when none did.
func (db *DB) TickRun(ctx context.Context, job string, scheduled time.Time) (run JobRun, ok bool, err error) {
	runs, err := db.jobRuns(ctx, ` AND job = ? AND scheduled = ? AND status IN ('running', 'succeeded')`, []any{job, db.dialect.instant(scheduled)}, 1)
	if err != nil || len(runs) == 0 {
		return JobRun{}, false, err
	}
	return runs[0], true, nil
}

// FinishJobRun records the end of run r.ID: finish time, status, scope,
// counts and error.
func (db *DB) FinishJobRun(ctx context.Context, r JobRun) error {
	counts, err := countsJSON(r.Counts)
	if err != nil {
		return err
	}
	res, err := db.pool.ExecContext(ctx, db.pool.Rebind(`UPDATE job_runs SET finished_at = ?, status = ?, scope = ?, counts = ?, error = ? WHERE id = ?`),
		db.finishedAt(r.FinishedAt), string(r.Status), r.Scope, counts, r.Error, r.ID)
	if err != nil {
		return fmt.Errorf("record end of %s run %d: %w", r.Job, r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("record end of %s run %d: no such run", r.Job, r.ID)
	}
	return nil
}

// AbandonJobRuns marks job's runs still recorded as running as abandoned
// with reason. Call it only while holding the job's lock: then no other process
// can be running the job, and such rows are left by a process that died.
func (db *DB) AbandonJobRuns(ctx context.Context, job string, at time.Time, reason string) (int64, error) {
	res, err := db.pool.ExecContext(ctx, db.pool.Rebind(`UPDATE job_runs SET status = ?, finished_at = ?, error = ? WHERE job = ? AND status = ?`),
		string(JobStatusAbandoned), db.dialect.instant(at), reason, job, string(JobStatusRunning))
	if err != nil {
		return 0, fmt.Errorf("close abandoned %s runs: %w", job, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// JobRunFilter selects job runs: Job "" means every job; Limit ≤ 0 means 20.
type JobRunFilter struct {
	Job    string
	Status JobStatus
	Limit  int
}

// JobRuns lists recent runs, newest first.
func (db *DB) JobRuns(ctx context.Context, f JobRunFilter) ([]JobRun, error) {
	var where string
	var args []any
	if f.Job != "" {
		where += ` AND job = ?`
		args = append(args, f.Job)
	}
	if f.Status != "" {
		where += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	return db.jobRuns(ctx, where, args, f.Limit)
}

// jobRuns lists the runs matching the fixed filter fragment where (each
// starting with AND) with its args, newest first.
func (db *DB) jobRuns(ctx context.Context, where string, args []any, limit int) ([]JobRun, error) {
	q := `SELECT id, job, scope, holder, scheduled, started_at, finished_at, status, counts, error FROM job_runs WHERE 1 = 1` + where +
		` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list job runs: %w", err)
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var (
			r                            JobRun
			scheduled, started, finished Instant
			status, counts               string
		)
		if err := rows.Scan(&r.ID, &r.Job, &r.Scope, &r.Holder, &scheduled, &started, &finished, &status, &counts, &r.Error); err != nil {
			return nil, fmt.Errorf("read job run: %w", err)
		}
		r.Scheduled, r.StartedAt, r.FinishedAt, r.Status = scheduled.Time, started.Time, finished.Time, JobStatus(status)
		if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
			return nil, fmt.Errorf("job run %d: counts: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastJobRun returns job's most recent run with status (any status when
// empty); ok is false when there is none.
func (db *DB) LastJobRun(ctx context.Context, job string, status JobStatus) (run JobRun, ok bool, err error) {
	runs, err := db.JobRuns(ctx, JobRunFilter{Job: job, Status: status, Limit: 1})
	if err != nil || len(runs) == 0 {
		return JobRun{}, false, err
	}
	return runs[0], true, nil
}
