package main

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testRunner is a runner with the given jobs, holder and clock, and
// millisecond backoffs.
func testRunner(db *store.DB, holder string, now func() time.Time, jobs map[string]jobFunc) *jobRunner {
	r := newJobRunner(db, discardLog, jobs)
	r.holder = holder
	r.backoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	if now != nil {
		r.now = now
	}
	return r
}

func fixedClock(s string) func() time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, metering.Shanghai)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runsOf(t *testing.T, db *store.DB, job string) []store.JobRun {
	t.Helper()
	runs, err := db.JobRuns(context.Background(), store.JobRunFilter{Job: job, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func statuses(runs []store.JobRun) map[store.JobStatus]int {
	m := map[store.JobStatus]int{}
	for _, r := range runs {
		m[r.Status]++
	}
	return m
}

func TestJobHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var flakyCalls atomic.Int32
		r := testRunner(db, "test:1", fixedClock("2024-06-02 01:30"), map[string]jobFunc{
			"ok": func(ctx context.Context) (jobResult, error) {
				return jobResult{Scope: "date=2024-06-01", Counts: map[string]int64{countRowsIngested: 42, countRowsRejected: 1}}, nil
			},
			"bad": func(ctx context.Context) (jobResult, error) {
				return jobResult{Scope: "year=2023", Counts: map[string]int64{countVersion: 0}}, errors.New("no scores for provider P1 in 2023")
			},
			"flaky": func(ctx context.Context) (jobResult, error) {
				if flakyCalls.Add(1) < 3 {
					return jobResult{}, fmt.Errorf("ingest: %w", driver.ErrBadConn)
				}
				return jobResult{Scope: "third time"}, nil
			},
			"down": func(ctx context.Context) (jobResult, error) {
				return jobResult{}, fmt.Errorf("ingest: %w", driver.ErrBadConn)
			},
		})
		cases := []struct {
			job     string
			status  store.JobStatus
			wantErr string
			scope   string
		}{
			{"ok", store.JobStatusSucceeded, "", "date=2024-06-01"},
			{"bad", store.JobStatusFailed, "no scores for provider P1 in 2023", "year=2023"},
			{"flaky", store.JobStatusSucceeded, "", "third time"},
			{"down", store.JobStatusFailed, "bad connection", ""},
		}
		for _, c := range cases {
			t.Run(c.job, func(t *testing.T) {
				run, err := r.Run(ctx, c.job)
				if (err != nil) != (c.wantErr != "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
					t.Fatalf("Run error %v, want %q", err, c.wantErr)
				}
				got := runsOf(t, db, c.job)
				if len(got) != 1 {
					t.Fatalf("%d runs recorded, want 1", len(got))
				}
				g := got[0]
				if g.ID != run.ID || g.Status != c.status || g.Scope != c.scope || g.Holder != "test:1" ||
					g.FinishedAt.IsZero() || !strings.Contains(g.Error, c.wantErr) {
					t.Errorf("recorded %+v", g)
				}
			})
		}
		if n := flakyCalls.Load(); n != 3 {
			t.Errorf("flaky job called %d times, want 3 (two transient failures retried)", n)
		}
		if got := runsOf(t, db, "ok")[0].Counts; got[countRowsIngested] != 42 || got[countRowsRejected] != 1 {
			t.Errorf("counts %v", got)
		}
		if _, err := r.Run(ctx, "weekly"); err == nil {
			t.Error("an unknown job must be an error")
		}
	})
}

// Two daemons on one database (two handles, two holders) never run one job
// at once: whoever holds the lock runs it, the others record a skipped run.
func TestTwoDaemonsRunAJobOnce(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			const daemons = 4
			dsn := storetest.DSN(t, e)
			var executions atomic.Int32
			started := make(chan struct{}, daemons)
			release := make(chan struct{})
			body := func(ctx context.Context) (jobResult, error) {
				executions.Add(1)
				started <- struct{}{}
				select {
				case <-release:
					return jobResult{Scope: "test"}, nil
				case <-ctx.Done():
					return jobResult{}, ctx.Err()
				}
			}
			results := make(chan store.JobRun, daemons)
			for i := range daemons {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				r := testRunner(db, fmt.Sprintf("daemon-%d:%d", i, 100+i), nil, map[string]jobFunc{jobNightly: body})
				go func() {
					run, err := r.Run(ctx, jobNightly)
					if err != nil {
						t.Errorf("daemon %d: %v", i, err)
					}
					results <- run
				}()
			}
			// Everyone but the lock holder comes back skipped while it still runs.
			var skipped int
			for skipped < daemons-1 {
				select {
				case r := <-results:
					if r.Status != store.JobStatusSkipped {
						t.Fatalf("a second daemon ran the job while the first held it: %+v", r)
					}
					skipped++
				case <-time.After(10 * time.Second):
					t.Fatalf("only %d daemons came back skipped", skipped)
				}
			}
			<-started
			close(release)
			if r := <-results; r.Status != store.JobStatusSucceeded {
				t.Fatalf("lock holder's run: %+v", r)
			}
			if n := executions.Load(); n != 1 {
				t.Fatalf("job ran %d times, want 1", n)
			}
			check, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			got := statuses(runsOf(t, check, jobNightly))
			if got[store.JobStatusSucceeded] != 1 || got[store.JobStatusSkipped] != daemons-1 || len(got) != 2 {
				t.Errorf("history %v, want 1 succeeded and %d skipped", got, daemons-1)
			}
			for _, r := range runsOf(t, check, jobNightly) {
				if r.Status == store.JobStatusSkipped && !strings.Contains(r.Error, "lock held") {
					t.Errorf("skipped run without its reason: %+v", r)
				}
			}
			// Once the holder is done, the next run goes ahead.
			r := testRunner(check, "later:1", nil, map[string]jobFunc{jobNightly: func(context.Context) (jobResult, error) { return jobResult{}, nil }})
			if run, err := r.Run(ctx, jobNightly); err != nil || run.Status != store.JobStatusSucceeded {
				t.Errorf("run after release: %+v %v", run, err)
			}
		})
	}
}

// probeJob writes a row into probe inside a transaction, says so on
// started, then either commits when finish closes or rolls back when its
// context is cancelled.
func probeJob(t *testing.T, db *store.DB, started chan<- struct{}, finish <-chan struct{}) jobFunc {
	return func(ctx context.Context) (jobResult, error) {
		err := storetest.ProbeTx(ctx, t, db, func() error {
			started <- struct{}{}
			select {
			case <-finish:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		return jobResult{Scope: "probe"}, err
	}
}

func probeRows(t *testing.T, db *store.DB) int {
	t.Helper()
	return storetest.Count(t, db, "probe")
}

// SIGTERM in the middle of a job: with no grace the job is cancelled and its
// transaction rolls back (nothing half-applied); with grace it finishes.
// Either way the daemon returns nil (exit status 0) and the run is recorded.
func TestShutdownDuringJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		storetest.CreateProbe(t, db)
		cases := []struct {
			name    string
			grace   time.Duration
			rows    int
			status  store.JobStatus
			errText string
		}{
			{"cancelled and rolled back", 0, 0, store.JobStatusFailed, "interrupted"},
			{"finishes within grace", time.Minute, 1, store.JobStatusSucceeded, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				storetest.Clear(t, db, "probe", "job_runs")
				started, finish := make(chan struct{}, 1), make(chan struct{})
				r := testRunner(db, "test:1", nil, map[string]jobFunc{"probe": probeJob(t, db, started, finish)})
				d := &daemon{runner: r, log: discardLog, cfg: daemonConfig{
					Schedules: map[string]string{"probe": "0 0 1 1 *"}, // not in this test's lifetime
					CatchUp:   []string{"probe"},                       // never ran: runs at start
					Grace:     c.grace,
				}}
				// A real SIGTERM, delivered the way main receives it.
				ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
				defer stop()
				done := make(chan error, 1)
				go func() { done <- d.Run(ctx) }()
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatal("job did not start")
				}
				if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				<-ctx.Done()
				if c.grace > 0 {
					select {
					case err := <-done:
						t.Fatalf("daemon stopped (%v) before its running job finished", err)
					case <-time.After(100 * time.Millisecond):
					}
					close(finish)
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("daemon returned %v, want nil (exit 0)", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("daemon did not stop")
				}
				if n := probeRows(t, db); n != c.rows {
					t.Errorf("probe has %d rows, want %d", n, c.rows)
				}
				runs := runsOf(t, db, "probe")
				if len(runs) != 1 || runs[0].Status != c.status || !strings.Contains(runs[0].Error, c.errText) {
					t.Errorf("history %+v, want one %s run", runs, c.status)
				}
			})
		}
	})
}

func TestMissedRunCatchUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sched, err := parseSchedule(defaultNightly)
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) time.Time { return fixedClock(s)() }
		cases := []struct {
			name    string
			history []store.JobRun
			now     string
			missed  bool
		}{
			{"never ran", nil, "2024-06-05 10:00", true},
			{"ran tonight", []store.JobRun{{StartedAt: at("2024-06-05 01:30"), Status: store.JobStatusSucceeded}}, "2024-06-05 10:00", false},
			{"down for four nights", []store.JobRun{{StartedAt: at("2024-06-01 01:30"), Status: store.JobStatusSucceeded}}, "2024-06-05 10:00", true},
			{"before tonight's time", []store.JobRun{{StartedAt: at("2024-06-04 01:30"), Status: store.JobStatusSucceeded}}, "2024-06-05 01:29", false},
			{"at tonight's time", []store.JobRun{{StartedAt: at("2024-06-04 01:30"), Status: store.JobStatusSucceeded}}, "2024-06-05 01:30", true},
			{"last run failed", []store.JobRun{
				{StartedAt: at("2024-06-04 01:30"), Status: store.JobStatusSucceeded},
				{StartedAt: at("2024-06-05 01:30"), Status: store.JobStatusFailed},
			}, "2024-06-05 10:00", true},
			{"manual run after the night", []store.JobRun{{StartedAt: at("2024-06-04 09:00"), Status: store.JobStatusSucceeded}}, "2024-06-05 01:00", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				storetest.Clear(t, db, "job_runs")
				for _, h := range c.history {
					h.Job, h.FinishedAt = jobNightly, h.StartedAt.Add(time.Minute)
					if _, err := db.InsertJobRun(ctx, h); err != nil {
						t.Fatal(err)
					}
				}
				d := &daemon{runner: testRunner(db, "t:1", fixedClock(c.now), nil), log: discardLog}
				missed, _, err := d.missed(ctx, jobNightly, sched)
				if err != nil || missed != c.missed {
					t.Errorf("missed = %v, %v; want %v", missed, err, c.missed)
				}
			})
		}

		t.Run("the daemon runs four missed nights once", func(t *testing.T) {
			storetest.Clear(t, db, "job_runs")
			if _, err := db.InsertJobRun(ctx, store.JobRun{Job: jobNightly, StartedAt: at("2024-06-01 01:30"),
				FinishedAt: at("2024-06-01 01:31"), Status: store.JobStatusSucceeded}); err != nil {
				t.Fatal(err)
			}
			now := fixedClock("2024-06-05 10:00")
			var calls atomic.Int32
			var asOf metering.Date
			jobs := map[string]jobFunc{jobNightly: func(context.Context) (jobResult, error) {
				calls.Add(1)
				asOf = yesterday(now())
				return jobResult{Scope: "date=" + asOf.String()}, nil
			}}
			d := &daemon{runner: testRunner(db, "t:1", now, jobs), log: discardLog, cfg: daemonConfig{
				Schedules: map[string]string{jobNightly: defaultNightly}, CatchUp: []string{jobNightly}, Grace: time.Minute,
			}}
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			waitFor(t, "the catch-up run", func() bool { return statuses(runsOf(t, db, jobNightly))[store.JobStatusSucceeded] == 2 })
			time.Sleep(50 * time.Millisecond) // a second catch-up would show now
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("catch-up ran %d times, want once", n)
			}
			if asOf != metering.MustDate("2024-06-04") {
				t.Errorf("caught-up run as of %s, want yesterday 2024-06-04", asOf)
			}
			// Started again the same day: nothing missed any more.
			missed, _, err := d.missed(context.Background(), jobNightly, mustSchedule(t, defaultNightly))
			if err != nil || missed {
				t.Errorf("after catching up, missed = %v, %v", missed, err)
			}
		})
	})
}

func mustSchedule(t *testing.T, spec string) interface{ Next(time.Time) time.Time } {
	t.Helper()
	s, err := parseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMetricsAndHealth(t *testing.T) {
	db := storetest.Open(t, store.EngineSQLite)
	r := testRunner(db, "t:1", nil, map[string]jobFunc{jobNightly: func(context.Context) (jobResult, error) {
		return jobResult{Counts: map[string]int64{countRowsIngested: 1500, countRowsRejected: 7}}, nil
	}})
	r.metrics = newMetrics()
	addr := make(chan string, 1)
	d := &daemon{runner: r, log: discardLog, listening: func(a string) { addr <- a }, cfg: daemonConfig{
		Schedules: map[string]string{jobNightly: defaultNightly}, CatchUp: []string{jobNightly}, Addr: "127.0.0.1:0",
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + <-addr
	waitFor(t, "the catch-up run", func() bool {
		return len(runsOf(t, db, jobNightly)) == 1 && runsOf(t, db, jobNightly)[0].Status == store.JobStatusSucceeded
	})

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var body string
	waitFor(t, "the run in the metrics", func() bool {
		_, body = get("/metrics")
		return strings.Contains(body, "cloudbill_rows_ingested_total 1500")
	})
	for _, want := range []string{
		"cloudbill_rows_rejected_total 7",
		`cloudbill_job_duration_seconds_count{job="nightly",status="succeeded"} 1`,
		`cloudbill_job_runs_total{job="nightly",status="succeeded"} 1`,
		`cloudbill_job_last_success_timestamp_seconds{job="nightly"}`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	code, health := get("/healthz")
	var h map[string]string
	if err := json.Unmarshal([]byte(health), &h); code != http.StatusOK || err != nil || h["status"] != "ok" || h["database"] != "sqlite" {
		t.Errorf("/healthz: %d %s", code, health)
	}

	t.Run("last success restored after a restart", func(t *testing.T) {
		m := newMetrics()
		if err := m.restore(context.Background(), db, []string{jobNightly, jobAnnual}); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		m.handler(db).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		if !strings.Contains(body, `cloudbill_job_last_success_timestamp_seconds{job="nightly"}`) ||
			strings.Contains(body, `last_success_timestamp_seconds{job="annual"}`) {
			t.Errorf("restored gauges:\n%s", body)
		}
	})
}

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
		r := testRunner(db, "t:1", fixedClock("2024-06-02 01:30"), map[string]jobFunc{
			jobNightly: func(context.Context) (jobResult, error) {
				return jobResult{Scope: "date=2024-06-01", Counts: map[string]int64{countRowsIngested: 9}}, nil
			},
			jobAnnual: func(context.Context) (jobResult, error) { return jobResult{}, errors.New("no scores\nfor P1") },
		})
		r.Run(ctx, jobNightly)
		r.Run(ctx, jobAnnual)
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
	r := testRunner(d, "lp:1", nil, map[string]jobFunc{jobNightly: func(ctx context.Context) (jobResult, error) {
		return jobResult{}, storetest.WriteWithTempTable(ctx, t, d)
	}})
	if run, err := r.Run(ctx, jobNightly); err != nil || run.Status != store.JobStatusSucceeded {
		t.Fatalf("daemon role runs a job (lock, history, DML, temp table): %+v %v", run, err)
	}
	storetest.CheckLeastPrivilege(t, d)
	if net := storetest.StatementNet(t, own, 2024); net != "95" {
		t.Errorf("issued statement changed: net %s", net)
	}
}
