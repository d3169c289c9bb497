package app_test

import (
	"context"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// A command run by hand while another process writes (the nightly ingest
// of a file holds SQLite's write lock) waits for the writer instead of
// failing at once with SQLITE_BUSY, and then runs and is recorded.
func TestRecordedWaitsForABusyWriter(t *testing.T) {
	db := storetest.Open(t, store.EngineSQLite)
	ctx := context.Background()
	writer, err := storetest.SQL(t, db).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	const hold = 600 * time.Millisecond
	go func() {
		time.Sleep(hold)
		writer.ExecContext(ctx, `COMMIT`)
	}()
	a := app.New(db, nil)
	start := time.Now()
	ran := false
	run, err := a.Recorded(ctx, "settle", func(context.Context) (app.JobResult, error) {
		ran = true
		return app.JobResult{Scope: "year=2024"}, nil
	})
	if err != nil || !ran || run.Status != store.JobStatusSucceeded {
		t.Fatalf("after %s: ran %t, %+v, %v", time.Since(start), ran, run, err)
	}
	if waited := time.Since(start); waited < hold/2 {
		t.Errorf("ran after %s, while the writer held the database for %s", waited, hold)
	}
}
