package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

// Each provider's file holds exactly its rows of settlement-Y.csv, in the
// statement's order, under the same header: together they are the
// statement, line for line.
func TestProviderCSVsSplitTheStatement(t *testing.T) {
	d := decimal.RequireFromString
	lines := []billing.Line{
		{ProviderCode: "cmcc", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", ItemCode: "VCPU", BillableDays: 366, QuantityDays: d("1464"), Gross: d("1379.67")},
		{ProviderCode: "ctc", DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R2", ItemCode: "MEM", BillableDays: 10, QuantityDays: d("80"), Gross: d("12.30")},
		{ProviderCode: "cmcc", DistrictCode: "140221", DepartmentCode: "D2", SystemID: "S2", ResourceID: "R3", ItemCode: "VCPU", BillableDays: 1, QuantityDays: d("2"), Gross: d("0.01")},
	}
	dir := t.TempDir()
	paths, err := writeProviderCSVs(2024, dir, lines)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "provider-2024-cmcc.csv"), filepath.Join(dir, "provider-2024-ctc.csv")}
	if len(paths) != len(want) || paths[0] != want[0] || paths[1] != want[1] {
		t.Fatalf("wrote %q, want %q", paths, want)
	}
	for _, c := range []struct {
		path  string
		lines []billing.Line
	}{{want[0], []billing.Line{lines[0], lines[2]}}, {want[1], []billing.Line{lines[1]}}} {
		var b bytes.Buffer
		if err := billing.WriteSettlementCSV(&b, c.lines); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s:\n%s\nwant\n%s", c.path, got, b.Bytes())
		}
	}
}
