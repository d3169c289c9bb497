package app

import (
	"encoding/json"
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
