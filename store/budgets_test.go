package store_test

import (
	"context"
	"testing"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// Budgets load in the reference set's transaction, are upserted by
// (year, district, department), a year's left out of a later file are
// dropped, and read back; the over_budget findings
// are replaced by the latest forecast of the year only.
func TestBudgets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ref := settleReference()
		ref.Budgets = []billing.Budget{
			{Year: 2024, DistrictCode: "140200", DepartmentCode: "D1", Amount: dec("1000.10"), ApprovalRef: "同财预〔2024〕1号"},
			{Year: 2024, DistrictCode: "140221", Amount: dec("5000"), ApprovalRef: "阳财预〔2024〕2号"},
			{Year: 2025, DistrictCode: "140221", Amount: dec("6000.00"), ApprovalRef: "阳财预〔2025〕1号"},
		}
		counts, err := db.LoadReference(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if counts["budgets"] != 3 {
			t.Errorf("%d budgets loaded, want 3", counts["budgets"])
		}
		got, err := db.Budgets(ctx, 2024)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].DepartmentCode != "D1" || got[0].Amount.StringFixed(2) != "1000.10" || got[1].DepartmentCode != "" || got[1].ApprovalRef != "阳财预〔2024〕2号" {
			t.Errorf("budgets of 2024: %+v", got)
		}
		if counts, err = db.LoadReference(ctx, ref); err != nil || counts["budgets"] != 0 {
			t.Errorf("the same budgets again: %d changed (%v)", counts["budgets"], err)
		}
		ref.Budgets[1].Amount = dec("5500")
		if counts, err = db.LoadReference(ctx, ref); err != nil || counts["budgets"] != 1 {
			t.Errorf("one budget changed: %d changed (%v)", counts["budgets"], err)
		}
		back, err := db.ReadReference(ctx)
		if err != nil || len(back.Budgets) != 3 || !back.Budgets[1].Amount.Equal(dec("5500")) {
			t.Errorf("read back: %+v %v", back.Budgets, err)
		}
		// A later file is the whole of each year it names: 2024's D1
		// budget left out is dropped, 2025 (not named) stays.
		later := *ref
		later.Budgets = []billing.Budget{ref.Budgets[1]}
		if counts, err = db.LoadReference(ctx, &later); err != nil || counts["budgets"] != 0 || counts[store.BudgetsDropped] != 1 {
			t.Errorf("a 2024 budget left out: %d changed, %d dropped (%v)", counts["budgets"], counts[store.BudgetsDropped], err)
		}
		if back, err = db.ReadReference(ctx); err != nil || len(back.Budgets) != 2 || back.Budgets[0].DepartmentCode != "" || back.Budgets[1].Year != 2025 {
			t.Errorf("after a 2024 budget was left out: %+v %v", back.Budgets, err)
		}
		if counts, err = db.LoadReference(ctx, ref); err != nil || counts["budgets"] != 1 || counts[store.BudgetsDropped] != 0 {
			t.Errorf("the D1 budget back: %d changed, %d dropped (%v)", counts["budgets"], counts[store.BudgetsDropped], err)
		}

		july := []store.BudgetFinding{{DistrictCode: "140221", Budget: dec("5500"), Forecast: dec("5600.25")}}
		if ok, err := db.ReplaceBudgetFindings(ctx, 2024, d("2024-07-31"), july); err != nil || !ok {
			t.Fatalf("store July's findings: %v %v", ok, err)
		}
		sept := []store.BudgetFinding{{DistrictCode: "140200", DepartmentCode: "D1", Budget: dec("1000.10"), Forecast: dec("1200")}}
		if ok, err := db.ReplaceBudgetFindings(ctx, 2024, d("2024-09-30"), sept); err != nil || !ok {
			t.Fatalf("store September's findings: %v %v", ok, err)
		}
		// July's report written again afterwards: September's forecast stays.
		if ok, err := db.ReplaceBudgetFindings(ctx, 2024, d("2024-07-31"), july); err != nil || ok {
			t.Fatalf("an older forecast replaced a newer one: %v %v", ok, err)
		}
		fs, err := db.BudgetFindings(ctx, metering.YearStart(2024), metering.YearEnd(2024).AddDays(-1))
		if err != nil || len(fs) != 1 || fs[0].AsOf != d("2024-09-30") || !fs[0].Forecast.Equal(dec("1200")) {
			t.Fatalf("findings of 2024: %+v %v", fs, err)
		}
		f := fs[0].Finding()
		if f.Kind != evaluation.FindingOverBudget || f.DepartmentCode != "D1" || f.DistrictCode != "140200" || f.Days != 366 ||
			f.FirstDay != d("2024-01-01") || f.LastDay != d("2024-12-31") || f.Amount.StringFixed(2) != "199.90" {
			t.Errorf("finding %+v", f)
		}
		wide := july[0]
		wide.Year = 2024
		if f := wide.Finding(); f.DepartmentCode != "140221" || f.Amount.StringFixed(2) != "100.25" {
			t.Errorf("a district-wide budget's finding names the district: %+v", f)
		}
		if fs, err := db.BudgetFindings(ctx, metering.YearStart(2025), metering.YearEnd(2025).AddDays(-1)); err != nil || len(fs) != 0 {
			t.Errorf("findings of 2025: %+v %v", fs, err)
		}
	})
}
