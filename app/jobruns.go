package app

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"cloudbill/store"
)

// JobRunJSON is a job run as one line of `cloudbill jobs --json`
// (docs/operations.md): instants in RFC 3339 UTC, absent ones null, the
// counts an object even when there are none.
type JobRunJSON store.JobRun

// MarshalJSON writes the run's fields under their documented names.
func (r JobRunJSON) MarshalJSON() ([]byte, error) {
	type line struct {
		ID        int64            `json:"id"`
		Job       string           `json:"job"`
		Scheduled *time.Time       `json:"scheduled"`
		Started   time.Time        `json:"started"`
		Finished  *time.Time       `json:"finished"`
		Seconds   *float64         `json:"seconds"`
		Status    store.JobStatus  `json:"status"`
		Scope     string           `json:"scope"`
		Holder    string           `json:"holder"`
		Error     string           `json:"error"`
		Counts    map[string]int64 `json:"counts"`
	}
	j := line{ID: r.ID, Job: r.Job, Started: r.StartedAt.UTC(), Status: r.Status, Scope: r.Scope, Holder: r.Holder, Error: r.Error, Counts: r.Counts}
	if !r.Scheduled.IsZero() {
		t := r.Scheduled.UTC()
		j.Scheduled = &t
	}
	if !r.FinishedAt.IsZero() {
		t, s := r.FinishedAt.UTC(), store.JobRun(r).Duration().Seconds()
		j.Finished, j.Seconds = &t, &s
	}
	if j.Counts == nil {
		j.Counts = map[string]int64{}
	}
	return json.Marshal(j)
}

// JobsInput selects the job runs `cloudbill jobs` lists.
type JobsInput store.JobRunFilter

// Validate checks the status and the limit.
func (in JobsInput) Validate() error {
	if in.Status != "" && !in.Status.Valid() {
		return Usagef("--status %q: running, succeeded, failed, skipped or abandoned", in.Status)
	}
	if in.Limit <= 0 {
		return Usagef("--limit must be positive")
	}
	return nil
}

// JobHistory lists the runs in selects, newest first.
func (a *App) JobHistory(ctx context.Context, in JobsInput) ([]store.JobRun, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return a.DB.JobRuns(ctx, store.JobRunFilter(in))
}

// RunJob runs the job of in now, the way the daemon runs it (its lock,
// the job history, retries of transient errors), and returns the run.
func (a *App) RunJob(ctx context.Context, in JobInput) (store.JobRun, error) {
	r := NewRunner(a.DB, a.Log, nil)
	fn, err := a.Job(in, r.Now)
	if err != nil {
		return store.JobRun{}, err
	}
	r.Jobs = map[string]JobFunc{in.Job: fn}
	return r.Run(ctx, in.Job)
}

// DaemonRunner is the runner of the daemon's jobs (DaemonJobs), on its
// own clock.
func (a *App) DaemonRunner(in IngestInput, out string) *Runner {
	r := NewRunner(a.DB, a.Log, nil)
	r.Jobs = a.DaemonJobs(in, out, r.Now)
	return r
}

// WriteJobRunsJSON writes runs to w as `cloudbill jobs --json` does: one
// JSON object a line (JobRunJSON).
func WriteJobRunsJSON(w io.Writer, runs []store.JobRun) error {
	enc := json.NewEncoder(w)
	for _, r := range runs {
		if err := enc.Encode(JobRunJSON(r)); err != nil {
			return err
		}
	}
	return nil
}
