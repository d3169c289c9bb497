package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/app"
	"cloudbill/store"
)

// The demo end to end: a fresh database, the fixtures, a generated year
// through the inbox, settle, issue, every document; the totals of the CSV
// exports equal the totals printed in the PDFs.
func TestDemo(t *testing.T) {
	t.Parallel() // its own database and folders
	if testing.Short() {
		t.Skip("the demo meters a whole year: skipped with -short")
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: run make deps (poppler-utils)")
	}
	out := filepath.Join(t.TempDir(), "demo")
	const year = 2024
	code, stdout, stderr := runMain(t, context.Background(), "demo", "--out", out, "--year", strconv.Itoa(year))
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("demo output:\n%s", stdout)

	districts := csvColumn(t, filepath.Join(out, "reference", "districts.csv"), "code")
	want := []string{"statement-2024.pdf", "idle-2024.pdf", "evaluation-2024.pdf",
		"settlement-2024.csv", "departments-2024.csv", "sla-2024.csv", "findings-2024.csv"}
	for _, d := range districts {
		want = append(want, "district-2024-"+d+".pdf")
	}
	for _, name := range want {
		p := filepath.Join(out, name)
		st, err := os.Stat(p)
		if err != nil || st.Size() == 0 {
			t.Errorf("document %s missing or empty: %v", name, err)
			continue
		}
		if !strings.Contains(stdout, p) {
			t.Errorf("demo did not print the path of %s", p)
		}
	}

	// CSV sums.
	lines := readCSV(t, filepath.Join(out, "settlement-2024.csv"))
	depts := readCSV(t, filepath.Join(out, "departments-2024.csv"))
	lineGross := sumColumn(t, lines, "gross", nil)
	deptGross := sumColumn(t, depts, "gross", nil)
	deptNet := sumColumn(t, depts, "net", nil)
	if !lineGross.Equal(deptGross) {
		t.Errorf("Σ settlement lines %s ≠ Σ departments gross %s", lineGross, deptGross)
	}

	// The city statement: its city row and the payable total.
	city := pdfText(t, pdftotext, filepath.Join(out, "statement-2024.pdf"))
	g, n := totalsRow(t, city, "全市合计")
	if !g.Equal(deptGross) || !n.Equal(deptNet) {
		t.Errorf("statement PDF city total %s / %s, CSV %s / %s", g, n, deptGross, deptNet)
	}
	payable := regexp.MustCompile(`考核后应付总额（小写）：￥\s*([\d,]+\.\d\d)`).FindStringSubmatch(city)
	if payable == nil || !money(t, payable[1]).Equal(deptNet) {
		t.Errorf("statement PDF payable total %v, CSV net %s", payable, deptNet)
	}
	// Each district: its row in the city statement and its own report.
	for _, d := range districts {
		inDistrict := func(r map[string]string) bool { return r["district_code"] == d }
		dg, dn := sumColumn(t, depts, "gross", inDistrict), sumColumn(t, depts, "net", inDistrict)
		if lg := sumColumn(t, lines, "gross", inDistrict); !lg.Equal(dg) {
			t.Errorf("district %s: Σ lines %s ≠ Σ departments %s", d, lg, dg)
		}
		row := regexp.MustCompile(`(?m)^` + d + `\s+\S+\s+([\d,]+\.\d\d)\s+([\d,]+\.\d\d)\s*$`).FindStringSubmatch(city)
		if row == nil || !money(t, row[1]).Equal(dg) || !money(t, row[2]).Equal(dn) {
			t.Errorf("district %s in the statement PDF: %v, CSV %s / %s", d, row, dg, dn)
		}
		text := pdfText(t, pdftotext, filepath.Join(out, "district-2024-"+d+".pdf"))
		pg, pn := totalsRow(t, text, "合计")
		if !pg.Equal(dg) || !pn.Equal(dn) {
			t.Errorf("district %s PDF total %s / %s, CSV %s / %s", d, pg, pn, dg, dn)
		}
	}

	// The summary agrees with the documents, and the demo's nightly run is in
	// the job history.
	if !strings.Contains(stdout, "city total "+deptGross.StringFixed(2)+" 元 gross, "+deptNet.StringFixed(2)+" 元 net") {
		t.Errorf("summary does not print the city totals %s / %s", deptGross.StringFixed(2), deptNet.StringFixed(2))
	}
	findings := readCSV(t, filepath.Join(out, "findings-2024.csv"))
	if !strings.Contains(stdout, strconv.Itoa(len(findings))+" findings") {
		t.Errorf("summary does not print the %d findings of findings-2024.csv", len(findings))
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(out, "cloudbill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.JobRuns(context.Background(), store.JobRunFilter{})
	if err != nil || len(runs) != 1 || runs[0].Job != app.JobNightly || runs[0].Status != store.JobStatusSucceeded || runs[0].Counts[app.CountRowsIngested] == 0 {
		t.Errorf("job history of the demo: %+v %v", runs, err)
	}
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	head := recs[0]
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func csvColumn(t *testing.T, path, col string) []string {
	t.Helper()
	var out []string
	for _, r := range readCSV(t, path) {
		out = append(out, r[col])
	}
	return out
}

func sumColumn(t *testing.T, rows []map[string]string, col string, keep func(map[string]string) bool) decimal.Decimal {
	t.Helper()
	sum := decimal.Zero
	for _, r := range rows {
		if keep != nil && !keep(r) {
			continue
		}
		sum = sum.Add(money(t, r[col]))
	}
	return sum
}

func money(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return d
}

func pdfText(t *testing.T, pdftotext, path string) string {
	t.Helper()
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// totalsRow finds the last line ending in label's two amounts (gross, net).
func totalsRow(t *testing.T, text, label string) (decimal.Decimal, decimal.Decimal) {
	t.Helper()
	rows := regexp.MustCompile(`(?m)`+label+`\s+([\d,]+\.\d\d)\s+([\d,]+\.\d\d)\s*$`).FindAllStringSubmatch(text, -1)
	if len(rows) == 0 {
		t.Errorf("no %q row with two amounts", label)
		return decimal.Zero, decimal.Zero
	}
	last := rows[len(rows)-1]
	return money(t, last[1]), money(t, last[2])
}
