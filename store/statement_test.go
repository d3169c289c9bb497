package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

var testEvals = []billing.ProviderEvaluation{
	{ProviderCode: "ctc", Annual: dec("86.5"), Coefficient: dec("0.95")},
	{ProviderCode: "cuc", Annual: dec("80"), Coefficient: dec("0.90")},
}

func assemble(t *testing.T, db *store.DB) *billing.Statement {
	t.Helper()
	st, err := billing.Assemble(2024, settleLines(t, db, 2024), testEvals, "policy v1")
	if err != nil {
		t.Fatal(err)
	}
	st.CreatedAt = time.Date(2025, 1, 5, 6, 0, 0, 0, time.UTC)
	return st
}

// issue issues the latest version of year with snap, as cloudbill issue
// does, and returns it.
func issue(t *testing.T, db *store.DB, year int, snap store.Snapshot) *billing.Statement {
	t.Helper()
	ctx := context.Background()
	st, err := db.Statement(ctx, year, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.IssueStatement(ctx, store.IssueInput{Year: year, Version: st.Version, SHA256: st.SHA256,
		IssuedAt: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), Snapshot: snap}); err != nil {
		t.Fatalf("issue %d version %d: %v", year, st.Version, err)
	}
	return st
}

func TestStatementTotalsByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSettlement(t, db)
		st := assemble(t, db)
		// ctc × 0.95, cuc × 0.90:
		// 140200 D1 ctc: 1379.67 + 23.61 + 240.00 + 13.11 = 1656.39; × 0.95 = 1573.5705 → 1573.57
		// 140221 D2 ctc: 132.26 × 0.95 = 125.647 → 125.65
		// 140221 D2 cuc: (1920.00 + 344.92) = 2264.92 × 0.90 = 2038.428 → 2038.43
		want := map[string][3]string{
			"ctc/D1": {"1656.39", "0.95", "1573.57"},
			"ctc/D2": {"132.26", "0.95", "125.65"},
			"cuc/D2": {"2264.92", "0.90", "2038.43"},
		}
		if len(st.Departments) != len(want) {
			t.Fatalf("%d department rows, want %d", len(st.Departments), len(want))
		}
		for _, d := range st.Departments {
			w := want[d.ProviderCode+"/"+d.DepartmentCode]
			if !d.Gross.Equal(dec(w[0])) || !d.Coefficient.Equal(dec(w[1])) || !d.Net.Equal(dec(w[2])) {
				t.Errorf("%s/%s: %s × %s = %s, want %v", d.ProviderCode, d.DepartmentCode, d.Gross, d.Coefficient, d.Net, w)
			}
		}
		// districts: 140200 1656.39 / 1573.57; 140221 2397.18 / 2164.08; city 4053.57 / 3737.65
		if !st.Gross.Equal(dec("4053.57")) || !st.Net.Equal(dec("3737.65")) {
			t.Errorf("city %s / %s, want 4053.57 / 3737.65", st.Gross, st.Net)
		}
		checkSums(t, st)
	})
}

// checkSums asserts every total is the exact sum of the rows under it.
func checkSums(t *testing.T, st *billing.Statement) {
	t.Helper()
	depGross := map[string]decimal.Decimal{}
	for _, l := range st.Lines {
		k := l.ProviderCode + "/" + l.DepartmentCode
		depGross[k] = depGross[k].Add(l.Gross)
	}
	distGross, distNet := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, d := range st.Departments {
		if g := depGross[d.ProviderCode+"/"+d.DepartmentCode]; !g.Equal(d.Gross) {
			t.Errorf("department %s/%s gross %s ≠ Σ lines %s", d.ProviderCode, d.DepartmentCode, d.Gross, g)
		}
		distGross[d.DistrictCode] = distGross[d.DistrictCode].Add(d.Gross)
		distNet[d.DistrictCode] = distNet[d.DistrictCode].Add(d.Net)
	}
	var cg, cn decimal.Decimal
	for _, d := range st.Districts {
		if !distGross[d.DistrictCode].Equal(d.Gross) || !distNet[d.DistrictCode].Equal(d.Net) {
			t.Errorf("district %s %s/%s ≠ Σ departments %s/%s", d.DistrictCode, d.Gross, d.Net, distGross[d.DistrictCode], distNet[d.DistrictCode])
		}
		cg, cn = cg.Add(d.Gross), cn.Add(d.Net)
	}
	if !cg.Equal(st.Gross) || !cn.Equal(st.Net) {
		t.Errorf("city %s/%s ≠ Σ districts %s/%s", st.Gross, st.Net, cg, cn)
	}
}

func TestStatementVersionsAndImmutability(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSettlement(t, db)
		st := assemble(t, db)
		if saved, err := db.SaveStatement(ctx, st); err != nil || !saved || st.Version != 1 {
			t.Fatalf("first save: saved=%v version=%d err=%v", saved, st.Version, err)
		}
		again := assemble(t, db)
		if saved, err := db.SaveStatement(ctx, again); err != nil || saved || again.Version != 1 {
			t.Fatalf("same inputs must not make a new version: saved=%v version=%d err=%v", saved, again.Version, err)
		}
		back, err := db.Statement(ctx, 2024, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum, _ := billing.Fingerprint(back); sum != st.SHA256 || back.SHA256 != st.SHA256 {
			t.Errorf("fingerprint after round trip %s / stored %s, want %s", sum, back.SHA256, st.SHA256)
		}
		if len(back.Lines) != len(st.Lines) || !back.Gross.Equal(st.Gross) || !back.Net.Equal(st.Net) || back.Status != billing.StatementStatusDraft {
			t.Errorf("round trip: %d lines %s/%s %s", len(back.Lines), back.Gross, back.Net, back.Status)
		}
		if len(back.Lines[0].Runs) == 0 || len(back.Providers) != 2 || !back.CreatedAt.Equal(st.CreatedAt) {
			t.Errorf("round trip lost runs, evaluations or date: %+v", back.Lines[0])
		}
		checkSums(t, back)

		issue(t, db, 2024, store.Snapshot{})
		if _, err := db.IssueStatement(ctx, store.IssueInput{Year: 2024, Version: 1, SHA256: st.SHA256, IssuedAt: time.Now()}); !errors.Is(err, store.ErrIssued) {
			t.Errorf("issuing twice: %v, want ErrIssued", err)
		}
		for _, q := range []string{
			`UPDATE statements SET net = 0 WHERE year = 2024`,
			`DELETE FROM statements WHERE year = 2024`,
			`UPDATE statement_lines SET gross = 0 WHERE year = 2024`,
			`DELETE FROM statement_departments WHERE year = 2024`,
			`INSERT INTO statement_districts (year, version, district_code, gross, net) VALUES (2024, 1, 'X', 1, 1)`,
		} {
			if _, err := storetest.SQL(t, db).Exec(q); err == nil {
				t.Errorf("%s: the database accepted a change to an issued statement", q)
			}
		}

		// corrected input: four more days of R4 → version 2, a draft, with one changed line
		var more []metering.Usage
		for day := d("2024-08-11"); day <= d("2024-08-14"); day++ {
			more = append(more, metering.Usage{Day: day, ResourceID: "R4", ItemCode: "MEM", Quantity: dec("4")})
		}
		if err := store.InsertUsageForTest(ctx, db, more); err != nil {
			t.Fatal(err)
		}
		v2 := assemble(t, db)
		if saved, err := db.SaveStatement(ctx, v2); err != nil || !saved || v2.Version != 2 {
			t.Fatalf("corrected save: saved=%v version=%d err=%v", saved, v2.Version, err)
		}
		old, _ := db.Statement(ctx, 2024, 1)
		cur, _ := db.Statement(ctx, 2024, 2)
		if old.Status != billing.StatementStatusIssued || cur.Status != billing.StatementStatusDraft {
			t.Errorf("statuses %s, %s", old.Status, cur.Status)
		}
		changes := billing.Diff(old, cur)
		// R4: 14 days × 4 GB × 120 ÷ 366 = 6720 ÷ 366 = 18.3606… → 18.36 (was 13.11)
		if len(changes) != 1 || changes[0].New.ResourceID != "R4" || !changes[0].New.Gross.Equal(dec("18.36")) || !changes[0].Delta().Equal(dec("5.25")) {
			t.Errorf("diff = %+v", changes)
		}
	})
}

// The rows of a statement belong to a stored statement: no rows without
// their statement, no statement deleted or renumbered under its rows
// (foreign keys on SQLite, per-statement triggers on PostgreSQL).
func TestStatementRowsNeedTheirStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSettlement(t, db)
		st := assemble(t, db)
		if _, err := db.SaveStatement(ctx, st); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `INSERT INTO statement_districts (year, version, district_code, gross, net) VALUES (2024, 42, '140213', 1, 1)`); err == nil {
			t.Error("a district row of a statement that does not exist was stored")
		}
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `DELETE FROM statements WHERE year = 2024 AND version = 1`); err == nil {
			t.Error("a draft statement with rows was deleted")
		}
		if _, err := storetest.SQL(t, db).ExecContext(ctx, `UPDATE statements SET version = 7 WHERE year = 2024 AND version = 1`); err == nil {
			t.Error("a draft statement with rows was renumbered")
		}
		if back, err := db.Statement(ctx, 2024, 1); err != nil || len(back.Lines) != len(st.Lines) {
			t.Fatalf("the statement after refused changes: %v", err)
		}
	})
}
