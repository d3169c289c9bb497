package billing

import (
	"io"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

func TestPeriods(t *testing.T) {
	m, err := ParseMonth("2024-07")
	if err != nil || m != Month(2024, 7) || m.Name() != "2024-07" || !m.Valid() {
		t.Fatalf("2024-07: %+v %v", m, err)
	}
	if m.Start() != metering.MustDate("2024-07-01") || m.End() != metering.MustDate("2024-08-01") || m.Last() != metering.MustDate("2024-07-31") {
		t.Errorf("July: %s %s %s", m.Start(), m.End(), m.Last())
	}
	q, err := ParseQuarter("2024Q3")
	if err != nil || q != QuarterPeriod(2024, 3) || q.From != 7 || q.To != 9 || q.Name() != "2024Q3" || !q.Valid() {
		t.Fatalf("2024Q3: %+v %v", q, err)
	}
	if q.Last() != metering.MustDate("2024-09-30") {
		t.Errorf("Q3 ends %s", q.Last())
	}
	if d := Month(2024, 12); d.End() != metering.MustDate("2025-01-01") || d.Last() != metering.MustDate("2024-12-31") {
		t.Errorf("December: %s %s", d.End(), d.Last())
	}
	for _, bad := range []string{"2024-13", "2024-00", "2024-7", "July", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("month %q accepted", bad)
		}
	}
	for _, bad := range []string{"2024Q5", "2024Q0", "2024q3", "2024-Q3"} {
		if _, err := ParseQuarter(bad); err == nil {
			t.Errorf("quarter %q accepted", bad)
		}
	}
	for _, p := range []Period{{Year: 2024, From: 7, To: 8}, {Year: 2024, From: 2, To: 4, Quarter: true}, {Year: 1999, From: 1, To: 1}, {Year: 2024, From: 0, To: 0}} {
		if p.Valid() {
			t.Errorf("%+v valid", p)
		}
	}
	// The jobs' periods: the month and the quarter before the run's day.
	for _, c := range []struct {
		day            string
		month, quarter Period
	}{
		{"2024-08-01", Month(2024, 7), QuarterPeriod(2024, 2)},
		{"2024-10-01", Month(2024, 9), QuarterPeriod(2024, 3)},
		{"2025-01-01", Month(2024, 12), QuarterPeriod(2024, 4)},
		{"2024-03-15", Month(2024, 2), QuarterPeriod(2023, 4)},
	} {
		d := metering.MustDate(c.day)
		if got := MonthBefore(d); got != c.month {
			t.Errorf("month before %s: %s, want %s", c.day, got.Name(), c.month.Name())
		}
		if got := QuarterBefore(d); got != c.quarter {
			t.Errorf("quarter before %s: %s, want %s", c.day, got.Name(), c.quarter.Name())
		}
	}
}

// Two departments of one district, one with two providers: the rows of
// July and of the third quarter, the estimated net rounded once per row,
// a department budget and a district-wide one against them.
func TestPeriodRowsAndBudgets(t *testing.T) {
	d := decimal.RequireFromString
	line := func(provider, dept, resource string, gross ...string) AccrualLine {
		l := AccrualLine{Placement: Placement{ProviderCode: provider, DistrictCode: "140212", DepartmentCode: dept}, ResourceID: resource, ItemCode: "VCPU"}
		for m, g := range gross {
			if g != "0" {
				l.Months[m] = MonthFigures{BillableDays: 30, QuantityDays: d("120"), Gross: d(g)}
			}
		}
		return l
	}
	twelve := func(g string) []string { return strings.Split(strings.Repeat(g+",", 12)[:len(g)*12+11], ",") }
	lines := []AccrualLine{
		line("ctc", "D1", "R1", twelve("111.80")...),
		line("cuc", "D1", "R2", twelve("10.01")...),
		line("ctc", "D2", "R3", "0", "0", "0", "0", "0", "0", "0", "0", "25.00", "25.00", "25.00", "25.00"), // confirmed in September
	}
	placement := map[string]Placement{}
	for _, l := range lines {
		placement[l.ResourceID] = l.Placement
	}
	remaining := []RemainingLine{{ResourceID: "R1", ItemCode: "VCPU", Amount: d("559.00")}, {ResourceID: "R9", Amount: d("1")}} // R9: no placement
	coefficients := map[string]decimal.Decimal{"ctc": d("0.95")}

	july := PeriodRows(Month(2024, 7), lines, remaining, placement, coefficients)
	if len(july) != 2 { // R3 has no day by July: no row
		t.Fatalf("July rows: %+v", july)
	}
	r := july[0]
	if r.ProviderCode != "ctc" || r.DepartmentCode != "D1" || !r.Gross.Equal(d("111.80")) || !r.ToDate.Equal(d("782.60")) ||
		!r.Remaining.Equal(d("559.00")) || !r.Forecast().Equal(d("1341.60")) || !r.HasCoefficient || !r.Net.Equal(d("743.47")) {
		t.Errorf("July ctc D1: %+v (net 782.60 × 0.95 = 743.47)", r)
	}
	if c := july[1]; c.ProviderCode != "cuc" || c.HasCoefficient || !c.Net.IsZero() || !c.ToDate.Equal(d("70.07")) {
		t.Errorf("July cuc D1: %+v", c)
	}

	q3 := PeriodRows(QuarterPeriod(2024, 3), lines, nil, placement, coefficients)
	if len(q3) != 3 || q3[2].DepartmentCode != "D2" || !q3[2].Gross.Equal(d("25.00")) || !q3[0].Gross.Equal(d("335.40")) {
		t.Fatalf("Q3 rows: %+v", q3)
	}

	budgets := []Budget{
		{Year: 2024, DistrictCode: "140212", Amount: d("1000.00")},                       // district-wide: all three rows
		{Year: 2024, DistrictCode: "140212", DepartmentCode: "D1", Amount: d("1200.00")}, // D1 only
		{Year: 2024, DistrictCode: "140212", DepartmentCode: "D3", Amount: d("0")},       // nothing, no rate
	}
	got := BudgetRows(budgets, july)
	if len(got) != 3 || got[0].DepartmentCode != "" || got[1].DepartmentCode != "D1" || got[2].DepartmentCode != "D3" {
		t.Fatalf("budget order: %+v", got)
	}
	wide, d1, d3 := got[0], got[1], got[2]
	if !wide.Accrued.Equal(d("852.67")) || !wide.Forecast.Equal(d("1411.67")) || !wide.Over() || !wide.Excess().Equal(d("411.67")) || !wide.Rate.Equal(d("85.27")) {
		t.Errorf("district-wide: %+v", wide)
	}
	if !d1.Over() || !d1.Excess().Equal(d("211.67")) || !d1.Rate.Equal(d("71.06")) { // 852.67 ÷ 1,200 = 71.0558…%
		t.Errorf("D1: %+v", d1)
	}
	if d3.HasRate || d3.Over() || !d3.Accrued.IsZero() {
		t.Errorf("D3: %+v", d3)
	}
}

func TestParseBudget(t *testing.T) {
	tab, err := metering.NewTable("budgets.csv", strings.NewReader("year,district_code,department_code,amount,approval_ref\n"+
		"2024,140212,,5000.50,同财预〔2024〕3号\n"+
		"1999,140212,D1,-1,\n"))
	if err != nil {
		t.Fatal(err)
	}
	type parsed struct {
		b        Budget
		problems []metering.Problem
	}
	var rows []parsed // each row parsed as read: Next reuses a row's fields
	for {
		r, err := tab.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, problems := ParseBudget(r)
		rows = append(rows, parsed{b, problems})
	}
	b, problems := rows[0].b, rows[0].problems
	if len(problems) > 0 || b.Year != 2024 || b.DistrictCode != "140212" || b.DepartmentCode != "" || !b.Amount.Equal(decimal.RequireFromString("5000.5")) || b.ApprovalRef != "同财预〔2024〕3号" {
		t.Errorf("%+v %v", b, problems)
	}
	problems = rows[1].problems
	cols := map[string]bool{}
	for _, p := range problems {
		cols[p.Column] = true
	}
	if !cols["year"] || !cols["amount"] || !cols["approval_ref"] {
		t.Errorf("problems %v: want year, amount and approval_ref", problems)
	}
}

func TestSuperseded(t *testing.T) {
	for _, c := range []struct {
		v      int
		issued []int
		want   int
	}{{1, []int{3, 1, 2}, 2}, {2, []int{1, 2}, 0}, {1, nil, 0}, {2, []int{5, 4, 1}, 4}} {
		if got := Superseded(c.v, c.issued); got != c.want {
			t.Errorf("Superseded(%d, %v) = %d, want %d", c.v, c.issued, got, c.want)
		}
	}
}
