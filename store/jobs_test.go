package store_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

func TestJobRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 17, 30, 0, 0, time.UTC) // 2024-06-02 01:30 in Shanghai
		id1, err := db.InsertJobRun(ctx, store.JobRun{Job: "nightly", Holder: "h:1", StartedAt: t0, Status: store.JobStatusRunning})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishJobRun(ctx, store.JobRun{ID: id1, Job: "nightly", Scope: "date=2024-06-01", FinishedAt: t0.Add(90 * time.Second),
			Status: store.JobStatusSucceeded, Counts: map[string]int64{"rows_ingested": 1200, "rows_rejected": 3}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.InsertJobRun(ctx, store.JobRun{Job: "nightly", Holder: "h:2", StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(time.Second),
			Status: store.JobStatusSkipped, Error: "lock held"}); err != nil {
			t.Fatal(err)
		}
		id3, err := db.InsertJobRun(ctx, store.JobRun{Job: "annual", Holder: "h:1", StartedAt: t0.Add(time.Hour), Status: store.JobStatusRunning})
		if err != nil {
			t.Fatal(err)
		}

		runs, err := db.JobRuns(ctx, store.JobRunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 3 || runs[0].ID != id3 || runs[2].ID != id1 {
			t.Fatalf("runs newest first: got %+v", runs)
		}
		first := runs[2]
		if first.Status != store.JobStatusSucceeded || first.Scope != "date=2024-06-01" || first.Counts["rows_ingested"] != 1200 ||
			first.Duration() != 90*time.Second || !first.StartedAt.Equal(t0) {
			t.Errorf("finished run read back as %+v", first)
		}
		if !runs[0].FinishedAt.IsZero() || runs[0].Status != store.JobStatusRunning {
			t.Errorf("running run read back as %+v", runs[0])
		}

		t.Run("filters", func(t *testing.T) {
			got, err := db.JobRuns(ctx, store.JobRunFilter{Job: "nightly", Limit: 1})
			if err != nil || len(got) != 1 || got[0].Status != store.JobStatusSkipped {
				t.Errorf("latest nightly: %+v, %v", got, err)
			}
			last, ok, err := db.LastJobRun(ctx, "nightly", store.JobStatusSucceeded)
			if err != nil || !ok || last.ID != id1 {
				t.Errorf("last successful nightly: %+v %v %v", last, ok, err)
			}
			_, ok, err = db.LastJobRun(ctx, "annual", store.JobStatusSucceeded)
			if err != nil || ok {
				t.Errorf("no successful annual run expected, got ok=%v err=%v", ok, err)
			}
		})
		t.Run("abandoned runs", func(t *testing.T) {
			n, err := db.AbandonJobRuns(ctx, "annual", t0.Add(2*time.Hour), "process ended")
			if err != nil || n != 1 {
				t.Fatalf("abandon: %d, %v", n, err)
			}
			last, _, _ := db.LastJobRun(ctx, "annual", "")
			if last.Status != store.JobStatusAbandoned || last.Error != "process ended" || last.FinishedAt.IsZero() {
				t.Errorf("abandoned run: %+v", last)
			}
		})
		t.Run("one run per tick", func(t *testing.T) {
			tick := t0.Add(24 * time.Hour)
			run := store.JobRun{Job: "tick", Holder: "a:1", Scheduled: tick, StartedAt: tick, Status: store.JobStatusRunning}
			id, err := db.InsertJobRun(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			run.Holder = "b:2"
			if _, err := db.InsertJobRun(ctx, run); !errors.Is(err, store.ErrTickClaimed) {
				t.Fatalf("second claim of the tick: %v, want ErrTickClaimed", err)
			}
			skipped := run
			skipped.Status, skipped.FinishedAt = store.JobStatusSkipped, tick
			if _, err := db.InsertJobRun(ctx, skipped); err != nil {
				t.Errorf("a skipped run of a claimed tick is recorded: %v", err)
			}
			got, ok, err := db.TickRun(ctx, "tick", tick)
			if err != nil || !ok || got.ID != id || got.Holder != "a:1" || !got.Scheduled.Equal(tick) {
				t.Errorf("tick run: %+v %v %v", got, ok, err)
			}
			// A failed claim frees the tick for a retry (a catch-up, another daemon).
			failed := store.JobRun{ID: id, Job: "tick", Status: store.JobStatusFailed, FinishedAt: tick.Add(time.Second), Error: "db down"}
			if err := db.FinishJobRun(ctx, failed); err != nil {
				t.Fatal(err)
			}
			if _, err := db.InsertJobRun(ctx, run); err != nil {
				t.Errorf("claim after a failed run of the tick: %v", err)
			}
			if _, err := db.InsertJobRun(ctx, store.JobRun{Job: "tick", StartedAt: tick, Status: store.JobStatusRunning}); err != nil {
				t.Errorf("a run by hand claims no tick: %v", err)
			}
		})
		t.Run("finish unknown run", func(t *testing.T) {
			if err := db.FinishJobRun(ctx, store.JobRun{ID: 999, Job: "x", Status: store.JobStatusFailed}); err == nil {
				t.Error("finishing a run that does not exist must fail")
			}
		})
	})
}

func TestLock(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, e)
			// Two handles on one database stand for two processes.
			a, b := openDSN(t, dsn), openDSN(t, dsn)

			la, err := a.TryLock(ctx, "job:nightly", "a:1", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.TryLock(ctx, "job:nightly", "b:2", time.Minute)
			if !errors.Is(err, store.ErrLocked) {
				t.Fatalf("second holder: got %v, want ErrLocked", err)
			}
			lo, err := b.TryLock(ctx, "job:annual", "b:2", time.Minute)
			if err != nil {
				t.Fatalf("another name is a separate lock: %v", err)
			}
			lo.Release(ctx)
			if err := la.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := la.Release(ctx); err != nil {
				t.Fatalf("second release: %v", err)
			}
			lb, err := b.TryLock(ctx, "job:nightly", "b:2", time.Minute)
			if err != nil {
				t.Fatalf("after release: %v", err)
			}
			if err := lb.Release(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLockLeaseSQLite(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.EngineSQLite)
	past := time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z")
	future := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000000Z")

	t.Run("expired lease of a crashed holder is taken", func(t *testing.T) {
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('job:x', 'dead:1', ?, ?)`, past, past); err != nil {
			t.Fatal(err)
		}
		l, err := db.TryLock(ctx, "job:x", "me:2", time.Minute)
		if err != nil {
			t.Fatalf("expired lock not taken: %v", err)
		}
		l.Release(ctx)
	})
	t.Run("live lease is respected", func(t *testing.T) {
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('job:y', 'alive:1', ?, ?)`, past, future); err != nil {
			t.Fatal(err)
		}
		_, err := db.TryLock(ctx, "job:y", "me:2", time.Minute)
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("got %v, want ErrLocked", err)
		}
	})
	t.Run("renewal keeps the lease and notices a stolen lock", func(t *testing.T) {
		l, err := db.TryLock(ctx, "job:z", "me:2", 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release(ctx)
		time.Sleep(500 * time.Millisecond)
		var expires string
		storetest.SQL(t, db).GetContext(ctx, &expires, `SELECT expires_at FROM locks WHERE name = 'job:z'`)
		if expires <= time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z") {
			t.Fatalf("lease not renewed: expires %s", expires)
		}
		select {
		case <-l.Lost():
			t.Fatal("lock reported lost while held")
		default:
		}
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `UPDATE locks SET holder = 'thief:3' WHERE name = 'job:z'`); err != nil {
			t.Fatal(err)
		}
		select {
		case <-l.Lost():
		case <-time.After(5 * time.Second):
			t.Fatal("a stolen lock was not reported lost")
		}
	})
}

func TestLockLostPostgres(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.EnginePostgres)
	l, err := db.TryLock(ctx, "job:nightly", "me:1", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	// Kill the session holding the advisory lock, as a server restart would.
	if _, err := storetest.SQL(t, db).ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 7420012`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("losing the session did not mark the lock lost")
	}
	l2, err := db.TryLock(ctx, "job:nightly", "other:2", time.Minute)
	if err != nil {
		t.Fatalf("the lock must be free once its session ended: %v", err)
	}
	l2.Release(ctx)
}

func TestIsTransient(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"bad conn", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"serialization failure", &pq.Error{Code: "40001"}, true},
		{"deadlock", &pq.Error{Code: "40P01"}, true},
		{"connection exception", &pq.Error{Code: "08006"}, true},
		{"unique violation", &pq.Error{Code: "23505"}, false},
		{"cancelled", fmt.Errorf("ingest: %w", context.Canceled), false},
		{"plain", errors.New("bad input"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := store.IsTransient(c.err); got != c.want {
				t.Errorf("IsTransient(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
	t.Run("sqlite busy", func(t *testing.T) {
		// Two connections of one SQLite file: the second writer is refused
		// with SQLITE_BUSY once its busy timeout (set to zero here) expires.
		db := storetest.Open(t, store.EngineSQLite)
		ctx := context.Background()
		c1, _ := storetest.SQL(t, db).Conn(ctx)
		c2, _ := storetest.SQL(t, db).Conn(ctx)
		defer c1.Close()
		defer c2.Close()
		if _, err := c2.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := c1.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			t.Fatal(err)
		}
		defer c1.ExecContext(ctx, `ROLLBACK`)
		_, err := c2.ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('a', 'b', 'c', 'd')`)
		if err == nil || !store.IsTransient(err) {
			t.Errorf("SQLITE_BUSY %v: want transient", err)
		}
	})
}

func openDSN(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A lease held by a process of this host that no longer exists is taken
// over at once; a busy database makes TryLock fail at once (transient),
// never wait for the busy timeout.
func TestLockSQLiteDeadHolderAndBusy(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.EngineSQLite)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dead := fmt.Sprintf("%s:%d#dead", host, cmd.Process.Pid)
	// Rows left behind as a killed process leaves them: a lease of an hour.
	leave := func(name, holder string) {
		now := time.Now().UTC()
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)`,
			name, holder, now.Format("2006-01-02T15:04:05.000000000Z"), now.Add(time.Hour).Format("2006-01-02T15:04:05.000000000Z")); err != nil {
			t.Fatal(err)
		}
	}
	leave("job:nightly", dead)
	l, err := db.TryLock(ctx, "job:nightly", "me:1", time.Hour)
	if err != nil {
		t.Fatalf("a dead holder's lease blocks the lock: %v", err)
	}
	if l.TookOver() != dead {
		t.Errorf("took over %q, want %q", l.TookOver(), dead)
	}
	l.Release(ctx)
	// A holder of another host keeps its lease.
	leave("job:annual", "other-host:1#x")
	if _, err := db.TryLock(ctx, "job:annual", "me:1", time.Hour); !errors.Is(err, store.ErrLocked) {
		t.Errorf("another host's lease: %v, want ErrLocked", err)
	}

	c1, _ := storetest.SQL(t, db).Conn(ctx)
	defer c1.Close()
	if _, err := c1.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer c1.ExecContext(ctx, `ROLLBACK`)
	if _, err := db.TryLock(ctx, "job:busy", "me:1", time.Hour); err == nil || !store.IsTransient(err) {
		t.Errorf("TryLock on a busy database: %v, want a transient error at once", err)
	}
}

// A database migrated by a newer cloudbill is refused, naming both versions.
func TestSchemaNewerThanBinary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := storetest.SQL(t, db).ExecContext(ctx, storetest.SQL(t, db).Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 'x')`), 9999); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, db.DSN)
		var newer *store.SchemaNewerError
		if !errors.As(err, &newer) || newer.Database != 9999 || !strings.Contains(err.Error(), "9999") {
			t.Fatalf("open a newer database: %v", err)
		}
	})
}
