package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// periodBundle is a small July 2024: two departments of two districts,
// one line each (accrued January to July), a budget each (one exceeded),
// an obligation due in July, a finding opened in it.
func periodBundle() *PeriodBundle {
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	p := billing.Month(2024, 7)
	line := func(res, dist, dept string, monthly string) billing.AccrualLine {
		l := billing.AccrualLine{Placement: billing.Placement{ProviderCode: "ctc", DistrictCode: dist, DepartmentCode: dept, SystemID: "S-" + dept},
			ResourceID: res, ItemCode: "VCPU"}
		for m := 0; m < 7; m++ {
			l.Months[m] = billing.MonthFigures{BillableDays: 30, QuantityDays: d("120"), Gross: d(monthly)}
		}
		return l
	}
	lines := []billing.AccrualLine{line("vm-1", "140200", "140200-zfb", "100.00"), line("vm-2", "140213", "140213-jyj", "50.50")}
	remaining := []billing.RemainingLine{{ResourceID: "vm-1", ItemCode: "VCPU", Days: 153, Amount: d("500.00")}, {ResourceID: "vm-2", ItemCode: "VCPU", Days: 153, Amount: d("252.50")}}
	placement := map[string]billing.Placement{"vm-1": lines[0].Placement, "vm-2": lines[1].Placement}
	rows := billing.PeriodRows(p, lines, remaining, placement, map[string]decimal.Decimal{"ctc": d("0.98")})
	budgets := billing.BudgetRows([]billing.Budget{
		{Year: 2024, DistrictCode: "140200", DepartmentCode: "140200-zfb", Amount: d("1000"), ApprovalRef: "同财预〔2024〕1号"},
		{Year: 2024, DistrictCode: "140213", Amount: d("2000"), ApprovalRef: "平财预〔2024〕3号"},
	}, rows)
	return &PeriodBundle{
		Period: p, Lines: lines, Rows: rows, Budgets: budgets,
		Estimates: []CoefficientEstimate{{ProviderCode: "ctc", Period: "2024Q2", Score: d("91.5"), Coefficient: d("0.98")}},
		Obligations: []evaluation.Obligation{{ProviderCode: "ctc", ResourceID: "vm-1", Kind: evaluation.ObligationChange, Started: metering.MustDate("2024-07-08"),
			Due: metering.MustDate("2024-07-10"), Done: metering.NullDate{Date: metering.MustDate("2024-07-12"), Valid: true}, Status: evaluation.ObligationLate, LateWorkingDays: 2}},
		Findings: []evaluation.Finding{{Kind: evaluation.FindingIdle, DistrictCode: "140200", DepartmentCode: "140200-zfb", SystemID: "S-140200-zfb", ResourceID: "vm-1",
			FirstDay: metering.MustDate("2024-07-02"), LastDay: metering.MustDate("2024-08-20"), Days: 50, Amount: d("45.08")}},
		FindingsAsOf: metering.MustDate("2024-08-31"),
		Resources: []ResourceState{{ResourceID: "vm-1", DistrictCode: "140200", DepartmentCode: "140200-zfb", Kind: "vm", Confirmed: metering.MustDate("2023-11-02")},
			{ResourceID: "vm-2", DistrictCode: "140213", DepartmentCode: "140213-jyj", Kind: "vm", Confirmed: metering.MustDate("2024-07-15")}},
		Usage: []ItemUsage{{DistrictCode: "140200", DepartmentCode: "140200-zfb", ItemCode: "VCPU", Approved: d("124"), Metered: d("130"), Billable: d("124")}},
		Names: Names{Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}, {Code: "140213", Name: "平城区"}},
			Departments: []metering.Department{{Code: "140200-zfb", Name: "大同市人民政府办公室", DistrictCode: "140200"}, {Code: "140213-jyj", Name: "平城区教育局", DistrictCode: "140213"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "中国电信股份有限公司大同分公司"}},
			Systems:     []metering.System{{ID: "S-140200-zfb", DepartmentCode: "140200-zfb", Name: "门户网站"}, {ID: "S-140213-jyj", DepartmentCode: "140213-jyj", Name: "教育云"}},
			Resources:   []metering.Resource{{ID: "vm-1", SystemID: "S-140200-zfb", ProviderCode: "ctc", Kind: "vm", Name: "Web"}, {ID: "vm-2", SystemID: "S-140213-jyj", ProviderCode: "ctc", Kind: "vm", Name: "App"}},
		}},
		Policy: evaluation.DefaultPolicy(),
	}
}

// The monthly report renders without overflowing any box, twice the
// same bytes, with its figures: 本月 150.50 = 100.00 + 50.50, to date
// 1,053.50, the estimated net 686.00 + 346.43, the forecast 1,806.00;
// the department budget (1,000 against a forecast of 1,200, 70.00 %
// executed) is exceeded, the district-wide one (353.50 of 2,000: 17.675
// → 17.68 %) is not; metered ÷ approved 130 ÷ 124 → 104.84 %; an
// inconsistent bundle is refused.
func TestPeriodPDF(t *testing.T) {
	needTool(t, "pdftotext")
	font := needFont(t)
	overflows := collectOverflows(t)
	dir := t.TempDir()
	b := periodBundle()
	for _, name := range []string{"a.pdf", "b.pdf"} {
		if err := WritePeriodPDF(filepath.Join(dir, name), b, font); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := os.ReadFile(filepath.Join(dir, "a.pdf"))
	y, _ := os.ReadFile(filepath.Join(dir, "b.pdf"))
	if !bytes.Equal(x, y) {
		t.Error("two renderings differ")
	}
	if o := overflows(); len(o) > 0 {
		t.Errorf("text did not fit: %v", o)
	}
	text := pdfText(t, filepath.Join(dir, "a.pdf"))
	for _, want := range []string{"150.50", "1,053.50", "1,032.43", "1,806.00", "超支", "执行率", "70.00%", "17.68%", "104.84%", "预估", "逾期完成", "2024Q2 季度评分"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if n := strings.Count(text, "超支"); n < 2 { // the flag and the paragraph
		t.Errorf("超支 printed %d times", n)
	}
	bad := periodBundle()
	bad.Rows[0].ToDate = bad.Rows[0].ToDate.Add(decimal.NewFromInt(1))
	if err := WritePeriodPDF(filepath.Join(dir, "bad.pdf"), bad, font); err == nil || !strings.Contains(err.Error(), "not the sums of its lines") {
		t.Errorf("an inconsistent bundle: %v", err)
	}
}

// The budget proposal renders without overflows, the same bytes twice,
// each district on its own section with its total in figures and 大写.
func TestBudgetDocuments(t *testing.T) {
	needTool(t, "pdftotext")
	font := needFont(t)
	overflows := collectOverflows(t)
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	p := periodBundle()
	b := &BudgetBundle{Year: 2025, AsOf: metering.MustDate("2024-12-31"), Names: p.Names, Lines: []BudgetLine{
		{Placement: p.Lines[0].Placement, ResourceID: "vm-1", ItemCode: "VCPU", Category: "compute", Quantity: d("4"), QuantityDays: d("1460"), Days: 365, Amount: d("1320.00")},
		{Placement: p.Lines[1].Placement, ResourceID: "vm-2", ItemCode: "VCPU", Category: "compute", Quantity: d("2"), QuantityDays: d("730"), Days: 365, Amount: d("660.00")},
	}}
	b.Names.Catalogue = []billing.PriceVersion{{ItemCode: "VCPU", Category: "compute", Name: "云服务器vCPU", Unit: "核", Cycle: billing.CycleYear, Price: d("330"), EffectiveFrom: metering.MustDate("2024-07-01")}}
	dir := t.TempDir()
	paths, err := WriteBudgetDocuments(filepath.Join(dir, "budget-2025"), b, font)
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v %v", paths, err)
	}
	first, _ := os.ReadFile(paths[0])
	if _, err := WriteBudgetDocuments(filepath.Join(dir, "budget-2025"), b, font); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(paths[0])
	if !bytes.Equal(first, again) {
		t.Error("two renderings differ")
	}
	if o := overflows(); len(o) > 0 {
		t.Errorf("text did not fit: %v", o)
	}
	text := pdfText(t, paths[0])
	for _, want := range []string{"1,980.00", "140200 市本级：2025 年度", "140213 平城区：2025 年度", "合计 140213", "660.00", "壹仟叁佰贰拾元整", "330.00 元/核/年"} {
		if !strings.Contains(text, want) {
			t.Errorf("the proposal lacks %q", want)
		}
	}
	var csv bytes.Buffer
	if err := WriteBudgetCSV(&csv, b); err != nil {
		t.Fatal(err)
	}
	want := "year,district_code,department_code,category,item_code,resources,quantity,quantity_days,amount\n" +
		"2025,140200,140200-zfb,compute,VCPU,1,4,1460,1320.00\n2025,140213,140213-jyj,compute,VCPU,1,2,730,660.00\n"
	if csv.String() != want {
		t.Errorf("budget-2025.csv:\n%s\nwant:\n%s", csv.String(), want)
	}
}
