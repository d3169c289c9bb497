package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/fixtures"
	"cloudbill/reports"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

// The year's rhythm from the command line, on both engines: a generated
// 2024 loaded, ingested and settled; budgets.csv added to the reference
// set; the monthly report of July (twice: byte-identical), August and
// September, the third quarter's, the year's findings with the
// over_budget one, next year's budget proposal and the monthly job. Every
// printed total is the sum of the printed rows under it (read back with
// pdftotext), the CSVs' sums are the PDFs' totals, the quarter is the sum
// of its months.
func TestRhythmCommands(t *testing.T) {
	t.Parallel() // its own database and folders
	if testing.Short() {
		t.Skip("a whole metered year: skipped with -short")
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: run make deps (poppler-utils)")
	}
	if _, err := reports.FindFont(""); err != nil {
		if os.Getenv("CLOUDBILL_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("no CJK font: %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	meterDir := filepath.Join(dir, "metering")
	if code, _, stderr := runMain(t, ctx, "gen", "--out", meterDir, "--from", "2024-01-01", "--to", "2024-12-31", "--layout", "single", "--no-activity"); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, stderr)
	}
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			dsn := storetest.DSN(t, e)
			refDir := filepath.Join(t.TempDir(), "reference") // budgets.csv is added below
			if err := fixtures.WriteDatong(refDir); err != nil {
				t.Fatal(err)
			}
			cb := func(args ...string) (string, string) {
				t.Helper()
				code, stdout, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...)
				if code != 0 {
					t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
				}
				return stdout, stderr
			}
			cb("load", refDir)
			cb("ingest", meterDir)
			cb("findings", "--as-of", "2024-12-31")
			cb("settle", "--year", "2024")

			// Budgets: 30 % of the year's gross for the largest department
			// (its forecast exceeds it), 300 % for the second, and a
			// district-wide budget of 300 % for a third district.
			over, within, wide, overCode := budgets(t, dsn, refDir)
			stdout, _ := cb("load", refDir)
			if !strings.Contains(stdout, "budgets: 3 rows") || !strings.Contains(stdout, "budgets 3") {
				t.Errorf("load with budgets.csv:\n%s", stdout)
			}

			out := filepath.Join(t.TempDir(), "out")
			stdout, stderr := cb("report", "--month", "2024-07", "--out", out)
			pdf, csvPath := filepath.Join(out, "month-2024-07.pdf"), filepath.Join(out, "month-2024-07.csv")
			if !strings.Contains(stdout, pdf) || !strings.Contains(stdout, csvPath) || !strings.Contains(stderr, "1 budget(s) of 2024 forecast to be exceeded") {
				t.Errorf("report --month:\n%s\n%s", stdout, stderr)
			}
			july := checkPeriod(t, pdftotext, pdf, csvPath)
			budgetText := section(t, pdfText(t, pdftotext, pdf), "预算执行情况", "各县区预算与全年预测")
			if !regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(over)+`.*超支\s*$`).MatchString(budgetText) ||
				regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(within)+`.*超支`).MatchString(budgetText) ||
				!strings.Contains(budgetText, "全区（县）统筹预算") || !strings.Contains(budgetText, wide) {
				t.Errorf("budget table: %s over budget, %s within, %s district-wide:\n%s", over, within, wide, budgetText)
			}

			// Reruns give the same bytes.
			again := filepath.Join(t.TempDir(), "again")
			cb("report", "--month", "2024-07", "--out", again)
			for _, name := range []string{"month-2024-07.pdf", "month-2024-07.csv"} {
				if !sameBytes(t, filepath.Join(out, name), filepath.Join(again, name)) {
					t.Errorf("%s differs between two runs", name)
				}
			}

			// The quarter is the sum of its months.
			months := july
			for _, m := range []string{"2024-08", "2024-09"} {
				cb("report", "--month", m, "--out", out)
				months = months.Add(checkPeriod(t, pdftotext, filepath.Join(out, "month-"+m+".pdf"), filepath.Join(out, "month-"+m+".csv")))
			}
			cb("report", "--quarter", "2024Q3", "--out", out)
			qpdf := filepath.Join(out, "quarter-2024Q3.pdf")
			quarter := checkPeriod(t, pdftotext, qpdf, filepath.Join(out, "quarter-2024Q3.csv"))
			if !quarter.Equal(months) {
				t.Errorf("2024Q3 accrues %s, its months %s", quarter, months)
			}
			if text := pdfText(t, pdftotext, qpdf); !strings.Contains(text, "本季度服务商考核") || !strings.Contains(text, "预计年度系数") {
				t.Error("the quarterly report lacks the providers' scores")
			}

			// The over_budget finding is on the year's lists.
			year := filepath.Join(t.TempDir(), "year")
			cb("report", "--year", "2024", "--out", year)
			n := 0
			for _, r := range readCSV(t, filepath.Join(year, "findings-2024.csv")) {
				if r["kind"] == "over_budget" {
					n++
					if r["department_code"] != overCode || r["first_day"] != "2024-01-01" || r["last_day"] != "2024-12-31" || !money(t, r["amount"]).IsPositive() {
						t.Errorf("over_budget finding %v, want department %s", r, over)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d over_budget findings in findings-2024.csv, want 1", n)
			}
			if text := pdfText(t, pdftotext, filepath.Join(year, "idle-2024.pdf")); !strings.Contains(text, "预算超支") {
				t.Error("the findings report does not list the over_budget finding")
			}

			// Next year's budget proposal.
			prop := filepath.Join(t.TempDir(), "budget")
			stdout, _ = cb("budget", "--year", "2025", "--out", prop)
			for _, ext := range []string{".pdf", ".csv", ".xlsx"} {
				if p := filepath.Join(prop, "budget-2025"+ext); !strings.Contains(stdout, p) {
					t.Errorf("budget did not write %s:\n%s", p, stdout)
				}
			}
			checkBudget(t, pdftotext, filepath.Join(prop, "budget-2025.pdf"), filepath.Join(prop, "budget-2025.csv"))
			prop2 := filepath.Join(t.TempDir(), "budget2")
			cb("budget", "--year", "2025", "--out", prop2)
			for _, name := range []string{"budget-2025.pdf", "budget-2025.csv", "budget-2025.xlsx"} {
				if !sameBytes(t, filepath.Join(prop, name), filepath.Join(prop2, name)) {
					t.Errorf("%s differs between two runs", name)
				}
			}

			// The monthly job by hand, recorded in the job history.
			jobOut := filepath.Join(t.TempDir(), "job")
			cb("run", "monthly", "--month", "2024-10", "--out", jobOut)
			if _, err := os.Stat(filepath.Join(jobOut, "month-2024-10.pdf")); err != nil {
				t.Error(err)
			}
			stdout, _ = cb("jobs", "--job", "monthly")
			if !strings.Contains(stdout, "succeeded") || !strings.Contains(stdout, "period=2024-10") {
				t.Errorf("jobs --job monthly:\n%s", stdout)
			}
			for _, args := range [][]string{
				{"report", "--month", "2024-13", "--out", out}, {"report", "--month", "2024-07", "--year", "2024"}, {"report", "--quarter", "2024Q5"},
				{"report", "--month", "2024-07", "--version", "2"}, {"run", "monthly", "--quarter", "2024Q3"}, {"run", "quarterly", "--year", "2024"},
				{"budget"}, {"budget", "--year", "1999"},
			} {
				if code, _, stderr := runMain(t, ctx, append([]string{"--db", dsn}, args...)...); code != 2 {
					t.Errorf("%v: exit %d, want 2 (bad usage)\n%s", args, code, stderr)
				}
			}
		})
	}
}

// budgets writes budgets.csv into refDir from the year's statement and
// returns the names of the department over budget, of the one within it
// and of the district with a district-wide budget, and the code of the
// first.
func budgets(t *testing.T, dsn, refDir string) (over, within, wide, overCode string) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.Statement(context.Background(), 2024, 0)
	if err != nil {
		t.Fatal(err)
	}
	type dept struct {
		code, district string
		gross          decimal.Decimal
	}
	by := map[string]*dept{}
	district := map[string]decimal.Decimal{}
	for _, r := range st.Departments {
		d := by[r.DepartmentCode]
		if d == nil {
			d = &dept{code: r.DepartmentCode, district: r.DistrictCode}
			by[r.DepartmentCode] = d
		}
		d.gross = d.gross.Add(r.Gross)
		district[r.DistrictCode] = district[r.DistrictCode].Add(r.Gross)
	}
	var ds []*dept
	for _, d := range by {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].gross.GreaterThan(ds[j].gross) })
	a, b := ds[0], ds[1]
	for _, d := range ds {
		if d.district != a.district && d.district != b.district {
			wide = d.district
			break
		}
	}
	pct := func(v decimal.Decimal, p int64) string {
		return v.Mul(decimal.NewFromInt(p)).Div(decimal.NewFromInt(100)).StringFixed(2)
	}
	body := "year,district_code,department_code,amount,approval_ref\n" +
		fmt.Sprintf("2024,%s,%s,%s,同财预〔2024〕1号\n", a.district, a.code, pct(a.gross, 30)) +
		fmt.Sprintf("2024,%s,%s,%s,同财预〔2024〕2号\n", b.district, b.code, pct(b.gross, 300)) +
		fmt.Sprintf("2024,%s,,%s,县财预〔2024〕3号\n", wide, pct(district[wide], 300))
	if err := os.WriteFile(filepath.Join(refDir, "budgets.csv"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(refDir, "departments.csv")) {
		names[r["code"]] = r["name"]
	}
	dnames := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(refDir, "districts.csv")) {
		dnames[r["code"]] = r["name"]
	}
	return names[a.code], names[b.code], dnames[wide], a.code
}

var amountRE = regexp.MustCompile(`(-?[\d,]+\.\d\d)(%?)`)

// amounts returns the money figures of a line of pdftotext output, left
// to right (percentages left out).
func amounts(t *testing.T, line string) []decimal.Decimal {
	var out []decimal.Decimal
	for _, m := range amountRE.FindAllStringSubmatch(line, -1) {
		if m[2] == "" {
			out = append(out, money(t, m[1]))
		}
	}
	return out
}

// section returns the text from the heading holding from to the next one
// holding to (or the end).
func section(t *testing.T, text, from, to string) string {
	t.Helper()
	i := strings.Index(text, from)
	if i < 0 {
		t.Fatalf("no section %q", from)
	}
	rest := text[i:]
	if j := strings.Index(rest, to); j > 0 {
		rest = rest[:j]
	}
	return rest
}

// checkTotals checks that in text the data rows (lines with exactly n
// amounts, not subtotals) add up to each subtotal line (holding sub, n'
// amounts) and the subtotals to the total line (holding total): column by
// column, over the columns cols of the data rows and all of the subtotal
// rows'. It returns the total's amounts.
func checkTotals(t *testing.T, what, text, sub, total string, n int, cols []int) []decimal.Decimal {
	t.Helper()
	var rows, subs []decimal.Decimal
	rows = make([]decimal.Decimal, len(cols))
	subs = make([]decimal.Decimal, len(cols))
	var got []decimal.Decimal
	subtotals := 0
	for _, line := range strings.Split(text, "\n") {
		a := amounts(t, line)
		switch {
		case strings.Contains(line, total) && len(a) == len(cols):
			got = a
			for i := range cols {
				if !subs[i].Equal(a[i]) && sub != "" {
					t.Errorf("%s: column %d: subtotals add up to %s, total %s", what, i, subs[i], a[i])
				}
				if sub == "" && !rows[i].Equal(a[i]) {
					t.Errorf("%s: column %d: rows add up to %s, total %s", what, i, rows[i], a[i])
				}
			}
		case sub != "" && strings.Contains(line, sub) && len(a) == len(cols):
			subtotals++
			for i := range cols {
				if !rows[i].Equal(a[i]) {
					t.Errorf("%s: %s column %d: rows add up to %s, subtotal %s", what, strings.TrimSpace(line), i, rows[i], a[i])
				}
				subs[i] = subs[i].Add(a[i])
				rows[i] = decimal.Zero
			}
		case len(a) == n:
			for i, c := range cols {
				rows[i] = rows[i].Add(a[c])
			}
		}
	}
	if got == nil || (sub != "" && subtotals == 0) {
		t.Errorf("%s: no %q total (or no %q subtotal)", what, total, sub)
	}
	return got
}

// checkPeriod checks a monthly or quarterly report and returns the gross
// it accrues.
func checkPeriod(t *testing.T, pdftotext, pdf, csvPath string) decimal.Decimal {
	t.Helper()
	rows := readCSV(t, csvPath)
	gross, toDate := sumColumn(t, rows, "gross", nil), sumColumn(t, rows, "gross_to_date", nil)
	text := pdfText(t, pdftotext, pdf)
	summary := checkTotals(t, pdf+" districts", section(t, text, "各县区汇总", "各县区月度计提"), "", "全市合计", 4, []int{0, 1, 2, 3})
	if len(summary) == 4 && (!summary[0].Equal(gross) || !summary[1].Equal(toDate)) {
		t.Errorf("%s: city %s / %s, Σ CSV gross %s / gross_to_date %s", pdf, summary[0], summary[1], gross, toDate)
	}
	depts := checkTotals(t, pdf+" departments", section(t, text, "各部门计提与预测", "资源情况"), "小计", "全市合计", 5, []int{0, 1, 3, 4})
	if len(depts) == 4 && len(summary) == 4 && !(depts[0].Equal(summary[0]) && depts[1].Equal(summary[1]) && depts[2].Equal(summary[2]) && depts[3].Equal(summary[3])) {
		t.Errorf("%s: department table totals %v, district table %v", pdf, depts, summary)
	}
	if strings.Contains(text, "预算执行情况") && strings.Contains(text, "统筹预算") {
		checkTotals(t, pdf+" budgets", section(t, text, "预算执行情况", "各县区预算与全年预测"), "小计", "全市合计", 4, []int{0, 1, 2, 3})
	}
	return gross
}

// checkBudget checks the budget proposal: the district summary against
// the CSV, each district's section against its CSV rows.
func checkBudget(t *testing.T, pdftotext, pdf, csvPath string) {
	t.Helper()
	rows := readCSV(t, csvPath)
	text := pdfText(t, pdftotext, pdf)
	total := checkTotals(t, "budget districts", section(t, text, "各县区预算建议汇总", "按目录类别汇总"), "", "全市合计", 1, []int{0})
	if all := sumColumn(t, rows, "amount", nil); len(total) != 1 || !total[0].Equal(all) {
		t.Errorf("budget proposal: city %v, Σ CSV %s", total, all)
	}
	checkTotals(t, "budget categories", section(t, text, "按目录类别汇总", "预算建议（报"), "", "全市合计", 1, []int{0})
	districts := map[string]bool{}
	for _, r := range rows {
		districts[r["district_code"]] = true
	}
	for d := range districts {
		want := sumColumn(t, rows, "amount", func(r map[string]string) bool { return r["district_code"] == d })
		i := strings.Index(text, "、"+d+" ")
		if i < 0 {
			t.Errorf("budget proposal: no section for %s", d)
			continue
		}
		sec := text[i:]
		if j := strings.Index(sec, "按目录类别："); j > 0 {
			sec = sec[:j]
		}
		// each line's last amount: the rows', each department's 小计 and
		// the district's 合计
		var rowsSum, subs decimal.Decimal
		var total []decimal.Decimal
		for _, line := range strings.Split(sec, "\n")[1:] {
			a := amounts(t, line)
			if len(a) == 0 {
				continue
			}
			v := a[len(a)-1]
			switch {
			case strings.Contains(line, "小计"):
				if !v.Equal(rowsSum) {
					t.Errorf("budget proposal %s: %s, rows add up to %s", d, strings.TrimSpace(line), rowsSum)
				}
				subs, rowsSum = subs.Add(v), decimal.Zero
			case strings.Contains(line, "合计"):
				total = append(total, v)
			default:
				rowsSum = rowsSum.Add(v)
			}
		}
		if len(total) != 1 || !total[0].Equal(want) || !subs.Equal(want) {
			t.Errorf("budget proposal %s: total %v, Σ department subtotals %s, Σ CSV %s", d, total, subs, want)
		}
	}
}

func sameBytes(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}
