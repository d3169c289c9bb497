// Package apptest helps the tests of the packages that run jobs: a runner
// with quick retries, a fixed clock, the job history read back, and a
// closed year to archive.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
)

// Discard is a logger that writes nothing.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// Runner is a runner of jobs with the given holder and clock (nil: the
// wall clock), and short backoffs (1 ms to 0.5 s, under a second in all):
// enough for several runners contending for one SQLite database on a
// loaded machine, where the job lock never waits for a writer.
func Runner(db *store.DB, holder string, now func() time.Time, jobs map[string]app.JobFunc) *app.Runner {
	r := app.NewRunner(db, Discard, jobs)
	r.Holder = holder
	r.Backoff = []time.Duration{time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond}
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

// ClosedYear fills a's database with a closed year: the Datong fixtures
// loaded, metered from 20 December 2024 to 5 January 2025 (63,000 rows)
// and ingested, the findings refreshed as of 5 January, 2024 settled and
// issued (at a's clock).
func ClosedYear(t testing.TB, a *app.App) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := fixtures.WriteDatong(filepath.Join(dir, "reference")); err != nil {
		t.Fatal(err)
	}
	ref, problems := reference.ReadDir(filepath.Join(dir, "reference"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if _, err := a.LoadSet(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.Generate(fixtures.GenOptions{From: metering.MustDate("2024-12-20"), To: metering.MustDate("2025-01-05"),
		Out: filepath.Join(dir, "metering"), Seed: 1, Layout: fixtures.LayoutSingle}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest(ctx, app.IngestInput{Paths: []string{filepath.Join(dir, "metering")}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: metering.MustDate("2025-01-05")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settle(ctx, app.YearInput{Year: 2024}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Issue(ctx, app.IssueInput{Year: 2024, WithoutSignoff: "test"}); err != nil {
		t.Fatal(err)
	}
}
