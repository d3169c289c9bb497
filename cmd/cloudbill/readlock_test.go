package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// TestReadingCommandsTakeNoWriteLock: on SQLite, while another connection
// holds the write lock (an ingest's long transaction, BEGIN IMMEDIATE),
// the commands that only read go on at once: Open reads schema_migrations
// only, the connection pragmas take no lock (journal_mode=WAL is already
// so), and none of these commands begins a write transaction. Were one to
// wait for the lock, it would wait the busy timeout (30 s) and fail, past
// the deadline each gets here.
func TestReadingCommandsTakeNoWriteLock(t *testing.T) {
	dsn := closedYearDSN(t, store.EngineSQLite)
	if code, _, stderr := ingestRun(t, dsn, "ingest", writeUsage(t, "u.csv", "2025-01-05,NOPE,VCPU,4\n")); code != 0 {
		t.Fatal(stderr)
	}
	db := openTestDB(t, dsn)
	tx, err := storetest.SQL(t, db).Beginx() // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('held', 'test', '2024-01-01', '2999-01-01')`); err != nil {
		t.Fatal(err)
	}
	// The lock is held: a writer that does not wait is refused.
	other, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if otx, err := other.Begin(); err == nil {
		otx.Rollback()
		t.Fatal("a second writer began while the write lock is held: the test holds nothing")
	}
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs"}, "ingest"},
		{[]string{"jobs", "--json"}, `"status":"succeeded"`},
		{[]string{"rejects"}, `unknown resource "NOPE"`},
		{[]string{"summaries"}, "usage_months matches usage"},
		{[]string{"report", "--year", "2024", "--out", out}, ""},
		{[]string{"migrate"}, "schema version"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code, stdout, stderr := runMain(t, ctx, append([]string{"--db", dsn}, tc.args...)...)
			if code != 0 || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d while another connection holds the write lock, want 0 and %q:\n%s%s", code, tc.want, stdout, stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "settlement-2024.csv")); err != nil {
		t.Errorf("report of the issued 2024: %v", err)
	}
}
