// Package apptest helps the tests of the packages that run jobs: a runner
// with quick retries, a fixed clock, and the job history read back.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

// Discard is a logger that writes nothing.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// Runner is a runner of jobs with the given holder and clock (nil: the
// wall clock), and millisecond backoffs.
func Runner(db *store.DB, holder string, now func() time.Time, jobs map[string]app.JobFunc) *app.Runner {
	r := app.NewRunner(db, Discard, jobs)
	r.Holder = holder
	r.Backoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	if now != nil {
		r.Now = now
	}
	return r
}

// Clock is a clock stopped at s ("2006-01-02 15:04", Asia/Shanghai).
func Clock(s string) func() time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, metering.Shanghai)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// WaitFor polls cond until it holds, failing the test after a minute.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Runs returns the recorded runs of job, newest first.
func Runs(t *testing.T, db *store.DB, job string) []store.JobRun {
	t.Helper()
	runs, err := db.JobRuns(context.Background(), store.JobRunFilter{Job: job, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// Statuses counts runs by status.
func Statuses(runs []store.JobRun) map[store.JobStatus]int {
	m := map[store.JobStatus]int{}
	for _, r := range runs {
		m[r.Status]++
	}
	return m
}
