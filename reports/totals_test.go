package reports

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

var moneyRE = regexp.MustCompile(`-?\d{1,3}(?:,\d{3})*\.\d\d\b`)

func parseMoney(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return d
}

// amounts returns the money figures printed on a line.
func amounts(t *testing.T, line string) []decimal.Decimal {
	var out []decimal.Decimal
	for _, m := range moneyRE.FindAllString(line, -1) {
		out = append(out, parseMoney(t, m))
	}
	return out
}

// section returns the lines of text between two headings.
func section(text, from, to string) []string {
	i := strings.Index(text, from)
	if i < 0 {
		return nil
	}
	rest := text[i:]
	if j := strings.Index(rest, to); j >= 0 && to != "" {
		rest = rest[:j]
	}
	return strings.Split(rest, "\n")
}

func eq(t *testing.T, what string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: printed %s, sum of the printed rows %s", what, want, got)
	}
}

// TestPrintedTotals reads the amounts back from the PDF text and checks
// that every printed total is the sum of the printed rows above it, and
// that the city totals are the statement's.
func TestPrintedTotals(t *testing.T) {
	needTool(t, "pdftotext")
	dir, _ := writeSample(t, billing.StatementStatusIssued)
	st := sampleBundle(billing.StatementStatusIssued).Statement
	text := pdfText(t, filepath.Join(dir, "statement-2024.pdf"))

	t.Run("statement districts", func(t *testing.T) {
		var g, n decimal.Decimal
		found := false
		for _, l := range section(text, "一、各县区费用汇总", "二、") {
			a := amounts(t, l)
			if len(a) != 2 {
				continue
			}
			if strings.Contains(l, "全市合计") {
				eq(t, "全市合计 原价", g, a[0])
				eq(t, "全市合计 考核后", n, a[1])
				eq(t, "statement gross", st.Gross, a[0])
				eq(t, "statement net", st.Net, a[1])
				found = true
				continue
			}
			g, n = g.Add(a[0]), n.Add(a[1])
		}
		if !found {
			t.Fatal("no 全市合计 row in the district summary")
		}
	})
	t.Run("statement departments", func(t *testing.T) {
		var g, n, cg, cn decimal.Decimal
		subs := 0
		for _, l := range section(text, "二、各部门费用明细", "三、") {
			a := amounts(t, l)
			if len(a) < 2 {
				continue
			}
			gross, net := a[0], a[len(a)-1]
			switch {
			case strings.Contains(l, "小计"):
				eq(t, "district subtotal gross", g, gross)
				eq(t, "district subtotal net", n, net)
				cg, cn = cg.Add(gross), cn.Add(net)
				g, n = decimal.Zero, decimal.Zero
				subs++
			case strings.Contains(l, "全市合计"):
				eq(t, "city gross", cg, gross)
				eq(t, "city net", cn, net)
			default:
				g, n = g.Add(gross), n.Add(net)
			}
		}
		if subs != len(st.Districts) {
			t.Errorf("%d district subtotals, want %d", subs, len(st.Districts))
		}
	})
	t.Run("statement categories", func(t *testing.T) {
		var g decimal.Decimal
		for _, l := range section(text, "三、按服务目录类别汇总", "四、") {
			a := amounts(t, l)
			if len(a) != 1 {
				continue
			}
			if strings.Contains(l, "合计") {
				eq(t, "category total", g, a[0])
				eq(t, "category total = statement gross", st.Gross, a[0])
				continue
			}
			g = g.Add(a[0])
		}
	})

	findingRows := 0
	for _, r := range st.Districts {
		code := r.DistrictCode
		t.Run("district "+code, func(t *testing.T) {
			text := pdfText(t, filepath.Join(dir, "district-2024-"+code+".pdf"))
			n, g, net := checkBillTotals(t, text)
			eq(t, "县区原价合计 = statement", r.Gross, g)
			eq(t, "县区考核后合计 = statement", r.Net, net)
			want := 0
			for _, l := range st.Lines {
				if l.DistrictCode == code {
					want++
				}
			}
			if n != want {
				t.Errorf("read %d lines back, the statement has %d", n, want)
			}
			findingRows += checkFindingTotals(t, text)
			// the department summary: its total row is the district's
			var sg, sn decimal.Decimal
			for _, l := range section(text, "二、部门汇总", "三、") {
				a := amounts(t, l)
				if len(a) < 2 {
					continue
				}
				if strings.Contains(l, "合计") {
					eq(t, "部门汇总 原价合计", sg, a[0])
					eq(t, "部门汇总 考核后合计", sn, a[len(a)-1])
					eq(t, "部门汇总 = statement", r.Gross, a[0])
					continue
				}
				sg, sn = sg.Add(a[0]), sn.Add(a[len(a)-1])
			}
			eq(t, "应付 = 县区考核后合计", r.Net, payable(t, text))
		})
	}
	if want := 4; findingRows != want { // the sample's idle, zombie and beyond-approval findings
		t.Errorf("read %d finding rows back from the district bills, want %d", findingRows, want)
	}
	depts := map[string][2]decimal.Decimal{}
	for _, r := range st.Departments {
		v := depts[r.DepartmentCode]
		depts[r.DepartmentCode] = [2]decimal.Decimal{v[0].Add(r.Gross), v[1].Add(r.Net)}
	}
	for code, want := range depts {
		t.Run("department "+code, func(t *testing.T) {
			text := pdfText(t, filepath.Join(dir, "department-2024-"+code+".pdf"))
			n, g, net := checkBillTotals(t, text)
			eq(t, "部门原价合计 = statement", want[0], g)
			eq(t, "部门考核后合计 = statement", want[1], net)
			lines := 0
			for _, l := range st.Lines {
				if l.DepartmentCode == code {
					lines++
				}
			}
			if n != lines {
				t.Errorf("read %d lines back, the statement has %d", n, lines)
			}
			checkFindingTotals(t, text)
			eq(t, "应付 = 部门考核后合计", want[1], payable(t, text))
		})
	}

	t.Run("idle", func(t *testing.T) {
		text := pdfText(t, filepath.Join(dir, "idle-2024.pdf"))
		var dept, dist, city, summary decimal.Decimal
		for _, l := range section(text, "一、各县区汇总", "二、") {
			if a := amounts(t, l); len(a) == 2 && strings.Contains(l, "合计") {
				summary = a[0]
			}
		}
		for _, l := range section(text, "三、发现明细", "") {
			a := amounts(t, l)
			switch {
			case len(a) == 0:
			case strings.HasPrefix(strings.TrimSpace(l), "闲置资源"):
				dept = dept.Add(a[0])
			case strings.Contains(l, "部门闲置金额小计"):
				eq(t, "部门闲置金额小计", dept, a[0])
				dist, dept = dist.Add(dept), decimal.Zero
			case strings.Contains(l, "全市闲置金额合计"):
				eq(t, "全市闲置金额合计", city, a[0])
				eq(t, "全市闲置金额合计 = summary", a[0], summary)
			case strings.Contains(l, "闲置金额合计"):
				eq(t, "县区闲置金额合计", dist, a[0])
				city, dist = city.Add(dist), decimal.Zero
			}
		}
		if summary.IsZero() {
			t.Error("no idle total read back from the summary")
		}
	})
}

// payable is the amount payable printed in figures in a bill's closing.
func payable(t *testing.T, text string) decimal.Decimal {
	t.Helper()
	m := regexp.MustCompile(`考核后应付金额（小写）：￥\s*(-?[\d,]+\.\d\d)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no amount payable (考核后应付金额（小写）) printed")
	}
	return parseMoney(t, m[1])
}
