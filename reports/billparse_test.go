package reports

import (
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// printedRun is a run row of a bill as pdftotext -layout prints it.
type printedRun struct {
	from, price, ref, month, qty, days, cycle, amount string
}

// printedLine is a line of a bill read back: its printed gross and runs.
type printedLine struct {
	gross decimal.Decimal
	runs  []printedRun
}

// runRE is the first text line of a run row: version date, unit price,
// approval reference, month (month cycles), billable quantity, days, cycle
// days, exact amount and, on a line's first run, the line's gross.
var runRE = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})\s+([\d,]+\.\d{2,})\s+(.*?)\s+(?:(\d{1,2})月\s+)?(\d[\d,]*(?:\.\d+)?)\s+(\d+)\s+(\d+)\s+(-?[\d,]+\.\d+…?)(?:\s+(-?[\d,]+\.\d\d))?\s*$`)

// readBillLines reads the lines of a bill's detail (section 一) back from
// its text, with the subtotal rows (label and amount) in order.
func readBillLines(t *testing.T, text string) (lines []printedLine, subs []string) {
	t.Helper()
	for _, l := range section(text, "一、费用明细", "二、") {
		if m := runRE.FindStringSubmatch(l); m != nil {
			r := printedRun{m[1], m[2], strings.TrimSpace(m[3]), m[4], m[5], m[6], m[7], m[8]}
			if m[9] != "" {
				lines = append(lines, printedLine{gross: parseMoney(t, m[9])})
			}
			if len(lines) == 0 {
				t.Fatalf("a run before any line: %q", l)
			}
			lines[len(lines)-1].runs = append(lines[len(lines)-1].runs, r)
			continue
		}
		for _, label := range []string{"系统小计", "部门原价小计", "考核后金额", "部门原价合计", "部门考核后合计", "县区原价合计", "县区考核后合计"} {
			if strings.Contains(l, label) && len(amounts(t, l)) > 0 {
				subs = append(subs, l)
				break
			}
		}
	}
	return lines, subs
}

// lastAmount is the last money figure of a text line.
func lastAmount(t *testing.T, l string) decimal.Decimal {
	t.Helper()
	a := amounts(t, l)
	if len(a) == 0 {
		t.Fatalf("no amount in %q", l)
	}
	return a[len(a)-1]
}

// checkBillTotals checks a bill's line detail: system subtotal = Σ its
// lines' gross, department subtotal per provider = Σ its systems,
// department and district totals = Σ the subtotals and nets above them.
// It returns the number of lines read and the district's (or the
// department's) gross and net totals.
func checkBillTotals(t *testing.T, text string) (n int, gross, net decimal.Decimal) {
	t.Helper()
	_, subs := readBillLines(t, text)
	var sys, prov, deptG, deptN, distG, distN decimal.Decimal
	for _, l := range section(text, "一、费用明细", "二、") {
		if m := runRE.FindStringSubmatch(l); m != nil {
			if m[9] != "" {
				sys = sys.Add(parseMoney(t, m[9]))
				n++
			}
			continue
		}
		switch {
		case strings.Contains(l, "系统小计"):
			eq(t, "系统小计", sys, lastAmount(t, l))
			prov, sys = prov.Add(sys), decimal.Zero
		case strings.Contains(l, "部门原价小计"):
			eq(t, "部门原价小计", prov, lastAmount(t, l))
			deptG, prov = deptG.Add(prov), decimal.Zero
		case strings.Contains(l, "考核后金额"):
			deptN = deptN.Add(lastAmount(t, l))
		case strings.Contains(l, "部门原价合计"):
			eq(t, "部门原价合计", deptG, lastAmount(t, l))
			gross = lastAmount(t, l)
		case strings.Contains(l, "部门考核后合计"):
			eq(t, "部门考核后合计", deptN, lastAmount(t, l))
			net = lastAmount(t, l)
			distG, distN = distG.Add(deptG), distN.Add(deptN)
			deptG, deptN = decimal.Zero, decimal.Zero
		case strings.Contains(l, "县区原价合计"):
			eq(t, "县区原价合计", distG.Add(deptG), lastAmount(t, l))
			gross = lastAmount(t, l)
		case strings.Contains(l, "县区考核后合计"):
			eq(t, "县区考核后合计", distN.Add(deptN), lastAmount(t, l))
			net = lastAmount(t, l)
		}
	}
	if len(subs) == 0 {
		t.Error("no subtotal rows read back")
	}
	return n, gross, net
}

// checkFindingTotals checks the bill's findings table: each kind's
// subtotal is the sum of its rows.
func checkFindingTotals(t *testing.T, text string) int {
	t.Helper()
	sums := map[string]decimal.Decimal{}
	rows := 0
	for _, l := range section(text, "三、资源使用评估发现", "四、") {
		s := strings.TrimSpace(l)
		a := amounts(t, l)
		if len(a) == 0 {
			continue
		}
		for _, k := range []string{"闲置资源", "僵尸系统", "超批复使用"} {
			switch {
			case strings.HasPrefix(s, k+"金额小计"):
				eq(t, k+"金额小计", sums[k], a[len(a)-1])
			case strings.HasPrefix(s, k):
				sums[k] = sums[k].Add(a[len(a)-1])
				rows++
			}
		}
	}
	return rows
}
