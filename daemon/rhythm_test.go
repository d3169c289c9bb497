package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/daemon"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/reports"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// A daemon started on 3 August 2024 whose monthly and quarterly jobs
// never ran catches both up at once, each for its latest tick: the
// monthly job for 1 August 06:30 writes July's report, the quarterly one
// for 1 July 07:00 the second quarter's, into the output folder; the job
// history has both runs with their ticks. Started again, nothing is
// missed.
func TestMonthlyAndQuarterlyJobsCatchUp(t *testing.T) {
	if _, err := reports.FindFont(""); err != nil {
		if os.Getenv("CLOUDBILL_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("no CJK font: %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ap := app.New(db, apptest.Discard)
		ref, problems := reference.Read(fixtures.Datong, "")
		if len(problems) > 0 {
			t.Fatal(problems[0])
		}
		if _, err := ap.LoadSet(ctx, ref); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		meterDir, out := filepath.Join(dir, "metering"), filepath.Join(dir, "reports")
		if _, err := fixtures.Generate(fixtures.GenOptions{From: day("2024-04-01"), To: day("2024-07-31"), Out: meterDir, Seed: 3, Layout: fixtures.LayoutSingle, NoActivity: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := ap.Ingest(ctx, app.IngestInput{Paths: []string{meterDir}}); err != nil {
			t.Fatal(err)
		}
		now := apptest.Clock("2024-08-03 10:00")
		r := apptest.Runner(db, "t:1", now, nil)
		r.Jobs = ap.DaemonJobs(app.IngestInput{Inbox: filepath.Join(dir, "inbox")}, out, r.Now)
		cfg := daemon.Config{Grace: time.Minute, CatchUp: []string{app.JobNightly, app.JobAnnual, app.JobMonthly, app.JobQuarterly},
			Schedules: map[string]string{app.JobNightly: "off", app.JobAnnual: "off",
				app.JobMonthly: daemon.DefaultSchedules[app.JobMonthly], app.JobQuarterly: daemon.DefaultSchedules[app.JobQuarterly]}}
		d := &daemon.Daemon{Runner: r, Log: apptest.Discard, Config: cfg}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(runCtx) }()
		apptest.WaitFor(t, "the monthly and quarterly catch-up runs", func() bool {
			return len(apptest.Runs(t, db, app.JobMonthly)) > 0 && len(apptest.Runs(t, db, app.JobQuarterly)) > 0 &&
				!apptest.Runs(t, db, app.JobMonthly)[0].FinishedAt.IsZero() && !apptest.Runs(t, db, app.JobQuarterly)[0].FinishedAt.IsZero()
		})
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			job, tick, scope string
			files            []string
		}{
			{app.JobMonthly, "2024-08-01 06:30", "period=2024-07 out=" + out, []string{"month-2024-07.pdf", "month-2024-07.csv"}},
			{app.JobQuarterly, "2024-07-01 07:00", "period=2024Q2 out=" + out, []string{"quarter-2024Q2.pdf", "quarter-2024Q2.csv"}},
		} {
			runs := apptest.Runs(t, db, c.job)
			if len(runs) != 1 {
				t.Fatalf("%s: %d runs, want the one catch-up", c.job, len(runs))
			}
			run := runs[0]
			if run.Status != store.JobStatusSucceeded || !run.Scheduled.Equal(apptest.Clock(c.tick)()) || run.Scope != c.scope ||
				run.Counts[app.CountDocuments] != 2 || run.Counts[app.CountLines] == 0 {
				t.Errorf("%s run: %+v (error %q); want succeeded for the tick %s, scope %q", c.job, run, run.Error, c.tick, c.scope)
			}
			for _, f := range c.files {
				if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s: %s missing: %v", c.job, f, err)
				}
			}
			missed, _, err := r.Missed(ctx, c.job, mustSchedule(t, daemon.DefaultSchedules[c.job]))
			if err != nil || missed {
				t.Errorf("%s after catching up: missed = %v, %v", c.job, missed, err)
			}
		}
		if len(apptest.Runs(t, db, app.JobNightly)) != 0 || len(apptest.Runs(t, db, app.JobAnnual)) != 0 {
			t.Error("a job switched off ran")
		}
	})
}

// The schedules name the right ticks: the monthly job on every 1st at
// 06:30, the quarterly one on 1 January, April, July and October at 07:00.
func TestDefaultSchedules(t *testing.T) {
	for _, c := range []struct {
		job, after string
		want       []string
	}{
		{app.JobMonthly, "2024-01-15 00:00", []string{"2024-02-01 06:30", "2024-03-01 06:30", "2024-04-01 06:30"}},
		{app.JobQuarterly, "2024-01-15 00:00", []string{"2024-04-01 07:00", "2024-07-01 07:00", "2024-10-01 07:00", "2025-01-01 07:00"}},
	} {
		s := mustSchedule(t, daemon.DefaultSchedules[c.job])
		tick := apptest.Clock(c.after)()
		for _, w := range c.want {
			tick = s.Next(tick.In(metering.Shanghai))
			if !tick.Equal(apptest.Clock(w)()) {
				t.Errorf("%s: next tick %s, want %s", c.job, tick.In(metering.Shanghai), w)
			}
		}
	}
}

func day(s string) metering.Date { return metering.MustDate(s) }
