package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// issuedAndDraft stores version 1 of 2024, issues it with snap, and stores
// a corrected version 2 as a draft (with a stray draft snapshot, so that
// every path below has a row to move). It returns version 1 as issued.
func issuedAndDraft(t *testing.T, db *store.DB, snap store.Snapshot) *billing.Statement {
	t.Helper()
	ctx := context.Background()
	seedSettlement(t, db)
	if _, err := db.SaveStatement(ctx, assemble(t, db)); err != nil {
		t.Fatal(err)
	}
	issue(t, db, 2024, snap)
	var more []metering.Usage
	for day := d("2024-08-11"); day <= d("2024-08-14"); day++ {
		more = append(more, metering.Usage{Day: day, ResourceID: "R4", ItemCode: "MEM", Quantity: dec("4")})
	}
	if err := store.InsertUsageForTest(ctx, db, more); err != nil {
		t.Fatal(err)
	}
	if saved, err := db.SaveStatement(ctx, assemble(t, db)); err != nil || !saved {
		t.Fatalf("version 2: saved=%v err=%v", saved, err)
	}
	if _, err := storetest.SQL(t, db).Exec(`INSERT INTO statement_snapshots (year, version, body) VALUES (2024, 2, '{}')`); err != nil {
		t.Fatalf("a draft's snapshot: %v", err)
	}
	v1, err := db.Statement(ctx, 2024, 1)
	if err != nil {
		t.Fatal(err)
	}
	return v1
}

// checkUnchanged fails t unless version 1 of 2024 still reads as want,
// issued, with its fingerprint and its snapshot intact.
func checkUnchanged(t *testing.T, db *store.DB, want *billing.Statement) {
	t.Helper()
	ctx := context.Background()
	got, err := db.Statement(ctx, 2024, 1)
	if err != nil {
		t.Fatalf("version 1 after the attempts: %v", err)
	}
	var gw, gg string
	for _, l := range want.Lines {
		gw += l.ResourceID + " " + l.Gross.StringFixed(2) + "\n"
	}
	for _, l := range got.Lines {
		gg += l.ResourceID + " " + l.Gross.StringFixed(2) + "\n"
	}
	if got.Status != billing.StatementStatusIssued || got.SHA256 != want.SHA256 || gg != gw || !got.Net.Equal(want.Net) || len(got.Departments) != len(want.Departments) {
		t.Errorf("version 1 changed: %s %s net %s\n%s\nwant %s %s net %s\n%s", got.Status, got.SHA256, got.Net, gg, want.Status, want.SHA256, want.Net, gw)
	}
	if _, ok, err := db.StatementSnapshot(ctx, 2024, 1); err != nil || !ok {
		t.Errorf("version 1's snapshot: ok=%v %v", ok, err)
	}
}

// Every conflict clause and every move of a row from a draft into an
// issued version is refused: on SQLite through a connection without
// recursive_triggers (as a sqlite3 shell opens the file), where REPLACE
// deletes the row it replaces without firing its delete triggers.
func TestIssuedStatementRefusesConflictPaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v1 := issuedAndDraft(t, db, store.Snapshot{Policy: "p"})
		for _, p := range storetest.Refusals(t, db, storetest.ConflictPaths(db.Engine)) {
			t.Error(p)
		}
		checkUnchanged(t, db, v1)
		if v2, err := db.Statement(context.Background(), 2024, 2); err != nil || v2.Status != billing.StatementStatusDraft {
			t.Errorf("version 2: %v", err)
		}
	})
}

// A session with TEMPORARY shadows statements and statement_lines with
// temporary tables in which issued version 1 is a draft: the triggers,
// which name their tables with the schema and run with a fixed
// search_path, are not fooled. (Before migration 0017 this session
// rewrote the issued lines.)
func TestIssuedStatementIgnoresShadowTables(t *testing.T) {
	db := storetest.Open(t, store.EnginePostgres)
	v1 := issuedAndDraft(t, db, store.Snapshot{})
	for _, name := range storetest.ShadowRewrite(context.Background(), t, db, 2024, 1) {
		t.Errorf("through shadow tables, the database accepted: %s", name)
	}
	checkUnchanged(t, db, v1)
}

// Every function of the schema sets its search_path, and names every
// table of the schema with the schema: no function reads a table that a
// session could shadow.
func TestFunctionsPinSearchPath(t *testing.T) {
	db := storetest.Open(t, store.EnginePostgres)
	if names := storetest.FunctionsWithoutPinnedPath(t, db); len(names) > 0 {
		t.Errorf("functions without their own search_path: %v", names)
	}
	var tables []string
	if err := storetest.SQL(t, db).Select(&tables, `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`); err != nil {
		t.Fatal(err)
	}
	bodies := storetest.FunctionBodies(t, db)
	for name, src := range bodies {
		for _, table := range tables {
			// a table named after FROM, JOIN, INTO, UPDATE or TABLE without "schema."
			re := regexp.MustCompile(`(?i)\b(from|join|into|update|table)\s+` + table + `\b`)
			if m := re.FindString(src); m != "" {
				t.Errorf("function %s names table %s without its schema: %q", name, table, m)
			}
		}
	}
	if len(bodies) < 9 {
		t.Errorf("%d functions, want at least the 9 of migrations 0017 and 0018", len(bodies))
	}
}

// A version whose rows are not those cloudbill stored is refused with the
// two hashes, by every reader (Statement, and so report, diff and issue)
// and by settle, which no longer takes a stored fingerprint for its rows.
func TestTamperedStatementIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSettlement(t, db)
		st := assemble(t, db)
		if _, err := db.SaveStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
		x := storetest.SQL(t, db)
		// A draft's rows may be changed (no trigger guards a draft), but never unnoticed.
		if _, err := x.Exec(`UPDATE statement_lines SET gross = 0.10 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`); err != nil {
			t.Fatal(err)
		}
		_, err := db.Statement(ctx, 2024, 1)
		wantTail := " but it was settled with " + st.SHA256 + ": the database was changed behind cloudbill's back"
		if !errors.Is(err, store.ErrTampered) || !strings.HasPrefix(err.Error(), "statement 2024 version 1: its rows hash to ") || !strings.HasSuffix(err.Error(), wantTail) {
			t.Errorf("a tampered draft read back: %v", err)
		}
		if saved, err := db.SaveStatement(ctx, assemble(t, db)); !errors.Is(err, store.ErrTampered) {
			t.Errorf("settling the same inputs again over a tampered version: saved=%v %v, want ErrTampered", saved, err)
		}
		if _, err := db.IssueStatement(ctx, store.IssueInput{Year: 2024, Version: 1, SHA256: st.SHA256, IssuedAt: time.Now()}); !errors.Is(err, store.ErrTampered) {
			t.Errorf("issuing a tampered draft: %v", err)
		}
		if _, err := x.Exec(`UPDATE statement_lines SET gross = 1920.00 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`); err != nil {
			t.Fatal(err)
		}

		// Issued, then changed behind the triggers' back.
		issue(t, db, 2024, store.Snapshot{Policy: "p"})
		storetest.Tamper(t, db, `UPDATE statement_lines SET gross = 0.10 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`)
		_, err = db.Statement(ctx, 2024, 1)
		wantTail = " but it was issued with " + st.SHA256 + ": the database was changed behind cloudbill's back"
		if !errors.Is(err, store.ErrTampered) || !strings.HasSuffix(err.Error(), wantTail) {
			t.Errorf("a tampered issued version read back: %v", err)
		}
		// The exact message: the rows hash to the SHA-256 of the CSV they make.
		lines := append([]billing.Line(nil), st.Lines...)
		for i := range lines {
			if lines[i].ResourceID == "R7" {
				lines[i].Gross = dec("0.10")
			}
		}
		rowsSum, _ := billing.Fingerprint(&billing.Statement{Lines: lines})
		if want := fmt.Sprintf("statement 2024 version 1: its rows hash to %s%s", rowsSum, wantTail); err == nil || err.Error() != want {
			t.Errorf("message:\n%v\nwant\n%s", err, want)
		}
		storetest.Tamper(t, db, `UPDATE statement_lines SET gross = 1920.00 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`)
		if _, err := db.Statement(ctx, 2024, 1); err != nil {
			t.Fatalf("restored: %v", err)
		}

		// Lines intact, a department's net changed: the totals are checked too.
		storetest.Tamper(t, db, `UPDATE statement_departments SET net = 1 WHERE year = 2024 AND version = 1 AND department_code = 'D1'`)
		if _, err := db.Statement(ctx, 2024, 1); !errors.Is(err, store.ErrTampered) || !strings.Contains(err.Error(), "department D1 of provider ctc reads") {
			t.Errorf("a tampered department row: %v", err)
		}
		storetest.Tamper(t, db, `UPDATE statement_departments SET net = 1573.57 WHERE year = 2024 AND version = 1 AND department_code = 'D1'`)
		if _, err := db.Statement(ctx, 2024, 1); err != nil {
			t.Fatalf("restored: %v", err)
		}

		// The snapshot: changed, gone, or both gone (a version issued before snapshots).
		storetest.Tamper(t, db, `UPDATE statement_snapshots SET body = replace(body, '"policy":"p"', '"policy":"q"') WHERE year = 2024 AND version = 1`)
		if _, _, err := db.StatementSnapshot(ctx, 2024, 1); !errors.Is(err, store.ErrTampered) || !strings.Contains(err.Error(), "its snapshot hashes to") {
			t.Errorf("a tampered snapshot: %v", err)
		}
		storetest.Tamper(t, db, `DELETE FROM statement_snapshots WHERE year = 2024 AND version = 1`)
		if _, _, err := db.StatementSnapshot(ctx, 2024, 1); !errors.Is(err, store.ErrTampered) || !strings.Contains(err.Error(), "which is gone") {
			t.Errorf("a deleted snapshot: %v", err)
		}
		storetest.Tamper(t, db, `UPDATE statements SET snapshot_sha256 = NULL WHERE year = 2024 AND version = 1`)
		if _, ok, err := db.StatementSnapshot(ctx, 2024, 1); ok || err != nil {
			t.Errorf("a version issued before snapshots: ok=%v %v, want false and no error", ok, err)
		}
	})
}

// Codes that encoding/csv quotes, decimals with trailing zeros and
// non-ASCII byte order: the fingerprint of the rows read back is the one
// settled, and on PostgreSQL the SQL recomputation of issue_statement
// gives the same bytes as billing.WriteSettlementCSV, so issuing succeeds.
func TestFingerprintOfAwkwardLines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var lines []billing.Line
		for i, code := range []string{"plain", "a,b", `say "hi"`, " lead", "\u00a0nbsp", "\u3000ideographic", `\.`, "two\nlines", "cr\rx", "tab\tin", "中文", "Zeta", "alpha", "é", "", "x"} {
			lines = append(lines, billing.Line{ProviderCode: "p" + fmt.Sprint(i%3), DistrictCode: "140200", DepartmentCode: code, SystemID: "S" + code,
				ResourceID: "R" + fmt.Sprint(i) + code, ItemCode: code, BillableDays: i, QuantityDays: dec([]string{"1168.500", "0", "0.0001000", "12345678901234567890.25"}[i%4]),
				Gross: dec([]string{"0.10", "1088.5", "7", "-0.30"}[i%4])})
		}
		billing.SortLines(lines)
		evals := []billing.ProviderEvaluation{{ProviderCode: "p0", Coefficient: dec("0.95")}, {ProviderCode: "p1", Coefficient: dec("1")}, {ProviderCode: "p2", Coefficient: dec("0.80")}}
		st, err := billing.Assemble(2024, lines, evals, "policy")
		if err != nil {
			t.Fatal(err)
		}
		st.CreatedAt = time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)
		if _, err := db.SaveStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
		back, err := db.Statement(ctx, 2024, 1)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		var csv bytes.Buffer
		billing.WriteSettlementCSV(&csv, back.Lines)
		if !strings.Contains(csv.String(), `"a,b"`) || !strings.Contains(csv.String(), `"say ""hi"""`) || !strings.Contains(csv.String(), "\"\u00a0nbsp\"") || !strings.Contains(csv.String(), `"\."`) {
			t.Errorf("the CSV does not quote as expected:\n%s", csv.String())
		}
		if db.Engine == store.EnginePostgres {
			if sum := storetest.SQLFingerprint(t, db, 2024, 1); sum != st.SHA256 {
				t.Errorf("SQL fingerprint %s, Go %s\n%s", sum, st.SHA256, csv.String())
			}
		}
		issue(t, db, 2024, store.Snapshot{})
	})
}

// The snapshot comes back as it went in: every name, and every decimal with
// its scale (the documents print a price with its own decimals).
func TestSnapshotRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSettlement(t, db)
		if _, err := db.SaveStatement(ctx, assemble(t, db)); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := db.StatementSnapshot(ctx, 2024, 1); ok || err != nil {
			t.Errorf("a draft has no snapshot: ok=%v %v", ok, err)
		}
		ref := settleReference()
		snap := store.Snapshot{
			AsOf:      d("2024-12-31"),
			Policy:    "sla.provision = 2\n",
			Inventory: ref.Inventory,
			Catalogue: append(ref.Catalogue, billing.PriceVersion{ItemCode: "BW", Category: "网络", Name: "带宽", Unit: "Mbps·年", Cycle: billing.CycleYear,
				Price: dec("360.0000"), EffectiveFrom: d("2024-01-01"), EffectiveTo: metering.NullDate{Date: d("2025-01-01"), Valid: true}, ApprovalRef: "同财〔2024〕1号"}),
			Calendar: []evaluation.CalendarDay{{Day: d("2024-10-01"), Kind: evaluation.DayHoliday, Name: "国庆节"}, {Day: d("2024-10-12"), Kind: evaluation.DayWorkday, Name: "调休"}},
			Obligations: []evaluation.Obligation{
				{ProviderCode: "ctc", ResourceID: "R1", Kind: "provision", Started: d("2023-10-30"), Due: d("2023-11-01"), Done: metering.NullDate{Date: d("2023-11-01"), Valid: true}, Status: evaluation.ObligationOnTime},
				{ProviderCode: "ctc", ResourceID: "R3", Kind: "change", Started: d("2024-02-27"), Due: d("2024-02-29"), Status: evaluation.ObligationOverdue, LateWorkingDays: 3},
			},
			Findings: []evaluation.Finding{{Kind: evaluation.FindingGap, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R4", ItemCode: "MEM",
				FirstDay: d("2024-08-11"), LastDay: d("2024-08-14"), Days: 4, Amount: dec("5.2500"), Action: "补报计量"}},
			Scores: []evaluation.Score{{ProviderCode: "ctc", Period: "2024Q1", Dimension: "quality", Evaluator: "department", Score: dec("90.50")}},
		}
		issue(t, db, 2024, snap)
		got, ok, err := db.StatementSnapshot(ctx, 2024, 1)
		if err != nil || !ok {
			t.Fatalf("snapshot: ok=%v %v", ok, err)
		}
		a, _ := store.EncodeSnapshotForTest(snap)
		b, _ := store.EncodeSnapshotForTest(got)
		if !bytes.Equal(a, b) {
			t.Errorf("round trip:\n%s\nwant\n%s", b, a)
		}
		last := got.Catalogue[len(got.Catalogue)-1]
		if last.Price.Exponent() != -4 || got.Findings[0].Amount.String() != "5.25" || store.Dec(got.Scores[0].Score) != "90.50" || got.Obligations[1].Done.Valid || !last.EffectiveTo.Valid {
			t.Errorf("decimals or dates lost: price %s (exp %d), amount %s, score %s, done %v, to %v",
				last.Price, last.Price.Exponent(), got.Findings[0].Amount, store.Dec(got.Scores[0].Score), got.Obligations[1].Done, last.EffectiveTo)
		}
	})
}

// Issuing names the version and the fingerprint the issuer saw: a newer
// draft, or another fingerprint, is refused and nothing is issued.
func TestIssueChecksVersionAndFingerprint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSettlement(t, db)
		st := assemble(t, db)
		if _, err := db.SaveStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
		for name, in := range map[string]store.IssueInput{
			"another version":     {Year: 2024, Version: 2, SHA256: st.SHA256, IssuedAt: now},
			"another fingerprint": {Year: 2024, Version: 1, SHA256: strings.Repeat("0", 64), IssuedAt: now},
			"no fingerprint":      {Year: 2024, Version: 1, IssuedAt: now},
			"no time":             {Year: 2024, Version: 1, SHA256: st.SHA256},
			"no statement":        {Year: 2023, Version: 1, SHA256: st.SHA256, IssuedAt: now},
		} {
			if _, err := db.IssueStatement(ctx, in); err == nil {
				t.Errorf("%s: issued", name)
			}
		}
		if back, err := db.Statement(ctx, 2024, 1); err != nil || back.Status != billing.StatementStatusDraft {
			t.Errorf("after refused issues: %v", err)
		}
	})
}

// issue_statement checks the rows itself, in SQL: called directly with
// the stored fingerprint of rows changed since, or with another
// fingerprint, it refuses.
func TestIssueFunctionChecksRowsInSQL(t *testing.T) {
	db := storetest.Open(t, store.EnginePostgres)
	ctx := context.Background()
	seedSettlement(t, db)
	st := assemble(t, db)
	if _, err := db.SaveStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	x := storetest.SQL(t, db)
	call := func() error {
		_, err := x.Exec(`SELECT issue_statement(2024, 1, $1, now(), '{}')`, st.SHA256)
		return err
	}
	if _, err := x.Exec(`UPDATE statement_lines SET gross = 0.10 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`); err != nil {
		t.Fatal(err)
	}
	if err := call(); err == nil || !strings.Contains(err.Error(), "its rows hash to") {
		t.Errorf("issue_statement over changed rows: %v", err)
	}
	if _, err := x.Exec(`UPDATE statement_lines SET gross = 1920.00 WHERE year = 2024 AND version = 1 AND resource_id = 'R7'`); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Exec(`SELECT issue_statement(2024, 1, 'not-it', now(), '{}')`); err == nil {
		t.Error("issue_statement with another fingerprint succeeded")
	}
	if err := call(); err != nil {
		t.Errorf("issue_statement on intact rows: %v", err)
	}
}
