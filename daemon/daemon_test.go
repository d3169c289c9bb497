package daemon_test

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/daemon"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

const defaultNightly = "30 1 * * *"

func TestJobHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var flakyCalls atomic.Int32
		r := apptest.Runner(db, "test:1", apptest.Clock("2024-06-02 01:30"), map[string]app.JobFunc{
			"ok": func(ctx context.Context) (app.JobResult, error) {
				return app.JobResult{Scope: "date=2024-06-01", Counts: map[string]int64{app.CountRowsIngested: 42, app.CountRowsRejected: 1}}, nil
			},
			"bad": func(ctx context.Context) (app.JobResult, error) {
				return app.JobResult{Scope: "year=2023", Counts: map[string]int64{app.CountVersion: 0}}, errors.New("no scores for provider P1 in 2023")
			},
			"flaky": func(ctx context.Context) (app.JobResult, error) {
				if flakyCalls.Add(1) < 3 {
					return app.JobResult{}, fmt.Errorf("ingest: %w", driver.ErrBadConn)
				}
				return app.JobResult{Scope: "third time"}, nil
			},
			"down": func(ctx context.Context) (app.JobResult, error) {
				return app.JobResult{}, fmt.Errorf("ingest: %w", driver.ErrBadConn)
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
				got := apptest.Runs(t, db, c.job)
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
		if got := apptest.Runs(t, db, "ok")[0].Counts; got[app.CountRowsIngested] != 42 || got[app.CountRowsRejected] != 1 {
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
			body := func(ctx context.Context) (app.JobResult, error) {
				executions.Add(1)
				started <- struct{}{}
				select {
				case <-release:
					return app.JobResult{Scope: "test"}, nil
				case <-ctx.Done():
					return app.JobResult{}, ctx.Err()
				}
			}
			results := make(chan store.JobRun, daemons)
			for i := range daemons {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				r := apptest.Runner(db, fmt.Sprintf("daemon-%d:%d", i, 100+i), nil, map[string]app.JobFunc{app.JobNightly: body})
				go func() {
					run, err := r.Run(ctx, app.JobNightly)
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
			got := apptest.Statuses(apptest.Runs(t, check, app.JobNightly))
			if got[store.JobStatusSucceeded] != 1 || got[store.JobStatusSkipped] != daemons-1 || len(got) != 2 {
				t.Errorf("history %v, want 1 succeeded and %d skipped", got, daemons-1)
			}
			for _, r := range apptest.Runs(t, check, app.JobNightly) {
				if r.Status == store.JobStatusSkipped && !strings.Contains(r.Error, "lock held") {
					t.Errorf("skipped run without its reason: %+v", r)
				}
			}
			// Once the holder is done, the next run goes ahead.
			r := apptest.Runner(check, "later:1", nil, map[string]app.JobFunc{app.JobNightly: func(context.Context) (app.JobResult, error) { return app.JobResult{}, nil }})
			if run, err := r.Run(ctx, app.JobNightly); err != nil || run.Status != store.JobStatusSucceeded {
				t.Errorf("run after release: %+v %v", run, err)
			}
		})
	}
}

// probeJob writes a row into probe inside a transaction, says so on
// started, then either commits when finish closes or rolls back when its
// context is cancelled.
func probeJob(t *testing.T, db *store.DB, started chan<- struct{}, finish <-chan struct{}) app.JobFunc {
	return func(ctx context.Context) (app.JobResult, error) {
		err := storetest.ProbeTx(ctx, t, db, func() error {
			started <- struct{}{}
			select {
			case <-finish:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		return app.JobResult{Scope: "probe"}, err
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
				r := apptest.Runner(db, "test:1", nil, map[string]app.JobFunc{"probe": probeJob(t, db, started, finish)})
				d := &daemon.Daemon{Runner: r, Log: apptest.Discard, Config: daemon.Config{
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
				runs := apptest.Runs(t, db, "probe")
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
		sched, err := daemon.ParseSchedule(defaultNightly)
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) time.Time { return apptest.Clock(s)() }
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
					h.Job, h.FinishedAt = app.JobNightly, h.StartedAt.Add(time.Minute)
					if _, err := db.InsertJobRun(ctx, h); err != nil {
						t.Fatal(err)
					}
				}
				d := &daemon.Daemon{Runner: apptest.Runner(db, "t:1", apptest.Clock(c.now), nil), Log: apptest.Discard}
				missed, _, err := d.Runner.Missed(ctx, app.JobNightly, sched)
				if err != nil || missed != c.missed {
					t.Errorf("missed = %v, %v; want %v", missed, err, c.missed)
				}
			})
		}

		t.Run("the daemon runs four missed nights once", func(t *testing.T) {
			storetest.Clear(t, db, "job_runs")
			if _, err := db.InsertJobRun(ctx, store.JobRun{Job: app.JobNightly, StartedAt: at("2024-06-01 01:30"),
				FinishedAt: at("2024-06-01 01:31"), Status: store.JobStatusSucceeded}); err != nil {
				t.Fatal(err)
			}
			now := apptest.Clock("2024-06-05 10:00")
			var calls atomic.Int32
			var asOf metering.Date
			jobs := map[string]app.JobFunc{app.JobNightly: func(context.Context) (app.JobResult, error) {
				calls.Add(1)
				asOf = app.Yesterday(now())
				return app.JobResult{Scope: "date=" + asOf.String()}, nil
			}}
			d := &daemon.Daemon{Runner: apptest.Runner(db, "t:1", now, jobs), Log: apptest.Discard, Config: daemon.Config{
				Schedules: map[string]string{app.JobNightly: defaultNightly}, CatchUp: []string{app.JobNightly}, Grace: time.Minute,
			}}
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			apptest.WaitFor(t, "the catch-up run", func() bool {
				return apptest.Statuses(apptest.Runs(t, db, app.JobNightly))[store.JobStatusSucceeded] == 2
			})
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
			missed, _, err := d.Runner.Missed(context.Background(), app.JobNightly, mustSchedule(t, defaultNightly))
			if err != nil || missed {
				t.Errorf("after catching up, missed = %v, %v", missed, err)
			}
		})
	})
}

func mustSchedule(t *testing.T, spec string) interface{ Next(time.Time) time.Time } {
	t.Helper()
	s, err := daemon.ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMetricsAndHealth(t *testing.T) {
	db := storetest.Open(t, store.EngineSQLite)
	r := apptest.Runner(db, "t:1", nil, map[string]app.JobFunc{app.JobNightly: func(context.Context) (app.JobResult, error) {
		return app.JobResult{Counts: map[string]int64{app.CountRowsIngested: 1500, app.CountRowsRejected: 7}}, nil
	}})
	m := daemon.NewMetrics("test")
	r.Observe = m.Observe
	addr := make(chan string, 1)
	d := &daemon.Daemon{Runner: r, Metrics: m, Log: apptest.Discard, Listening: func(a string) { addr <- a }, Config: daemon.Config{
		Schedules: map[string]string{app.JobNightly: defaultNightly}, CatchUp: []string{app.JobNightly}, Addr: "127.0.0.1:0",
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + <-addr
	apptest.WaitFor(t, "the catch-up run", func() bool {
		return len(apptest.Runs(t, db, app.JobNightly)) == 1 && apptest.Runs(t, db, app.JobNightly)[0].Status == store.JobStatusSucceeded
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
	apptest.WaitFor(t, "the run in the metrics", func() bool {
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
		m := daemon.NewMetrics("test")
		if err := m.Restore(context.Background(), db, []string{app.JobNightly, app.JobAnnual}); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		m.Handler(func(context.Context) daemon.Health { return daemon.Health{Status: "ok"} }).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		if !strings.Contains(body, `cloudbill_job_last_success_timestamp_seconds{job="nightly"}`) ||
			!strings.Contains(body, `cloudbill_job_last_success_timestamp_seconds{job="annual"} 0`) {
			t.Errorf("restored gauges:\n%s", body)
		}
	})
}

// Two daemons on one database with a six-field schedule ticking every two
// seconds run each tick once: the first to claim (job, tick) runs it, the
// other records it skipped.
func TestTwoDaemonsRunEachTickOnce(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := storetest.DSN(t, e)
			ctx, cancel := context.WithCancel(context.Background())
			var executions atomic.Int32
			body := func(context.Context) (app.JobResult, error) {
				executions.Add(1)
				time.Sleep(50 * time.Millisecond)
				return app.JobResult{Scope: "tick"}, nil
			}
			var wg sync.WaitGroup
			for i := range 2 {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				r := apptest.Runner(db, fmt.Sprintf("daemon-%d:%d", i, 200+i), nil, map[string]app.JobFunc{"tick": body})
				d := &daemon.Daemon{Runner: r, Log: apptest.Discard, Config: daemon.Config{
					Schedules: map[string]string{"tick": "*/2 * * * * *"}, Grace: time.Second,
				}}
				wg.Go(func() {
					if err := d.Run(ctx); err != nil {
						t.Errorf("daemon %d: %v", i, err)
					}
				})
			}
			check, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { check.Close() })
			apptest.WaitFor(t, "three ticks", func() bool { return apptest.Statuses(apptest.Runs(t, check, "tick"))[store.JobStatusSucceeded] >= 3 })
			cancel()
			wg.Wait()
			ticks := map[time.Time]int{}
			for _, r := range apptest.Runs(t, check, "tick") {
				if r.Scheduled.IsZero() {
					t.Errorf("a scheduled run without its tick: %+v", r)
				}
				if r.Scheduled.Unix()%2 != 0 {
					t.Errorf("tick %s is not a time the schedule names", r.Scheduled)
				}
				if r.Status == store.JobStatusSucceeded {
					ticks[r.Scheduled.UTC()]++
				}
			}
			for tick, n := range ticks {
				if n != 1 {
					t.Errorf("tick %s ran %d times", tick, n)
				}
			}
			if int(executions.Load()) != len(ticks) {
				t.Errorf("%d executions for %d ticks", executions.Load(), len(ticks))
			}
		})
	}
}

// A database that is down at a tick: the failure is logged at ERROR,
// counted, shown by /healthz (503) and recorded in job_runs once the
// database answers again.
func TestDatabaseDownAtTick(t *testing.T) {
	db := storetest.Open(t, store.EngineSQLite)
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	r := apptest.Runner(db, "t:1", nil, map[string]app.JobFunc{"tick": func(context.Context) (app.JobResult, error) {
		return app.JobResult{}, nil
	}})
	r.Log = log
	r.Backoff = nil
	m := daemon.NewMetrics("test")
	r.Observe = m.Observe
	// The database is "down": its handle is closed, nothing answers.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunTick(context.Background(), "tick", time.Date(2024, 6, 1, 1, 30, 0, 0, time.UTC)); err == nil {
		t.Fatal("a run on a closed database succeeded")
	}
	mu.Lock()
	logged := logs.String()
	mu.Unlock()
	if !strings.Contains(logged, `"level":"ERROR"`) || !strings.Contains(logged, `"job":"tick"`) {
		t.Errorf("no ERROR line naming the job:\n%s", logged)
	}
	if r.Pending() != 1 {
		t.Errorf("%d runs waiting to be recorded, want 1", r.Pending())
	}
	rec := httptest.NewRecorder()
	m.Handler(func(context.Context) daemon.Health { return daemon.Health{Status: "ok"} }).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `cloudbill_job_runs_total{job="tick",status="failed"} 1`) {
		t.Errorf("failed run not counted:\n%s", rec.Body.String())
	}
	// The database is back: the pending run is recorded.
	back := storetest.Open(t, store.EngineSQLite)
	r.DB = back
	r.FlushPending(context.Background())
	runs := apptest.Runs(t, back, "tick")
	if r.Pending() != 0 || len(runs) != 1 || runs[0].Status != store.JobStatusFailed || runs[0].Error == "" {
		t.Errorf("after the database is back: pending %d, runs %+v", r.Pending(), runs)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// /healthz answers 503 naming the problem: a missing inbox, a failed
// latest run, a database that does not answer.
func TestHealthUnavailable(t *testing.T) {
	db := storetest.Open(t, store.EngineSQLite)
	r := apptest.Runner(db, "t:1", nil, map[string]app.JobFunc{"nightly": func(context.Context) (app.JobResult, error) {
		return app.JobResult{}, errors.New("settle error: no scores")
	}})
	m := daemon.NewMetrics("test")
	r.Observe = m.Observe
	addr := make(chan string, 1)
	inbox := filepath.Join(t.TempDir(), "missing-inbox")
	d := &daemon.Daemon{Runner: r, Metrics: m, Log: apptest.Discard, Listening: func(a string) { addr <- a }, Config: daemon.Config{
		Schedules: map[string]string{"nightly": "0 0 1 1 *"}, CatchUp: []string{"nightly"}, Addr: "127.0.0.1:0", Inbox: inbox,
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + <-addr
	apptest.WaitFor(t, "the failed catch-up run", func() bool {
		return apptest.Statuses(apptest.Runs(t, db, "nightly"))[store.JobStatusFailed] == 1
	})
	health := func() (int, daemon.Health) {
		t.Helper()
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h daemon.Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, h
	}
	code, h := health()
	text := strings.Join(h.Problems, "\n")
	if code != http.StatusServiceUnavailable || h.Status != "unavailable" || !strings.Contains(text, "inbox") || !strings.Contains(text, "latest nightly run failed") {
		t.Errorf("/healthz: %d %+v", code, h)
	}
	db.Close()
	if code, h := health(); code != http.StatusServiceUnavailable || !strings.Contains(strings.Join(h.Problems, "\n"), "database unreachable") {
		t.Errorf("/healthz with the database gone: %d %+v", code, h)
	}
}
