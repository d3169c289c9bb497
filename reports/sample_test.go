package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

var dec = decimal.RequireFromString

// aggregate fills a statement's department, district and city rows from
// its lines, the way settlement does: department net = gross × the
// provider's coefficient rounded once; districts and city are sums.
func aggregate(st *billing.Statement, districtOf map[string]string) {
	coef := map[string]decimal.Decimal{}
	for _, p := range st.Providers {
		coef[p.ProviderCode] = p.Coefficient
	}
	type key struct{ prov, dept string }
	rows := map[key]*billing.DepartmentRow{}
	for _, l := range st.Lines {
		k := key{l.ProviderCode, l.DepartmentCode}
		r := rows[k]
		if r == nil {
			r = &billing.DepartmentRow{ProviderCode: l.ProviderCode, DistrictCode: districtOf[l.DepartmentCode], DepartmentCode: l.DepartmentCode, Coefficient: coef[l.ProviderCode]}
			rows[k] = r
		}
		r.Gross = r.Gross.Add(l.Gross)
	}
	st.Departments = nil
	dist := map[string]*billing.DistrictRow{}
	for _, r := range rows {
		r.Net = r.Gross.Mul(r.Coefficient).Round(2)
		st.Departments = append(st.Departments, *r)
		d := dist[r.DistrictCode]
		if d == nil {
			d = &billing.DistrictRow{DistrictCode: r.DistrictCode}
			dist[r.DistrictCode] = d
		}
		d.Gross, d.Net = d.Gross.Add(r.Gross), d.Net.Add(r.Net)
	}
	sort.Slice(st.Departments, func(i, j int) bool {
		a, b := st.Departments[i], st.Departments[j]
		if a.DepartmentCode != b.DepartmentCode {
			return a.DepartmentCode < b.DepartmentCode
		}
		return a.ProviderCode < b.ProviderCode
	})
	st.Districts = nil
	st.Gross, st.Net = decimal.Zero, decimal.Zero
	for _, d := range dist {
		st.Districts = append(st.Districts, *d)
		st.Gross, st.Net = st.Gross.Add(d.Gross), st.Net.Add(d.Net)
	}
	sort.Slice(st.Districts, func(i, j int) bool { return st.Districts[i].DistrictCode < st.Districts[j].DistrictCode })
}

// catalogue is a small price list with one mid-year price change.
func catalogue() []billing.PriceVersion {
	mk := func(code, cat, name, unit string, cyc billing.Cycle, p, from, to, ref string) billing.PriceVersion {
		v := billing.PriceVersion{ItemCode: code, Category: cat, Name: name, Unit: unit, Cycle: cyc, Price: dec(p),
			EffectiveFrom: metering.MustDate(from), ApprovalRef: ref}
		if to != "" {
			v.EffectiveTo = metering.NullDate{Date: metering.MustDate(to), Valid: true}
		}
		return v
	}
	return []billing.PriceVersion{
		mk("VCPU", "计算", "云服务器 vCPU", "核", billing.CycleYear, "360", "2023-01-01", "2024-07-01", "同发改价〔2023〕12号"),
		mk("VCPU", "计算", "云服务器 vCPU", "核", billing.CycleYear, "330", "2024-07-01", "", "同发改价〔2024〕31号"),
		mk("MEM", "计算", "云服务器内存", "GB", billing.CycleYear, "120", "2023-01-01", "", "同发改价〔2023〕12号"),
		mk("SSD", "存储", "SSD 云硬盘", "GB", billing.CycleYear, "12", "2023-01-01", "", "同发改价〔2023〕12号"),
		mk("OSS", "存储", "对象存储", "GB", billing.CycleMonth, "0.10", "2023-01-01", "", "同发改价〔2023〕12号"),
		mk("BW", "网络", "互联网带宽", "Mbps", billing.CycleYear, "960", "2023-01-01", "", "同发改价〔2023〕12号"),
		mk("WAF", "安全", "Web 应用防火墙", "域名", billing.CycleYear, "3000", "2023-01-01", "", "同发改价〔2023〕12号"),
		mk("SEC3", "安全", "等保三级安全服务包", "系统", billing.CycleYear, "50000", "2023-01-01", "", "同发改价〔2023〕12号"),
	}
}

// sampleBundle is a small hand-built year: three districts, two providers,
// a price change, long names, and names with characters the font lacks.
func sampleBundle(status billing.StatementStatus) Bundle {
	y := 2024
	names := Names{
		Inventory: metering.Inventory{
			Districts: []metering.District{{Code: "140200", Name: "市本级"}, {Code: "140213", Name: "平城区"}, {Code: "140221", Name: "阳高县"}},
			Departments: []metering.Department{
				{Code: "D001", Name: "大同市大数据应用局", DistrictCode: "140200"},
				{Code: "D002", Name: "大同市人力资源和社会保障局（市社会保险事业管理中心、市就业服务中心合署）", DistrictCode: "140200"},
				{Code: "D101", Name: "平城区行政审批服务管理局", DistrictCode: "140213"},
				{Code: "D201", Name: "阳高县卫生健康和体育局😀", DistrictCode: "140221"},
			},
			Providers: []metering.Provider{{Code: "P1", Name: "中国电信股份有限公司大同分公司"}, {Code: "P2", Name: "中国联合网络通信有限公司大同市分公司"}},
			Systems: []metering.System{
				{ID: "S01", DepartmentCode: "D001", Name: "城市大脑数据中台"},
				{ID: "S02", DepartmentCode: "D002", Name: "社会保险经办业务管理信息系统（含养老、失业、工伤三险统一经办平台）"},
				{ID: "S03", DepartmentCode: "D101", Name: "一网通办政务服务平台"},
				{ID: "S04", DepartmentCode: "D201", Name: "全民健康信息平台䶮"},
			},
		},
		Catalogue: catalogue(),
	}
	type res struct{ id, sys, prov, kind, name string }
	resources := []res{
		{"R001", "S01", "P1", "vm", "数据中台计算节点01"},
		{"R002", "S01", "P1", "disk", "数据中台数据盘"},
		{"R003", "S01", "P2", "bandwidth", "互联网出口"},
		{"R004", "S02", "P1", "vm", "社保经办应用服务器（主）"},
		{"R005", "S02", "P1", "secpack", "等保三级安全服务包"},
		{"R006", "S03", "P2", "vm", "一网通办前端"},
		{"R007", "S03", "P2", "bucket", "材料影像存储"},
		{"R008", "S04", "P1", "vm", "健康平台服务器"},
		{"R009", "S04", "P1", "waf", "门户防火墙"},
	}
	sysDept := map[string]string{}
	for _, s := range names.Systems {
		sysDept[s.ID] = s.DepartmentCode
	}
	districtOf := map[string]string{}
	for _, d := range names.Departments {
		districtOf[d.Code] = d.DistrictCode
	}
	for _, r := range resources {
		names.Resources = append(names.Resources, metering.Resource{ID: r.id, SystemID: r.sys, ProviderCode: r.prov, Kind: metering.Kind(r.kind), Name: r.name})
	}
	h1, h2 := metering.MustDate("2024-01-01"), metering.MustDate("2024-07-01")
	yearRun := func(res, item, ref string, from metering.Date, p string, q string, days int) billing.Run {
		amt := dec(q).Mul(dec(p)).Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(366))
		return billing.Run{ResourceID: res, ItemCode: item, EffectiveFrom: from, Price: dec(p), Cycle: billing.CycleYear,
			ApprovalRef: ref, Quantity: dec(q), Days: days, CycleDays: 366, Amount: amt}
	}
	line := func(res, item string, runs ...billing.Run) billing.Line {
		var r res_
		for _, x := range resources {
			if x.id == res {
				r = res_(x)
			}
		}
		l := billing.Line{ProviderCode: r.prov, DistrictCode: districtOf[sysDept[r.sys]], DepartmentCode: sysDept[r.sys], SystemID: r.sys, ResourceID: res, ItemCode: item, Runs: runs}
		var sum decimal.Decimal
		for _, x := range runs {
			sum = sum.Add(x.Amount)
			l.BillableDays += x.Days
			l.QuantityDays = l.QuantityDays.Add(x.Quantity.Mul(decimal.NewFromInt(int64(x.Days))))
		}
		l.Gross = sum.Round(2)
		return l
	}
	ref23, ref24 := "同发改价〔2023〕12号", "同发改价〔2024〕31号"
	st := &billing.Statement{
		Year: y, Version: 2, Status: status,
		CreatedAt: time.Date(2025, 1, 10, 9, 30, 0, 0, metering.Shanghai),
		SHA256:    "3f5a0c9e8b7d6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877",
		Policy:    evaluation.DefaultPolicy().String(),
		Lines: []billing.Line{
			line("R001", "VCPU", yearRun("R001", "VCPU", ref23, h1, "360", "8", 182), yearRun("R001", "VCPU", ref24, h2, "330", "8", 184)),
			line("R001", "MEM", yearRun("R001", "MEM", ref23, h1, "120", "32", 366)),
			line("R002", "SSD", yearRun("R002", "SSD", ref23, h1, "12", "500", 366)),
			line("R003", "BW", yearRun("R003", "BW", ref23, h1, "960", "100", 200)),
			line("R004", "VCPU", yearRun("R004", "VCPU", ref23, h1, "360", "16", 182), yearRun("R004", "VCPU", ref24, h2, "330", "16", 184)),
			line("R004", "MEM", yearRun("R004", "MEM", ref23, h1, "120", "64", 366)),
			line("R005", "SEC3", yearRun("R005", "SEC3", ref23, h1, "50000", "1", 366)),
			line("R006", "VCPU", yearRun("R006", "VCPU", ref23, h1, "360", "4", 100)),
			line("R007", "SSD", yearRun("R007", "SSD", ref23, h1, "12", "2048.5", 301)),
			line("R008", "VCPU", yearRun("R008", "VCPU", ref23, metering.MustDate("2024-03-15"), "360", "2", 108)),
			line("R009", "WAF", yearRun("R009", "WAF", ref23, h1, "3000", "2", 366)),
		},
		Providers: []billing.ProviderEvaluation{
			{ProviderCode: "P1", Annual: dec("91.2375"), Coefficient: dec("0.98"), Quarters: []billing.QuarterScore{
				{Period: "2024Q1", Score: dec("90.5"), Dimensions: map[string]decimal.Decimal{"response": dec("100"), "quality": dec("88"), "satisfaction": dec("86.5"), "security": dec("90")}, ResponseFromSLA: true},
				{Period: "2024Q2", Score: dec("91.2"), Dimensions: map[string]decimal.Decimal{"response": dec("92"), "quality": dec("90"), "satisfaction": dec("91"), "security": dec("92.5")}},
				{Period: "2024Q3", Score: dec("92.25"), Dimensions: map[string]decimal.Decimal{"response": dec("93"), "quality": dec("91"), "satisfaction": dec("92"), "security": dec("94")}},
				{Period: "2024Q4", Score: dec("91"), Dimensions: map[string]decimal.Decimal{"response": dec("90"), "quality": dec("92"), "satisfaction": dec("90"), "security": dec("91.5")}},
			}},
			{ProviderCode: "P2", Annual: dec("86.3333333333333333"), Coefficient: dec("0.95"), Quarters: []billing.QuarterScore{
				{Period: "2024Q1", Score: dec("85"), Dimensions: map[string]decimal.Decimal{"response": dec("85"), "quality": dec("85"), "satisfaction": dec("85"), "security": dec("85")}},
				{Period: "2024Q2", Score: dec("87"), Dimensions: map[string]decimal.Decimal{"response": dec("87"), "quality": dec("87"), "satisfaction": dec("87"), "security": dec("87")}},
				{Period: "2024Q3", Score: dec("87"), Dimensions: map[string]decimal.Decimal{"response": dec("66.6666666666666667"), "quality": dec("95"), "satisfaction": dec("92"), "security": dec("90")}, ResponseFromSLA: true},
			}},
		},
	}
	if status == billing.StatementStatusIssued {
		st.IssuedAt = time.Date(2025, 1, 20, 15, 0, 0, 0, metering.Shanghai)
	}
	aggregate(st, districtOf)
	d := metering.MustDate
	nd := func(s string) metering.NullDate { return metering.NullDate{Date: d(s), Valid: true} }
	return Bundle{
		Statement: st,
		Names:     names,
		AsOf:      d("2024-12-31"),
		Windows:   WindowsOf(sampleEvents()),
		Calendar:  fixtureCalendar(),
		Obligations: []evaluation.Obligation{
			{ProviderCode: "P1", ResourceID: "R001", Kind: evaluation.ObligationProvision, Started: d("2024-01-02"), Due: d("2024-01-04"), Done: nd("2024-01-03"), Status: evaluation.ObligationOnTime},
			{ProviderCode: "P1", ResourceID: "R008", Kind: evaluation.ObligationProvision, Started: d("2024-02-08"), Due: d("2024-02-18"), Done: nd("2024-02-21"), Status: evaluation.ObligationLate, LateWorkingDays: 3},
			{ProviderCode: "P2", ResourceID: "R006", Kind: evaluation.ObligationChange, Started: d("2024-07-01"), Due: d("2024-07-03"), Done: nd("2024-07-03"), Status: evaluation.ObligationOnTime},
			{ProviderCode: "P2", ResourceID: "R003", Kind: evaluation.ObligationExit, Started: d("2024-07-15"), Due: d("2024-07-17"), Status: evaluation.ObligationOverdue, LateWorkingDays: 118},
			{ProviderCode: "P2", ResourceID: "R007", Kind: evaluation.ObligationProvision, Started: d("2024-08-01"), Due: d("2024-08-05"), Done: nd("2024-08-02"), Status: evaluation.ObligationOnTime},
			{ProviderCode: "P1", ResourceID: "R008", Kind: evaluation.ObligationGoLive, Started: d("2024-03-15"), Due: d("2024-04-28"), Status: evaluation.ObligationOverdue, LateWorkingDays: 165},
		},
		Findings: []evaluation.Finding{
			{Kind: evaluation.FindingIdle, DistrictCode: "140200", DepartmentCode: "D001", SystemID: "S01", ResourceID: "R001", FirstDay: d("2024-03-01"), LastDay: d("2024-04-14"), Days: 45, Amount: dec("512.79"), Action: "rectify"},
			{Kind: evaluation.FindingIdle, DistrictCode: "140213", DepartmentCode: "D101", SystemID: "S03", ResourceID: "R006", FirstDay: d("2024-01-01"), LastDay: d("2024-04-09"), Days: 100, Amount: dec("393.44"), Action: "reclaim"},
			{Kind: evaluation.FindingZombie, DistrictCode: "140213", DepartmentCode: "D101", SystemID: "S03", FirstDay: d("2024-01-01"), LastDay: d("2024-04-09"), Days: 100, Amount: dec("393.44"), Action: "reclaim"},
			{Kind: evaluation.FindingBeyondApproval, DistrictCode: "140200", DepartmentCode: "D002", SystemID: "S02", ResourceID: "R004", ItemCode: "MEM", FirstDay: d("2024-06-01"), LastDay: d("2024-06-30"), Days: 30, Amount: dec("314.75")},
			{Kind: evaluation.FindingGap, DistrictCode: "140221", DepartmentCode: "D201", SystemID: "S04", ResourceID: "R008", ItemCode: "VCPU", FirstDay: d("2024-05-01"), LastDay: d("2024-05-03"), Days: 3, Amount: decimal.Zero},
		},
		Scores: []evaluation.Score{
			{ProviderCode: "P1", Period: "2024Q2", Dimension: "quality", Evaluator: "department", Score: dec("89")},
			{ProviderCode: "P1", Period: "2024Q2", Dimension: "quality", Evaluator: "third_party", Score: dec("91")},
			{ProviderCode: "P2", Period: "2024Q3", Dimension: "quality", Evaluator: "department", Score: dec("95")},
		},
	}
}

// sampleEvents are the sample's lifecycle events: the windows of its
// lines (R003, R006 and R008 released in the year) and an approval change.
func sampleEvents() []metering.Event {
	ev := func(res string, kind metering.EventKind, at, item, q, ref string) metering.Event {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			panic(err)
		}
		e := metering.Event{ResourceID: res, Kind: kind, At: t, Day: metering.DateOf(t), ItemCode: item, Ref: ref}
		if q != "" {
			e.Quantity = dec(q)
		}
		return e
	}
	A, C, R, X := metering.EventApproved, metering.EventConfirmed, metering.EventReleased, metering.EventChanged
	return []metering.Event{
		ev("R001", A, "2023-12-01T10:00:00+08:00", "VCPU", "8", "同信审〔2023〕71号"),
		ev("R001", A, "2023-12-01T10:00:00+08:00", "MEM", "32", "同信审〔2023〕71号"),
		ev("R001", C, "2023-12-08T15:00:00+08:00", "", "", "JFQR-2023-0101"),
		ev("R002", A, "2023-12-01T10:00:00+08:00", "SSD", "500", "同信审〔2023〕71号"),
		ev("R002", C, "2023-12-08T15:00:00+08:00", "", "", "JFQR-2023-0102"),
		ev("R003", A, "2023-11-20T10:00:00+08:00", "BW", "100", "同信审〔2023〕66号"),
		ev("R003", C, "2023-11-25T15:00:00+08:00", "", "", "JFQR-2023-0090"),
		ev("R003", R, "2024-07-19T11:00:00+08:00", "", "", ""),
		ev("R004", A, "2023-10-09T10:00:00+08:00", "VCPU", "16", "同信审〔2023〕52号"),
		ev("R004", A, "2023-10-09T10:00:00+08:00", "MEM", "64", "同信审〔2023〕52号"),
		ev("R004", C, "2023-10-12T15:00:00+08:00", "", "", "JFQR-2023-0077"),
		ev("R004", X, "2024-09-02T16:00:00+08:00", "MEM", "96", "同信审〔2024〕40号"),
		ev("R005", A, "2023-10-09T10:00:00+08:00", "SEC3", "1", "同信审〔2023〕52号"),
		ev("R005", C, "2023-10-12T15:00:00+08:00", "", "", "JFQR-2023-0078"),
		ev("R006", A, "2023-12-20T10:00:00+08:00", "VCPU", "4", "同信审〔2023〕80号"),
		ev("R006", C, "2023-12-22T15:00:00+08:00", "", "", "JFQR-2023-0110"),
		ev("R006", R, "2024-04-10T09:00:00+08:00", "", "", ""),
		ev("R007", A, "2024-03-01T10:00:00+08:00", "SSD", "2048.5", "同信审〔2024〕09号"),
		ev("R007", C, "2024-03-05T16:10:00Z", "", "", "JFQR-2024-0021"), // 00:10 on 6 March in Shanghai
		ev("R008", A, "2024-03-11T10:00:00+08:00", "VCPU", "2", "同信审〔2024〕12号"),
		ev("R008", C, "2024-03-15T15:00:00+08:00", "", "", "JFQR-2024-0030"),
		ev("R008", R, "2024-07-01T09:00:00+08:00", "", "", ""),
		ev("R009", A, "2023-10-09T10:00:00+08:00", "WAF", "2", "同信审〔2023〕52号"),
		ev("R009", C, "2023-10-12T15:00:00+08:00", "", "", "JFQR-2023-0079"),
	}
}

// fixtureCalendar is the Datong working-day calendar of the fixtures
// (fixtures/datong/calendar.csv: the 2023–2026 holiday arrangements).
func fixtureCalendar() []evaluation.CalendarDay {
	data, err := os.ReadFile(filepath.Join("..", "fixtures", "datong", "calendar.csv"))
	if err != nil {
		panic(err)
	}
	var out []evaluation.CalendarDay
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(l, ",")
		if i == 0 || len(f) < 2 {
			continue
		}
		out = append(out, evaluation.CalendarDay{Day: metering.MustDate(f[0]), Kind: evaluation.DayKind(f[1]), Name: f[2]})
	}
	return out
}

// res_ mirrors the sample's resource tuple (a named type for conversion).
type res_ struct{ id, sys, prov, kind, name string }

var _ = fmt.Sprint
