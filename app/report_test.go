package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/fixtures"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// reportFiles writes the documents of version of 2024 into a new folder and
// returns their bytes by file name.
func reportFiles(t *testing.T, a *App, version int) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := a.Report(context.Background(), ReportInput{Year: 2024, Version: version, Out: dir}); err != nil {
		t.Fatalf("report version %d: %v", version, err)
	}
	return readFiles(t, dir)
}

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// sameFiles lists how two sets of documents differ ("" when they are the same).
func sameFiles(a, b map[string][]byte) string {
	var diffs []string
	for name, x := range a {
		if y, ok := b[name]; !ok {
			diffs = append(diffs, name+" missing")
		} else if !bytes.Equal(x, y) {
			diffs = append(diffs, name+" differs")
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, name+" added")
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, ", ")
}

// Issuing freezes what the documents print. After the issue of version 1,
// every source of its documents changes: names of a district, department,
// provider, system and resource, every catalogue item's name, unit,
// category and approval reference, a score, a holiday, late events (a
// change, an exit), the policy's SLA deadline and the findings. The report
// of version 1 stays byte for byte what it was, every file of it, while
// the live tables (and a draft) show the changes.
func TestIssuedDocumentsNeverChange(t *testing.T) {
	if testing.Short() {
		t.Skip("meters the Datong fixtures: skipped with -short")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tmp := t.TempDir()
		var logs bytes.Buffer
		a := New(db, slog.New(slog.NewTextHandler(&logs, nil)))
		a.PolicyPath = ""
		a.Now = func() time.Time { return time.Date(2025, 1, 10, 9, 0, 0, 0, metering.Shanghai) }

		refDir := filepath.Join(tmp, "reference")
		if err := fixtures.WriteDatong(refDir); err != nil {
			t.Fatal(err)
		}
		ref, problems := reference.ReadDir(refDir)
		if len(problems) > 0 {
			t.Fatalf("fixtures: %v", problems[0])
		}
		if _, err := a.LoadSet(ctx, ref); err != nil {
			t.Fatal(err)
		}
		inbox := filepath.Join(tmp, "inbox")
		if _, err := fixtures.Generate(fixtures.GenOptions{From: metering.MustDate("2024-03-01"), To: metering.MustDate("2024-03-10"), Out: inbox, Seed: 7, Layout: fixtures.LayoutSingle}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Ingest(ctx, IngestInput{Inbox: inbox, SettleTime: -1}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: metering.MustDate("2024-12-31")}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Settle(ctx, YearInput{Year: 2024}); err != nil {
			t.Fatal(err)
		}
		v, err := a.Issue(ctx, IssueInput{Year: 2024, WithoutSignoff: "test"})
		if err != nil {
			t.Fatal(err)
		}
		before := reportFiles(t, a, v)
		if len(before) < 10 {
			t.Fatalf("%d documents", len(before))
		}

		// The snapshot is faithful: the issued version rendered from the
		// live tables, as they still are, gives the same bytes.
		st, err := db.Statement(ctx, 2024, v)
		if err != nil {
			t.Fatal(err)
		}
		live, err := a.liveInputs(ctx, 2024)
		if err != nil {
			t.Fatal(err)
		}
		// The sign-off records as they stand, and who issued it (kept in
		// the snapshot only).
		recs, err := db.SignoffRecords(ctx, 2024, v)
		if err != nil {
			t.Fatal(err)
		}
		if snap, _, err := db.StatementSnapshot(ctx, 2024, v); err != nil || snap.Signoff == nil {
			t.Fatalf("snapshot sign-off: %v", err)
		} else {
			recs.Issue = snap.Signoff.Issue
		}
		live.Signoff = &recs
		liveDir := t.TempDir()
		if _, err := writeEvaluationCSVs(2024, liveDir, live); err != nil {
			t.Fatal(err)
		}
		if _, err := a.writeDocuments(liveDir, st, live, "", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := writeProviderCSVs(2024, liveDir, st.Lines); err != nil {
			t.Fatal(err)
		}
		fromLive := readFiles(t, liveDir)
		for _, name := range []string{"settlement-2024.csv", "departments-2024.csv"} {
			fromLive[name] = before[name]
		}
		if d := sameFiles(before, fromLive); d != "" {
			t.Errorf("the snapshot does not render as the live tables it froze: %s", d)
		}

		// Everything the documents read changes.
		rename := func(s string) string { return s + "（改）" }
		ref.Districts[0].Name = rename(ref.Districts[0].Name)
		ref.Departments[0].Name = rename(ref.Departments[0].Name)
		ref.Providers[0].Name = rename(ref.Providers[0].Name)
		ref.Systems[0].Name = rename(ref.Systems[0].Name)
		ref.Resources[0].Name = rename(ref.Resources[0].Name)
		for i := range ref.Catalogue {
			c := &ref.Catalogue[i]
			c.Name, c.Unit, c.Category, c.ApprovalRef = rename(c.Name), rename(c.Unit), rename(c.Category), rename(c.ApprovalRef)
		}
		ref.Scores[0].Score = decimal.RequireFromString("61.5")
		ref.Calendar = append(ref.Calendar, evaluation.CalendarDay{Day: metering.MustDate("2024-03-04"), Kind: evaluation.DayHoliday, Name: "临时休假"})
		res := ref.Resources[0].ID
		for _, e := range []struct {
			kind metering.EventKind
			at   string
			item string
			q    string
		}{
			{metering.EventChangeApproved, "2024-05-06T10:00:00+08:00", "VCPU", "8"},
			{metering.EventChanged, "2024-05-20T10:00:00+08:00", "VCPU", "8"},
			{metering.EventExitApproved, "2024-11-04T10:00:00+08:00", "", ""},
			{metering.EventReleased, "2024-11-25T10:00:00+08:00", "", ""},
		} {
			at, err := metering.ParseInstant(e.at)
			if err != nil {
				t.Fatal(err)
			}
			ev := metering.Event{ResourceID: res, Kind: e.kind, At: at, Day: metering.DateOf(at), ItemCode: e.item, Ref: "late"}
			if e.q != "" {
				ev.Quantity = decimal.RequireFromString(e.q)
			}
			ref.Events = append(ref.Events, ev)
		}
		if _, err := a.LoadSet(ctx, ref); err != nil {
			t.Fatal(err)
		}
		policy := filepath.Join(tmp, "policy.conf")
		if err := os.WriteFile(policy, []byte("sla.provision = 9\nsla.change = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		a.PolicyPath = policy
		if _, _, err := a.RefreshFindings(ctx, FindingsInput{AsOf: metering.MustDate("2024-06-30")}); err != nil {
			t.Fatal(err)
		}

		// The live tables did change what a report would print …
		now, err := a.liveInputs(ctx, 2024)
		if err != nil {
			t.Fatal(err)
		}
		dept := ref.Departments[0]
		deptName := func(in store.Snapshot) string {
			for _, d := range in.Inventory.Departments {
				if d.Code == dept.Code {
					return d.Name
				}
			}
			return ""
		}
		if deptName(now) != dept.Name || deptName(live) == dept.Name || len(now.Calendar) != len(live.Calendar)+1 ||
			now.Policy == live.Policy || sameObligations(now.Obligations, live.Obligations) || len(now.Findings) == len(live.Findings) {
			t.Fatalf("the changes did not reach the live tables (the test proves nothing): department %s %q → %q, calendar %d → %d, policy changed %v, obligations changed %v, findings %d → %d",
				dept.Code, deptName(live), deptName(now), len(live.Calendar), len(now.Calendar), now.Policy != live.Policy,
				!sameObligations(now.Obligations, live.Obligations), len(live.Findings), len(now.Findings))
		}
		// … but not what version 1 prints.
		if d := sameFiles(before, reportFiles(t, a, v)); d != "" {
			t.Errorf("issued version %d's documents changed: %s", v, d)
		}

		// A draft reads the live tables.
		r, err := a.Settle(ctx, YearInput{Year: 2024})
		if err != nil || !r.Saved {
			t.Fatalf("settle again: saved=%v %v", r.Saved, err)
		}
		draft, err := a.documentInputs(ctx, r.Statement)
		if err != nil {
			t.Fatal(err)
		}
		if deptName(draft) != dept.Name || draft.Policy != now.Policy {
			t.Errorf("the draft's documents print %q, want the live %q", deptName(draft), dept.Name)
		}

		// A version issued before snapshots existed prints the live tables, and says so.
		storetest.Tamper(t, db, `UPDATE statements SET snapshot_sha256 = NULL WHERE year = 2024 AND version = 1`)
		storetest.Tamper(t, db, `DELETE FROM statement_snapshots WHERE year = 2024 AND version = 1`)
		logs.Reset()
		if d := sameFiles(before, reportFiles(t, a, v)); d == "" {
			t.Error("a version without a snapshot printed the old names")
		}
		if !strings.Contains(logs.String(), "issued before cloudbill froze what its documents print") {
			t.Errorf("no warning about the missing snapshot:\n%s", logs.String())
		}
	})
}

func sameObligations(a, b []evaluation.Obligation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A statement whose rows were changed behind cloudbill's back is neither
// reported nor issued.
func TestTamperedStatementIsNeitherReportedNorIssued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st, err := billing.Assemble(2024, []billing.Line{{ProviderCode: "ctc", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", ItemCode: "VCPU",
			BillableDays: 366, QuantityDays: decimal.RequireFromString("1464"), Gross: decimal.RequireFromString("1379.67")}},
			[]billing.ProviderEvaluation{{ProviderCode: "ctc", Coefficient: decimal.RequireFromString("0.98")}}, "")
		if err != nil {
			t.Fatal(err)
		}
		st.CreatedAt = time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)
		if _, err := db.SaveStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
		storetest.Tamper(t, db, `UPDATE statement_lines SET gross = 0.10 WHERE year = 2024`)
		a := New(db, nil)
		if _, err := a.Report(ctx, ReportInput{Year: 2024, Out: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "the database was changed behind cloudbill's back") {
			t.Errorf("report: %v", err)
		}
		if _, err := a.Issue(ctx, IssueInput{Year: 2024, WithoutSignoff: "test"}); err == nil || !strings.Contains(err.Error(), "its rows hash to") {
			t.Errorf("issue: %v", err)
		}
	})
}
