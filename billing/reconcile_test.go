package billing

import (
	"errors"
	"strings"
	"testing"

	"cloudbill/metering"
)

func reconcileStatement() *Statement {
	return &Statement{Year: 2024, Version: 2, Lines: []Line{
		{ProviderCode: "P1", ResourceID: "R1", ItemCode: "VCPU", BillableDays: 21, QuantityDays: dec("84"), Gross: dec("82.62")},
		{ProviderCode: "P1", ResourceID: "R1", ItemCode: "MEM", BillableDays: 21, QuantityDays: dec("168"), Gross: dec("45.90")},
		{ProviderCode: "P1", ResourceID: "R2", ItemCode: "DISK", BillableDays: 30, QuantityDays: dec("3000"), Gross: dec("12.30")},
		{ProviderCode: "P2", ResourceID: "R9", ItemCode: "VCPU", BillableDays: 10, QuantityDays: dec("20"), Gross: dec("19.67")},
	}}
}

// The provider's file misses R2/DISK, bills R3/VCPU the statement does
// not have, and differs on R1/MEM; R1/VCPU matches (4 = 4.00); P2's line
// is not P1's business.
func TestReconcile(t *testing.T) {
	bill, err := ReadBill("p1.csv", strings.NewReader("resource_id,item_code,billable_days,quantity_days,gross\n"+
		"R1,VCPU,21,84.00,82.62\n"+
		"R1,MEM,20,160,43.72\n"+
		"R3,VCPU,5,10,9.84\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := Reconcile(reconcileStatement(), "P1", bill)
	if r.Matched != 1 || r.MissingInBill != 1 || r.MissingInStatement != 1 || r.Differing != 1 || r.StatementLines != 3 || r.BillLines != 3 || r.Agrees() {
		t.Fatalf("counts: %+v", r)
	}
	// 82.62 + 45.90 + 12.30 = 140.82; 82.62 + 43.72 + 9.84 = 136.18
	if !r.StatementGross.Equal(dec("140.82")) || !r.BillGross.Equal(dec("136.18")) {
		t.Errorf("totals: %s %s", r.StatementGross, r.BillGross)
	}
	var got []string
	for _, l := range r.Lines {
		got = append(got, l.String())
	}
	if strings.Join(got, "; ") != "R1/MEM differs; R2/DISK missing_in_bill; R3/VCPU missing_in_statement" {
		t.Fatalf("lines: %v", got)
	}
	mem := r.Lines[0]
	// 20 − 21 = −1 day; 160 − 168 = −8; 43.72 − 45.90 = −2.18
	want := map[string]string{"billable_days": "-1", "quantity_days": "-8", "gross": "-2.18"}
	if len(mem.Diffs) != 3 {
		t.Fatalf("diffs: %+v", mem.Diffs)
	}
	for _, d := range mem.Diffs {
		if d.Difference.String() != want[d.Field] {
			t.Errorf("%s: %s, want %s", d.Field, d.Difference, want[d.Field])
		}
	}
	if s, b, d := r.Lines[1].Gross(); !s.Equal(dec("12.30")) || !b.IsZero() || !d.Equal(dec("-12.30")) {
		t.Errorf("missing in bill: %s %s %s", s, b, d)
	}
}

// Every bad row is reported as file:line: column: reason, and nothing is
// read.
func TestReadBillProblems(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"missing column", "resource_id,item_code,billable_days,gross\nR1,VCPU,1,1\n", "p.csv:1: quantity_days: missing column"},
		{"unknown column", "resource_id,item_code,billable_days,quantity_days,gross,note\nR1,VCPU,1,1,1,x\n", "p.csv:1: note: unknown column"},
		{"days not a number", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,x,1,1\n", `p.csv:2: billable_days: "x" is not a decimal number`},
		{"days fractional", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,1.5,1,1\n", "p.csv:2: billable_days: 1.5 is not a whole number of days"},
		{"days beyond a year", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,367,1,1\n", "p.csv:2: billable_days: 367 is above 366"},
		{"negative quantity", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,1,-1,1\n", "p.csv:2: quantity_days: -1 is below 0"},
		{"gross below the fen", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,1,1,1.005\n", "p.csv:2: gross: 1.005 is not exact to the fen"},
		{"empty resource", "resource_id,item_code,billable_days,quantity_days,gross\n,VCPU,1,1,1\n", "p.csv:2: resource_id: empty"},
		{"wrong field count", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,1,1\n", "p.csv:2: 4 fields, header has 5"},
		{"repeated line", "resource_id,item_code,billable_days,quantity_days,gross\nR1,VCPU,1,1,1\nR1,VCPU,2,2,2\n", "p.csv:3: item_code: R1/VCPU is already on line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines, err := ReadBill("p.csv", strings.NewReader(c.body))
			if err == nil || lines != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want %q", lines, err, c.want)
			}
			var ps metering.Problems
			if c.name != "missing column" && c.name != "unknown column" && !errors.As(err, &ps) {
				t.Errorf("%T is not metering.Problems", err)
			}
		})
	}
}

// A bill in GB18030 reads like its UTF-8 twin.
func TestReadBillGB18030(t *testing.T) {
	// "资源一" in GB18030: D7CA D4B4 D2BB
	body := "resource_id,item_code,billable_days,quantity_days,gross\n\xd7\xca\xd4\xb4\xd2\xbb,VCPU,1,1,1.00\n"
	lines, err := ReadBill("p.csv", strings.NewReader(body))
	if err != nil || len(lines) != 1 || lines[0].ResourceID != "资源一" {
		t.Fatalf("%+v %v", lines, err)
	}
}
