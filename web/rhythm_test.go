package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/net/html"

	"cloudbill/billing"
)

// withBudgets loads the test set again with two 2024 budgets: D1 (市本级)
// 1,500.00, which its forecast stays within, and 阳高县 district-wide
// 1,000.00, which R2's memory alone (16 GB × 120 元 a year) exceeds.
func withBudgets(t *testing.T, p *portal) {
	t.Helper()
	ref := portalReference()
	ref.Budgets = []billing.Budget{
		{Year: 2024, DistrictCode: "140200", DepartmentCode: "D1", Amount: dec("1500"), ApprovalRef: "同财预〔2024〕1号"},
		{Year: 2024, DistrictCode: "140221", Amount: dec("1000"), ApprovalRef: "阳财预〔2024〕2号"},
	}
	if _, err := p.App.LoadSet(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
}

// tableRows reads the data-sum tables of a page: per table, per body row,
// its data-v figures.
func tableRows(t *testing.T, page, body string) [][]map[string]decimal.Decimal {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]map[string]decimal.Decimal
	for _, tbl := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "data-sum"); return element("table")(n) && ok }) {
		var rows []map[string]decimal.Decimal
		for _, tb := range find(tbl, element("tbody")) {
			for _, tr := range find(tb, element("tr")) {
				r := map[string]decimal.Decimal{}
				for _, td := range find(tr, func(n *html.Node) bool { _, ok := attr(n, "data-v"); return ok }) {
					k, _ := attr(td, "data-v")
					r[k] = number(t, page, text(td))
				}
				rows = append(rows, r)
			}
		}
		out = append(out, rows)
	}
	return out
}

// TestRhythmPage checks /rhythm/Y against the monthly report's figures
// (app.PeriodData) on each engine: every month's gross, every district's
// period, to-date, estimated net and forecast, every budget's accrued and
// forecast; the totals add up (checkPage); a district sees its own
// district alone. The hand-computed figures: R1 (D1, 市本级) VCPU 4, 360
// until 30 June and 330 from 1 July, a year of 366 days: to 30 June
// 4 × 360 × 182 ÷ 366 = 716.0656 → 716.07, to 31 July + 4 × 330 × 31 ÷
// 366 = 827.8689 → 827.87, so July accrues 111.80; the year-end forecast
// adds 4 × 330 × 153 ÷ 366 = 551.80 → 1,379.67 (the statement line);
// 执行率 827.87 ÷ 1,500 = 55.19 %.
func TestRhythmPage(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		withBudgets(t, p)
		ctx := context.Background()
		for _, month := range []int{7, 12} {
			b, err := p.App.PeriodData(ctx, billing.Month(2024, month))
			if err != nil {
				t.Fatal(err)
			}
			var wantMonths [12]decimal.Decimal
			for _, l := range b.Lines {
				for m := 0; m < month; m++ {
					wantMonths[m] = wantMonths[m].Add(l.Months[m].Gross)
				}
			}
			type dsum struct{ gross, toDate, net, forecast decimal.Decimal }
			wantDistricts := map[string]dsum{}
			for _, r := range b.Rows {
				s := wantDistricts[r.DistrictCode]
				s.gross, s.toDate, s.net, s.forecast = s.gross.Add(r.Gross), s.toDate.Add(r.ToDate), s.net.Add(r.Net), s.forecast.Add(r.Forecast())
				wantDistricts[r.DistrictCode] = s
			}
			for _, role := range []string{"finance", "office", "district"} {
				path := fmt.Sprintf("/rhythm/2024?month=%d", month)
				t.Run(fmt.Sprintf("%s/%d", role, month), func(t *testing.T) {
					c := p.as(t, role)
					resp, body := get(t, c, p.URL+path)
					if resp.StatusCode != 200 {
						t.Fatalf("%s: %s", path, resp.Status)
					}
					checkPage(t, path, body)
					if n := strings.Count(body, "<svg"); n != 2 {
						t.Errorf("%s: %d charts, want 2", path, n)
					}
					tables := tableRows(t, path, body)
					if len(tables) != 4 {
						t.Fatalf("%s: %d tables adding up, want 4", path, len(tables))
					}
					codes := []string{"140200", "140221"}
					if role == "district" {
						codes = codes[:1]
						if strings.Contains(body, "阳高县") || strings.Contains(body, "140221") {
							t.Errorf("%s as a 市本级 account shows 阳高县", path)
						}
					}
					// Months: the district's own months for a district account.
					months := tables[0]
					if len(months) != month {
						t.Fatalf("%s: %d months, want %d", path, len(months), month)
					}
					for m := range months {
						want := decimal.Zero
						for _, l := range b.Lines {
							if role != "district" || l.DistrictCode == "140200" {
								want = want.Add(l.Months[m].Gross)
							}
						}
						if role != "district" && !want.Equal(wantMonths[m]) {
							t.Errorf("month %d: %s, want %s", m+1, want, wantMonths[m])
						}
						if got := months[m]["gross"]; !got.Equal(want) {
							t.Errorf("%s: month %d gross %s, the monthly report's %s", path, m+1, got, want)
						}
					}
					districts := tables[1]
					if len(districts) != len(codes) {
						t.Fatalf("%s: %d districts, want %d", path, len(districts), len(codes))
					}
					for i, c := range codes {
						w, g := wantDistricts[c], districts[i]
						if !g["gross"].Equal(w.gross) || !g["todate"].Equal(w.toDate) || !g["net"].Equal(w.net) || !g["forecast"].Equal(w.forecast) {
							t.Errorf("%s: district %s %v, the monthly report's %+v", path, c, g, w)
						}
					}
					if month == 7 {
						if g := districts[0]; !g["gross"].Equal(dec("111.80")) || !g["todate"].Equal(dec("827.87")) || !g["forecast"].Equal(dec("1379.67")) {
							t.Errorf("%s: 市本级 %v, want 111.80 in July, 827.87 to date, 1,379.67 forecast (by hand)", path, g)
						}
						if !strings.Contains(body, "55.19%") {
							t.Errorf("%s: no execution rate 55.19%% for D1", path)
						}
					}
					budgets := tables[3]
					var want []billing.BudgetRow
					for _, r := range b.Budgets {
						if role != "district" || r.DistrictCode == "140200" {
							want = append(want, r)
						}
					}
					if len(budgets) != len(want) {
						t.Fatalf("%s: %d budgets, want %d", path, len(budgets), len(want))
					}
					for i, r := range want {
						g := budgets[i]
						if !g["budget"].Equal(r.Amount) || !g["accrued"].Equal(r.Accrued) || !g["forecast"].Equal(r.Forecast) || !g["excess"].Equal(r.Excess()) {
							t.Errorf("%s: budget %s/%s %v, the monthly report's %+v", path, r.DistrictCode, r.DepartmentCode, g, r)
						}
					}
					if over := strings.Contains(body, "<strong>超支</strong>"); over != (role != "district") {
						t.Errorf("%s as %s: over-budget flag shown %v", path, role, over)
					}
				})
			}
		}
		// A city account looks at one district alone.
		c := p.as(t, "finance")
		resp, body := get(t, c, p.URL+"/rhythm/2024?month=7&district=140221")
		if resp.StatusCode != 200 {
			t.Fatal(resp.Status)
		}
		checkPage(t, "140221", body)
		if strings.Contains(body, "市大数据局") || !strings.Contains(body, "阳高县") {
			t.Errorf("the 阳高县 page shows another district or not its own")
		}
	})
}
