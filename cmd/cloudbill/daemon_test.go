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

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/app/apptest"
	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reference"
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

// The roles of deploy/postgres-setup.sql, the script run twice (before and
// after the owner migrates): the loader loads reference data, the daemon
// ingests, keeps job history, refreshes findings and settles a draft, the
// issuer issues it through issue_statement, the reader reports it. Each
// forbidden act of each role is refused, a daemon with TEMPORARY cannot
// shadow its way into the issued lines, and the issued documents do not
// change.
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
	dbname := "cb_lp_" + suffix
	roles := map[string]string{}
	args := []string{"-X", "-q", "-d", admin, "-v", "dbname=" + dbname}
	var names []string
	for _, duty := range []string{"owner", "loader", "daemon", "issuer", "reader"} {
		roles[duty] = "cb_lp_" + duty + "_" + suffix
		names = append(names, roles[duty])
		args = append(args, "-v", duty+"="+roles[duty], "-v", duty+"_password="+duty+"-secret")
	}
	args = append(args, "-f", filepath.Join("..", "..", "deploy", "postgres-setup.sql"))
	storetest.DropAtCleanup(t, admin, dbname, names...)
	setup := func(when string) {
		t.Helper()
		out, err := exec.Command(psql, args...).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Fatalf("postgres-setup.sql %s: %v\n%s", when, err, out)
		}
	}
	as := func(duty string) *store.DB {
		t.Helper()
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		u.User, u.Path = url.UserPassword(roles[duty], duty+"-secret"), "/"+dbname
		db, err := store.Open(ctx, u.String())
		if err != nil {
			t.Fatalf("%s opens the database: %v", duty, err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	clock := func() time.Time { return time.Date(2025, 1, 10, 9, 0, 0, 0, metering.Shanghai) }
	appAs := func(db *store.DB) *app.App {
		a := app.New(db, apptest.Discard)
		a.Now, a.PolicyPath = clock, ""
		return a
	}

	setup("before the schema exists")
	as("owner") // migrates
	setup("after migrating")

	// The loader loads; the daemon may not.
	ref := leastPrivilegeReference()
	ref.Calendar = append(ref.Calendar, evaluation.CalendarDay{Day: metering.MustDate("2025-01-01"), Kind: evaluation.DayHoliday, Name: "元旦"}) // the sign-off window
	if _, err := appAs(as("loader")).LoadSet(ctx, ref); err != nil {
		t.Fatalf("the loader loads reference data: %v", err)
	}
	d := as("daemon")
	da := appAs(d)
	if _, err := da.LoadSet(ctx, ref); err == nil {
		t.Error("the daemon loaded reference data")
	}

	// The daemon ingests (staging in temporary tables), refreshes findings, keeps job history, settles.
	inbox := t.TempDir()
	var usage strings.Builder
	usage.WriteString(ingestUsageHeader)
	for day := metering.MustDate("2024-06-10"); day <= metering.MustDate("2024-06-30"); day++ {
		fmt.Fprintf(&usage, "%s,R1,VCPU,4\n", day)
	}
	writeFiles(t, inbox, map[string]string{"usage-2024-06.csv": usage.String()})
	r := apptest.Runner(d, "lp:1", clock, map[string]app.JobFunc{
		app.JobNightly: da.NightlyJob(app.IngestInput{Inbox: inbox, SettleTime: -1}, func() metering.Date { return metering.MustDate("2024-12-31") }),
	})
	if run, err := r.Run(ctx, app.JobNightly); err != nil || run.Status != store.JobStatusSucceeded || run.Counts[app.CountRowsIngested] != 21 {
		t.Fatalf("the daemon runs the nightly job: %+v %v", run, err)
	}
	if _, err := da.Recorded(ctx, "settle", func(ctx context.Context) (app.JobResult, error) {
		_, err := da.Settle(ctx, app.YearInput{Year: 2024})
		return app.JobResult{}, err
	}); err != nil {
		t.Fatalf("the daemon settles: %v", err)
	}
	if _, err := da.Issue(ctx, app.IssueInput{Year: 2024, WithoutSignoff: "test"}); err == nil {
		t.Error("the daemon issued a statement")
	}

	// The daemon (the portal, cloudbill signoff) signs the draft off
	// (docs/signoff.md); it may not rewrite the records.
	office := app.Actor{User: "ops", Role: "office"}
	for _, step := range []func() error{
		func() error { return da.Publish(ctx, app.PublishInput{Actor: office, Year: 2024}) },
		func() error {
			_, err := da.Object(ctx, app.ObjectInput{Actor: app.Actor{User: "dist", Role: "district", District: "140200"}, Year: 2024, ResourceID: "R1", ItemCode: "VCPU",
				Reason: "x", Evidence: strings.NewReader("evidence"), EvidenceName: "e.txt"})
			return err
		},
		func() error {
			return da.Resolve(ctx, app.ResolveInput{Actor: office, ID: 1, Outcome: store.ObjectionRejected, Reason: "no"})
		},
		func() error {
			return da.Confirm(ctx, app.ConfirmInput{Actor: app.Actor{User: "prov", Role: "provider", Provider: "ctc"}, Year: 2024})
		},
		func() error {
			return da.Confirm(ctx, app.ConfirmInput{Actor: app.Actor{User: "dist", Role: "district", District: "140200"}, Year: 2024})
		},
		func() error { return da.Approve(ctx, app.ApproveInput{Actor: office, Year: 2024}) },
	} {
		if err := step(); err != nil {
			t.Fatalf("the daemon signs off: %v", err)
		}
	}
	signoffAttempts := []storetest.Attempt{
		{Name: "delete a confirmation", SQL: `DELETE FROM signoff_confirmations`},
		{Name: "rewrite an approval", SQL: `UPDATE signoff_approvals SET user_name = 'x'`},
		{Name: "delete an objection's evidence", SQL: `DELETE FROM signoff_evidence`},
		{Name: "rewrite a publication", SQL: `UPDATE signoff_publications SET deadline = DATE '2030-01-01'`},
	}
	for _, p := range storetest.Refusals(t, d, signoffAttempts) {
		t.Errorf("daemon: %s", p)
	}
	for _, p := range storetest.Refusals(t, as("issuer"), append(signoffAttempts, storetest.Attempt{Name: "approve", SQL: `INSERT INTO signoff_approvals (year, version, user_name, role, at, sha256) VALUES (2024, 1, 'x', 'office', now(), 'x')`})) {
		t.Errorf("issuer: %s", p)
	}

	// The issuer issues the approved version, recorded in the job history.
	ia := appAs(as("issuer"))
	if _, err := ia.Recorded(ctx, "issue", func(ctx context.Context) (app.JobResult, error) {
		_, err := ia.Issue(ctx, app.IssueInput{Year: 2024, Actor: app.Actor{User: "fin", Role: "finance"}})
		return app.JobResult{}, err
	}); err != nil {
		t.Fatalf("the issuer issues: %v", err)
	}

	// The reader reads: the issued version's documents, and the job history.
	rd := as("reader")
	ra := appAs(rd)
	report := func() map[string]string {
		t.Helper()
		dir := t.TempDir()
		paths, err := ra.Report(ctx, app.ReportInput{Year: 2024, Out: dir})
		if err != nil {
			t.Fatalf("the reader reports: %v", err)
		}
		out := map[string]string{}
		for _, p := range paths {
			b, _ := os.ReadFile(p)
			out[filepath.Base(p)] = string(b)
		}
		return out
	}
	before := report()
	if runs, err := rd.JobRuns(ctx, store.JobRunFilter{Limit: 10}); err != nil || len(runs) != 3 {
		t.Errorf("the reader reads the job history: %d runs, %v", len(runs), err)
	}

	// Every forbidden act of every role is refused.
	for duty, attempts := range map[string][]storetest.Attempt{
		"daemon": storetest.DaemonMayNot(), "loader": storetest.LoaderMayNot(),
		"issuer": storetest.IssuerMayNot(), "reader": storetest.ReaderMayNot(),
	} {
		db := d
		if duty != "daemon" {
			db = as(duty)
		}
		for _, p := range storetest.Refusals(t, db, attempts) {
			t.Errorf("%s: %s", duty, p)
		}
	}
	for _, name := range storetest.ShadowRewrite(ctx, t, d, 2024, 1) {
		t.Errorf("daemon, through shadow tables: accepted: %s", name)
	}
	if _, err := appAs(as("reader")).Issue(ctx, app.IssueInput{Year: 2024, WithoutSignoff: "test"}); err == nil {
		t.Error("the reader issued")
	}

	// Version 1 is what it was.
	after := report()
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s changed after the refused attempts", name)
		}
	}
	if st, err := rd.Statement(ctx, 2024, 1); err != nil || st.Status != billing.StatementStatusIssued || !st.Gross.Equal(decimal.RequireFromString("82.62")) {
		t.Errorf("issued version 1: %v", err)
	}
}

// leastPrivilegeReference is one VM of 4 vCPU confirmed 2024-06-10 with
// the scores of one quarter: 21 days in June at 360 元/核/年,
// 4 × 360 × 21 ÷ 366 = 30240 ÷ 366 = 82.622… → 82.62 元.
func leastPrivilegeReference() *reference.Set {
	at := func(s string) time.Time { t, _ := metering.ParseInstant(s); return t }
	approved, confirmed := at("2024-06-05T09:00:00+08:00"), at("2024-06-10T09:00:00+08:00")
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "电信"}},
			Systems:     []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}},
			Resources:   []metering.Resource{{ID: "R1", SystemID: "S1", ProviderCode: "ctc", Kind: "vm", Name: "web"}},
		},
		Catalogue: []billing.PriceVersion{{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear,
			Price: decimal.NewFromInt(360), EffectiveFrom: metering.MustDate("2023-01-01"), ApprovalRef: "同财〔2023〕1号"}},
		Events: []metering.Event{
			{ResourceID: "R1", Kind: metering.EventApproved, At: approved, Day: metering.DateOf(approved), ItemCode: "VCPU", Quantity: decimal.NewFromInt(4), Ref: "A1"},
			{ResourceID: "R1", Kind: metering.EventConfirmed, At: confirmed, Day: metering.DateOf(confirmed)},
		},
		Calendar: []evaluation.CalendarDay{{Day: metering.MustDate("2024-10-01"), Kind: evaluation.DayHoliday, Name: "国庆节"}},
	}
	for _, dim := range evaluation.Dimensions {
		ref.Scores = append(ref.Scores, evaluation.Score{ProviderCode: "ctc", Period: "2024Q2", Dimension: dim, Evaluator: "department", Score: decimal.NewFromInt(96)})
	}
	return ref
}

// kill -9 in the middle of the nightly job on SQLite, then a restart well
// within the lock's lease: the dead process's lease is taken over at once,
// its run is marked abandoned and the catch-up ingests the whole inbox.
func TestKilledDaemonCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a killed daemon's 200,000-row ingest skipped (make test runs it)")
	}
	t.Parallel() // its own database and folders
	dsn := ingestTestDB(t, store.EngineSQLite)
	inbox := t.TempDir()
	var b strings.Builder
	b.WriteString(ingestUsageHeader)
	// 200,000 rows of 200 keys: each day's value sent again and again, so
	// that the file takes a while to ingest.
	rows, keys := 0, 0
	for d := metering.MustDate("2024-06-10"); rows < 200_000; d = d.AddDays(1) {
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
