package billing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/shopspring/decimal"
)

// The canonical CSV is codes and numbers, written as they are: the bytes
// of docs/rules.md §5, whose SHA-256 is printed on the statement, and a
// negative amount as -1.00, never quoted nor prefixed (SafeCell is for
// free text, which this file does not hold).
func TestSettlementCSVBytes(t *testing.T) {
	line := func(res string, days int, qd, gross string) Line {
		return Line{ProviderCode: "ctc", DistrictCode: "140213", DepartmentCode: "D01", SystemID: "S01", ResourceID: res, ItemCode: "VCPU",
			BillableDays: days, QuantityDays: decimal.RequireFromString(qd), Gross: decimal.RequireFromString(gross)}
	}
	var b bytes.Buffer
	if err := WriteSettlementCSV(&b, []Line{line("vm-001", 292, "1168", "1088.52"), line("vm-002", 366, "1464", "1379.67")}); err != nil {
		t.Fatal(err)
	}
	want := "provider_code,district_code,department_code,system_id,resource_id,item_code,billable_days,quantity_days,gross\n" +
		"ctc,140213,D01,S01,vm-001,VCPU,292,1168,1088.52\n" +
		"ctc,140213,D01,S01,vm-002,VCPU,366,1464,1379.67\n"
	if b.String() != want {
		t.Errorf("canonical CSV\n%s\nwant\n%s", b.String(), want)
	}
	if sum := sha256.Sum256(b.Bytes()); hex.EncodeToString(sum[:]) != "3a898c76fe37ebf0f426b76c81494166369d3e86911b3ef912800b65860f214a" {
		t.Errorf("fingerprint %x, want the one of docs/rules.md §5", sum)
	}
	b.Reset()
	if err := WriteSettlementCSV(&b, []Line{line("vm-003", 0, "-2.5", "-1")}); err != nil {
		t.Fatal(err)
	}
	if got := b.String()[bytes.IndexByte(b.Bytes(), '\n')+1:]; got != "ctc,140213,D01,S01,vm-003,VCPU,0,-2.5,-1.00\n" {
		t.Errorf("negative line %q", got)
	}
	b.Reset()
	if err := WriteDepartmentsCSV(&b, []DepartmentRow{{ProviderCode: "ctc", DistrictCode: "140213", DepartmentCode: "D01",
		Gross: decimal.RequireFromString("-18.03"), Coefficient: decimal.RequireFromString("0.98"), Net: decimal.RequireFromString("-17.67")}}); err != nil {
		t.Fatal(err)
	}
	if got := b.String()[bytes.IndexByte(b.Bytes(), '\n')+1:]; got != "ctc,140213,D01,-18.03,0.98,-17.67\n" {
		t.Errorf("department row %q", got)
	}
}
