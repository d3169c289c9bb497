package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// pages is the text of each page of a PDF (pdftotext -layout, pages split
// at form feeds as pdftotext -f N -l N would print them one by one).
func pages(t *testing.T, pdf []byte) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	ps := strings.Split(string(out), "\f")
	if n := len(ps); n > 0 && strings.TrimSpace(ps[n-1]) == "" {
		ps = ps[:n-1]
	}
	return ps
}

// content is a page's lines without the running header and the footer.
func content(page string) []string {
	var out []string
	for i, l := range strings.Split(page, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", i < 2 && strings.Contains(l, "年度 · 第"), strings.HasPrefix(l, "第 ") && strings.Contains(l, " 页 共 "),
			strings.HasPrefix(l, "结算单指纹 SHA-256："):
			continue
		}
		out = append(out, l)
	}
	return out
}

var (
	sectionRE = regexp.MustCompile(`^[一二三四五六七八九十]+、|^签章$|^逾期事项清单`)
	groupRE   = regexp.MustCompile(`^(部门|信息系统|资源|服务商)：|^(D\d+|1402\d\d) \S+$`)
	headerRE  = regexp.MustCompile(`价格批复文号|考核后金额（元）|建议措施|^区划代码|到期事项|逾期工作日`)
)

func heading(l string) bool { return sectionRE.MatchString(l) || groupRE.MatchString(l) }

// pageStats is what the sweeps saw: evidence that each rule was put to
// work.
type pageStats struct {
	headingMoved int // a page begins with a heading or a fresh group row
	closingMoved int // the amount and signature section begins a page
	docs, pages  int
}

// checkPages applies the rules to every page of a document: no heading,
// group row or table header is the last thing on a page; the signature
// and seal blocks are on one page with their heading and the amount
// payable (in 大写), and the heading is not the last line.
func checkPages(t *testing.T, name string, pdf []byte, parties int, st *pageStats) {
	t.Helper()
	ps := pages(t, pdf)
	st.docs++
	st.pages += len(ps)
	sigPage := -1
	for i, p := range ps {
		c := content(p)
		if len(c) == 0 {
			t.Errorf("%s page %d is empty", name, i+1)
			continue
		}
		last := c[len(c)-1]
		if heading(last) || headerRE.MatchString(last) {
			t.Errorf("%s page %d ends with a heading: %q", name, i+1, last)
		}
		for _, l := range c {
			if l == "签章" {
				sigPage = i
			}
		}
		first := ""
		for _, l := range c {
			if headerRE.MatchString(l) || strings.HasSuffix(l, "（续）") || len([]rune(l)) < 5 && !sectionRE.MatchString(l) {
				continue // the repeated table header (and its wrapped titles) and the groups continued
			}
			first = l
			break
		}
		if i > 0 && heading(first) {
			st.headingMoved++
		}
		if i > 0 && len(c) > 0 && c[0] == "五、结算金额" {
			st.closingMoved++
		}
	}
	if parties == 0 {
		return
	}
	if sigPage < 0 {
		t.Fatalf("%s has no signature block", name)
	}
	page := ps[sigPage]
	c := content(page)
	if c[len(c)-1] == "签章" {
		t.Errorf("%s page %d ends with the signature heading", name, sigPage+1)
	}
	if n := strings.Count(page, "负责人："); n != parties {
		t.Errorf("%s page %d holds %d of the %d signature blocks", name, sigPage+1, n, parties)
	}
	if !strings.Contains(page, "人民币（大写）") || !strings.Contains(page, "五、结算金额") {
		t.Errorf("%s page %d: the signature blocks are not with the amount payable:\n%s", name, sigPage+1, page)
	}
}

// sweepBundle is a district (140299) of one department with n resources,
// three to a system, each with a line; every fourth line spans the 1 July
// price change (two runs), every seventh is a month-cycle item billed from
// a confirmation in March (ten runs); provs providers share the resources.
func sweepBundle(n, provs int) Bundle {
	base := sampleBundle(billing.StatementStatusIssued)
	names := Names{Catalogue: catalogue()}
	names.Districts = []metering.District{{Code: "140299", Name: "测试区"}}
	names.Departments = []metering.Department{{Code: "D1", Name: "测试区政务服务和数据管理局", DistrictCode: "140299"}}
	names.Providers = base.Names.Providers[:provs]
	st := &billing.Statement{Year: 2024, Version: 1, Status: billing.StatementStatusIssued,
		CreatedAt: base.Statement.CreatedAt, IssuedAt: base.Statement.CreatedAt, SHA256: base.Statement.SHA256,
		Policy: base.Statement.Policy, Providers: base.Statement.Providers[:provs]}
	windows := map[string]Window{}
	for i := 0; i < n; i++ {
		sys := fmt.Sprintf("S%02d", i/3)
		if i%3 == 0 {
			names.Systems = append(names.Systems, metering.System{ID: sys, DepartmentCode: "D1", Name: fmt.Sprintf("业务系统%d", i/3)})
		}
		id := fmt.Sprintf("R%03d", i)
		prov := names.Providers[i%provs].Code
		names.Resources = append(names.Resources, metering.Resource{ID: id, SystemID: sys, ProviderCode: prov, Kind: "vm", Name: fmt.Sprintf("服务器%03d", i)})
		var runs []billing.Run
		item := "MEM"
		switch {
		case i%7 == 3:
			item = "OSS"
			for m := 3; m <= 12; m++ {
				cd := metering.NewDate(2024, time.Month(m), 1).DaysInMonth()
				d := cd
				if m == 3 {
					d = 17
				}
				runs = append(runs, mkRun(id, item, "2023-01-01", "0.10", "同发改价〔2023〕12号", billing.CycleMonth, "500", d, cd, m))
			}
		case i%4 == 1:
			item = "VCPU"
			runs = append(runs, mkRun(id, item, "2023-01-01", "360", "同发改价〔2023〕12号", billing.CycleYear, "4", 182, 366, 0),
				mkRun(id, item, "2024-07-01", "330", "同发改价〔2024〕31号", billing.CycleYear, "4", 184, 366, 0))
		default:
			runs = append(runs, mkRun(id, item, "2023-01-01", "120", "同发改价〔2023〕12号", billing.CycleYear, "16", 366-i, 366, 0))
		}
		st.Lines = append(st.Lines, lineOf(prov, "140299", "D1", sys, id, item, runs))
		windows[id] = Window{Confirmed: metering.NullDate{Date: metering.MustDate("2024-03-15"), Valid: true}, ConfirmRef: fmt.Sprintf("JFQR-2024-%04d", i),
			Approvals: []Approval{{ItemCode: item, Quantity: runs[0].Quantity, From: metering.MustDate("2024-03-01"), To: billing.OpenEnd}}}
	}
	aggregate(st, map[string]string{"D1": "140299"})
	return Bundle{Statement: st, Names: names, AsOf: metering.MustDate("2024-12-31"), Windows: windows, Calendar: fixtureCalendar()}
}

func mkRun(res, item, from, price, ref string, c billing.Cycle, q string, days, cycleDays, month int) billing.Run {
	r := billing.Run{ResourceID: res, ItemCode: item, EffectiveFrom: metering.MustDate(from), Price: dec(price), Cycle: c,
		ApprovalRef: ref, Quantity: dec(q), Days: days, CycleDays: cycleDays, Month: month}
	var s billing.Sum
	s.AddRun(r.Quantity, r.Price, days, cycleDays)
	r.Amount = s.Exact()
	return r
}

// lineOf is a line with its runs: days and quantity-days summed, the gross
// the runs' exact sum rounded once.
func lineOf(prov, dist, dept, sys, res, item string, runs []billing.Run) billing.Line {
	l := billing.Line{ProviderCode: prov, DistrictCode: dist, DepartmentCode: dept, SystemID: sys, ResourceID: res, ItemCode: item, Runs: runs}
	var s billing.Sum
	for _, r := range runs {
		s.AddRun(r.Quantity, r.Price, r.Days, r.CycleDays)
		l.BillableDays += r.Days
		l.QuantityDays = l.QuantityDays.Add(r.Quantity.Mul(decimal.NewFromInt(int64(r.Days))))
	}
	l.Gross = s.Rounded()
	return l
}

func TestPageBreaksBills(t *testing.T) {
	sweep(t)
	needTool(t, "pdftotext")
	font := needFont(t)
	var st pageStats
	for n := 1; n <= 44; n++ {
		provs := 1 + n%2
		b := sweepBundle(n, provs)
		dir := newDirectory(b.Names)
		scopes := []scope{{district: "140299"}}
		if n%4 == 0 {
			scopes = append(scopes, scope{district: "140299", department: "D1"})
		}
		for _, sc := range scopes {
			pdf, err := renderBill(&b, dir, font, sc)
			if err != nil {
				t.Fatal(err)
			}
			// the IT office (or the department), each provider billed, the finance office
			checkPages(t, fmt.Sprintf("bill %+v with %d lines", sc, n), pdf, 2+min(provs, n), &st)
		}
	}
	if st.headingMoved == 0 || st.closingMoved == 0 {
		t.Errorf("the sweep never forced a heading (%d) or the closing (%d) onto the next page: %+v", st.headingMoved, st.closingMoved, st)
	}
	t.Logf("%+v", st)
}

func TestPageBreaksStatement(t *testing.T) {
	sweep(t)
	needTool(t, "pdftotext")
	font := needFont(t)
	var st pageStats
	for n := 1; n <= 48; n++ {
		b := sampleBundle(billing.StatementStatusIssued)
		for i := 0; i < n; i++ { // more departments, one line each, in 市本级
			code := fmt.Sprintf("D9%02d", i)
			b.Names.Departments = append(b.Names.Departments, metering.Department{Code: code, Name: fmt.Sprintf("大同市第%d委员会办公室", i), DistrictCode: "140200"})
			b.Statement.Lines = append(b.Statement.Lines, lineOf("P1", "140200", code, "S01", "R002", "SSD",
				[]billing.Run{mkRun("R002", "SSD", "2023-01-01", "12", "同发改价〔2023〕12号", billing.CycleYear, "100", 366, 366, 0)}))
		}
		districtOf := map[string]string{}
		for _, d := range b.Names.Departments {
			districtOf[d.Code] = d.DistrictCode
		}
		aggregate(b.Statement, districtOf)
		pdf, err := renderStatement(&b, newDirectory(b.Names), font)
		if err != nil {
			t.Fatal(err)
		}
		checkPages(t, fmt.Sprintf("statement with %d more departments", n), pdf, 4, &st)
	}
	if st.headingMoved == 0 || st.closingMoved == 0 {
		t.Errorf("the sweep never forced a heading (%d) or the closing (%d) onto the next page: %+v", st.headingMoved, st.closingMoved, st)
	}
	t.Logf("%+v", st)
}

func TestPageBreaksIdle(t *testing.T) {
	sweep(t)
	needTool(t, "pdftotext")
	font := needFont(t)
	var st pageStats
	for n := 1; n <= 60; n++ {
		b := sampleBundle(billing.StatementStatusIssued)
		for i := 0; i < n; i++ { // department groups of three findings
			dept := []string{"D001", "D002", "D101", "D201"}[i/3%4]
			dist := map[string]string{"D001": "140200", "D002": "140200", "D101": "140213", "D201": "140221"}[dept]
			b.Findings = append(b.Findings, evaluation.Finding{Kind: evaluation.FindingIdle, DistrictCode: dist, DepartmentCode: dept, SystemID: "S01",
				ResourceID: fmt.Sprintf("R%03d", i), FirstDay: metering.MustDate("2024-05-01"), LastDay: metering.MustDate("2024-06-14"), Days: 45,
				Amount: decimal.NewFromInt(int64(100 + i))})
		}
		pdf, err := renderIdle(&b, newDirectory(b.Names), font)
		if err != nil {
			t.Fatal(err)
		}
		checkPages(t, fmt.Sprintf("idle report with %d more findings", n), pdf, 0, &st)
	}
	if st.headingMoved == 0 {
		t.Errorf("the sweep never forced a heading onto the next page: %+v", st)
	}
	t.Logf("%+v", st)
}

func TestPageBreaksEvaluation(t *testing.T) {
	sweep(t)
	needTool(t, "pdftotext")
	font := needFont(t)
	var st pageStats
	for n := 1; n <= 48; n++ {
		b := sampleBundle(billing.StatementStatusIssued)
		for i := 0; i < n; i++ {
			b.Obligations = append(b.Obligations, evaluation.Obligation{ProviderCode: "P1", ResourceID: fmt.Sprintf("R%03d", i), Kind: evaluation.ObligationProvision,
				Started: metering.MustDate("2024-05-06"), Due: metering.MustDate("2024-05-08"), Done: metering.NullDate{Date: metering.MustDate("2024-05-10"), Valid: true},
				Status: evaluation.ObligationLate, LateWorkingDays: 2})
		}
		pdf, err := renderEvaluation(&b, newDirectory(b.Names), font)
		if err != nil {
			t.Fatal(err)
		}
		checkPages(t, fmt.Sprintf("evaluation with %d more late obligations", n), pdf, 0, &st)
	}
	if st.headingMoved == 0 {
		t.Errorf("the sweep never forced a heading onto the next page: %+v", st)
	}
	t.Logf("%+v", st)
}

// sweep skips a page-break sweep (dozens of documents rendered and read
// back) under -short: make test-sqlite stays quick, make test runs them.
func sweep(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: page-break sweep skipped (make test runs it)")
	}
}
