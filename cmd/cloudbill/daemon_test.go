package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// runMain runs the command line in-process and returns exit status and output.
func runMain(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommands(t *testing.T) {
	dsn := storetest.DSN(t, store.EngineSQLite)
	ctx := context.Background()
	t.Run("a missing database is not created by a reading command", func(t *testing.T) {
		path := strings.TrimPrefix(dsn, "sqlite:")
		for _, args := range [][]string{{"jobs"}, {"rejects"}, {"settle", "--year", "2024"}, {"report", "--year", "2024", "--out", t.TempDir()}, {"findings"}} {
			code, _, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...)
			if code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "does not exist") {
				t.Errorf("%v: exit %d\n%s", args, code, stderr)
			}
			if _, err := os.Stat(path); err == nil {
				t.Fatalf("%v created %s", args, path)
			}
		}
		if code, out, stderr := runMain(t, ctx, "--db", dsn, "migrate"); code != 0 || !strings.Contains(out, "schema version") {
			t.Fatalf("migrate: exit %d\n%s%s", code, out, stderr)
		}
	})
	t.Run("version", func(t *testing.T) {
		if code, out, _ := runMain(t, ctx, "--version"); code != 0 || !strings.HasPrefix(out, "cloudbill ") {
			t.Errorf("--version: exit %d %q", code, out)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"run"},
			{"run", "weekly"},
			{"run", "nightly", "--year", "2024"},
			{"run", "annual", "--date", "2024-01-01"},
			{"run", "nightly", "--date", "yesterday"},
			{"serve", "--nightly", "every night"},
			{"jobs", "--status", "done"},
		} {
			if code, _, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...); code != 2 {
				t.Errorf("%q: exit %d, want 2 (%s)", args, code, stderr)
			}
		}
	})
	t.Run("jobs lists the history", func(t *testing.T) {
		code, out, _ := runMain(t, ctx, "--db", dsn, "jobs")
		if code != 0 || !strings.Contains(out, "no job runs") {
			t.Fatalf("empty history: %d %q", code, out)
		}
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r := apptest.Runner(db, "t:1", apptest.Clock("2024-06-02 01:30"), map[string]app.JobFunc{
			app.JobNightly: func(context.Context) (app.JobResult, error) {
				return app.JobResult{Scope: "date=2024-06-01", Counts: map[string]int64{app.CountRowsIngested: 9}}, nil
			},
			app.JobAnnual: func(context.Context) (app.JobResult, error) { return app.JobResult{}, errors.New("no scores\nfor P1") },
		})
		r.Run(ctx, app.JobNightly)
		r.Run(ctx, app.JobAnnual)
		code, out, _ = runMain(t, ctx, "--db", dsn, "jobs", "--limit", "5")
		if code != 0 {
			t.Fatalf("jobs: exit %d", code)
		}
		for _, want := range []string{"2024-06-02 01:30:00", "succeeded", "rows_ingested=9", "date=2024-06-01", "failed", "no scores for P1"} {
			if !strings.Contains(out, want) {
				t.Errorf("jobs output lacks %q:\n%s", want, out)
			}
		}
		code, out, _ = runMain(t, ctx, "--db", dsn, "jobs", "--status", "failed")
		if code != 0 || strings.Contains(out, "succeeded") || !strings.Contains(out, "annual") {
			t.Errorf("jobs --status failed: %d\n%s", code, out)
		}
	})
	t.Run("serve stops cleanly", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		var code int
		var stderr string
		go func() {
			defer wg.Done()
			code, _, stderr = runMain(t, ctx, "--db", dsn, "serve", "--nightly", "off", "--annual", "off", "--addr", "127.0.0.1:0")
		}()
		time.Sleep(200 * time.Millisecond)
		cancel()
		wg.Wait()
		if code != 0 || !strings.Contains(stderr, "daemon stopped") {
			t.Errorf("serve: exit %d\n%s", code, stderr)
		}
	})
}

// The deployment's least-privilege role (deploy/postgres-setup.sql) runs the
// daemon's work but cannot change the schema or an issued statement.
func TestLeastPrivilegeRole(t *testing.T) {
	admin := storetest.DSN(t, store.EnginePostgres) // a server to play on (skips or fails like every PG test)
	psql, err := exec.LookPath("psql")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
		if len(matches) == 0 {
			t.Fatal("psql not found: install the PostgreSQL client")
		}
		psql = matches[0]
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	dbname, owner, daemonRole := "cb_lp_"+suffix, "cb_lp_owner_"+suffix, "cb_lp_daemon_"+suffix
	cmd := exec.Command(psql, "-q", "-X", "-d", admin,
		"-v", "dbname="+dbname, "-v", "owner="+owner, "-v", "daemon="+daemonRole,
		"-v", "owner_password=o-secret", "-v", "daemon_password=d-secret",
		"-f", filepath.Join("..", "..", "deploy", "postgres-setup.sql"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("postgres-setup.sql: %v\n%s", err, out)
	}
	storetest.DropAtCleanup(t, admin, dbname, daemonRole, owner)
	as := func(role string) string {
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		u.User, u.Path = url.User(role), "/"+dbname
		return u.String()
	}

	// The owner migrates and, for the test, issues a statement.
	own, err := store.Open(ctx, as(owner))
	if err != nil {
		t.Fatalf("owner migrates: %v", err)
	}
	defer own.Close()
	storetest.InsertIssuedStatement(t, own, 2024, "100", "95")

	d, err := store.Open(ctx, as(daemonRole))
	if err != nil {
		t.Fatalf("daemon role opens a migrated database: %v", err)
	}
	defer d.Close()
	r := apptest.Runner(d, "lp:1", nil, map[string]app.JobFunc{app.JobNightly: func(ctx context.Context) (app.JobResult, error) {
		return app.JobResult{}, storetest.WriteWithTempTable(ctx, t, d)
	}})
	if run, err := r.Run(ctx, app.JobNightly); err != nil || run.Status != store.JobStatusSucceeded {
		t.Fatalf("daemon role runs a job (lock, history, DML, temp table): %+v %v", run, err)
	}
	storetest.CheckLeastPrivilege(t, d)
	if net := storetest.StatementNet(t, own, 2024); net != "95" {
		t.Errorf("issued statement changed: net %s", net)
	}
}

// kill -9 in the middle of the nightly job on SQLite, then a restart well
// within the lock's lease: the dead process's lease is taken over at once,
// its run is marked abandoned and the catch-up ingests the whole inbox.
func TestKilledDaemonCatchesUp(t *testing.T) {
	dsn := ingestTestDB(t, store.EngineSQLite)
	inbox := t.TempDir()
	var b strings.Builder
	b.WriteString(ingestUsageHeader)
	// 600,000 rows of 600 keys: each day's value sent again and again, so
	// that the file takes a while to ingest.
	rows, keys := 0, 0
	for d := metering.MustDate("2024-06-10"); rows < 600_000; d = d.AddDays(1) {
		for i := range 1000 {
			fmt.Fprintf(&b, "%s,R1,VCPU,%d\n", d, i%8+1)
			rows++
		}
		keys++
	}
	writeFiles(t, inbox, map[string]string{"big.csv": b.String()})
	child := exec.Command(os.Args[0], "--db", dsn, "serve", "--nightly", "0 0 1 1 *", "--annual", "off", "--addr", "off", "--inbox", inbox, "--settle", "1s")
	child.Env = childEnv()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	db := openTestDB(t, dsn)
	apptest.WaitFor(t, "the child's nightly run", func() bool {
		runs := apptest.Runs(t, db, app.JobNightly)
		return len(runs) == 1 && runs[0].Status == store.JobStatusRunning
	})
	child.Process.Kill() // SIGKILL: no cleanup, the lease row stays
	child.Wait()
	if n := usageCount(t, dsn); n != 0 {
		t.Fatalf("%d rows from a killed ingest, want 0", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var stderr string
	go func() {
		defer close(done)
		_, _, stderr = runMain(t, ctx, "--db", dsn, "serve", "--nightly", "0 0 1 1 *", "--annual", "off", "--addr", "off", "--inbox", inbox, "--settle", "1s")
	}()
	apptest.WaitFor(t, "the catch-up run", func() bool {
		return apptest.Statuses(apptest.Runs(t, db, app.JobNightly))[store.JobStatusSucceeded] == 1
	})
	cancel()
	<-done
	got := apptest.Statuses(apptest.Runs(t, db, app.JobNightly))
	if got[store.JobStatusAbandoned] != 1 || got[store.JobStatusSucceeded] != 1 {
		t.Errorf("history %v, want the killed run abandoned and the catch-up succeeded\n%s", got, stderr)
	}
	if !strings.Contains(stderr, "took over the lock") {
		t.Errorf("the restarted daemon did not take over the dead lease:\n%s", stderr)
	}
	if n := usageCount(t, dsn); n != keys {
		t.Errorf("%d rows after the catch-up, want %d", n, keys)
	}
}

func openTestDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
