package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

func TestEvaluationCSVs(t *testing.T) {
	d := metering.MustDate
	obs := []evaluation.Obligation{
		{ProviderCode: "P1", ResourceID: "R1", Kind: evaluation.ObligationProvision, Started: d("2024-06-03"), Due: d("2024-06-05"), Done: metering.NullDate{Date: d("2024-06-07"), Valid: true}, Status: evaluation.ObligationLate, LateWorkingDays: 2},
		{ProviderCode: "P1", ResourceID: "R2", Kind: evaluation.ObligationExit, Started: d("2024-12-02"), Due: d("2024-12-04"), Status: evaluation.ObligationOverdue, LateWorkingDays: 19},
	}
	fs := []evaluation.Finding{
		{Kind: evaluation.FindingIdle, DistrictCode: "140213", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", FirstDay: d("2024-01-01"), LastDay: d("2024-01-30"), Days: 30, Amount: decimal.RequireFromString("60"), Action: evaluation.ActionRectify},
		{Kind: evaluation.FindingZombie, DistrictCode: "140213", DepartmentCode: "D1", SystemID: "S2", FirstDay: d("2024-03-01"), LastDay: d("2024-05-29"), Days: 90, Amount: decimal.RequireFromString("1980.5")},
		{Kind: evaluation.FindingBeyondApproval, DepartmentCode: "D1", SystemID: "S3", ResourceID: "R3", ItemCode: "VCPU", FirstDay: d("2024-02-01"), LastDay: d("2024-02-01"), Days: 1, Amount: decimal.RequireFromString("0.984")},
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"sla.csv":      func(b *bytes.Buffer) error { return WriteSLACSV(b, obs) },
		"findings.csv": func(b *bytes.Buffer) error { return WriteFindingsCSV(b, fs) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, b.String())
			}
		})
	}
}
