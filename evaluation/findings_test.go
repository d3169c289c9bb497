package evaluation

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// findingsWorld is a small inventory in 2024 (366 days) with prices that
// make daily rates round: vCPU 366 元/核/年 = 1 元 a core a day until
// 30 June and 732 = 2 元 from 1 July; memory 36.6 元/GB/年 = 0.10 元 a GB
// a day; object storage 0.10 元/GB/月; WAF 3660 元/年 = 10 元 a day.
type findingsWorld struct {
	t      *testing.T
	places []Place
	events []metering.Event
	usage  []UsageRun
	idle   [][3]string // resource, first, last
}

func (w *findingsWorld) resource(sys, id string, kind metering.Kind) {
	w.places = append(w.places, Place{ResourceID: id, SystemID: sys, DepartmentCode: "D1", DistrictCode: "140200", ProviderCode: "P1", Kind: kind})
}

func (w *findingsWorld) event(id string, kind metering.EventKind, at, item, q string) {
	w.t.Helper()
	when, err := metering.ParseInstant(at)
	if err != nil {
		w.t.Fatal(err)
	}
	e := metering.Event{ResourceID: id, Kind: kind, At: when, Day: metering.DateOf(when), ItemCode: item}
	if q != "" {
		e.Quantity = decimal.RequireFromString(q)
	}
	w.events = append(w.events, e)
}

func (w *findingsWorld) use(id, item, q, first, last string) {
	w.usage = append(w.usage, UsageRun{ResourceID: id, ItemCode: item, First: metering.MustDate(first), Last: metering.MustDate(last), Quantity: decimal.RequireFromString(q)})
}

func (w *findingsWorld) catalogue() []billing.PriceVersion {
	d := metering.MustDate
	p := decimal.RequireFromString
	return []billing.PriceVersion{
		{ItemCode: "VCPU", Cycle: billing.CycleYear, Price: p("366"), EffectiveFrom: d("2023-01-01"), EffectiveTo: metering.NullDate{Date: d("2024-07-01"), Valid: true}},
		{ItemCode: "VCPU", Cycle: billing.CycleYear, Price: p("732"), EffectiveFrom: d("2024-07-01")},
		{ItemCode: "MEM", Cycle: billing.CycleYear, Price: p("36.6"), EffectiveFrom: d("2023-01-01")},
		{ItemCode: "OBJ", Cycle: billing.CycleMonth, Price: p("0.10"), EffectiveFrom: d("2023-01-01")},
		{ItemCode: "WAF", Cycle: billing.CycleYear, Price: p("3660"), EffectiveFrom: d("2023-01-01")},
	}
}

// findings runs the detector as of asOf, feeding it the runs in the order
// a store would not guarantee (reversed).
func (w *findingsWorld) findings(asOf string) []string {
	det := NewDetector(w.places, w.events, w.catalogue(), DefaultPolicy(), metering.MustDate(asOf))
	for i := len(w.idle) - 1; i >= 0; i-- {
		r := w.idle[i]
		det.AddIdleRun(r[0], metering.MustDate(r[1]), metering.MustDate(r[2]))
	}
	for i := len(w.usage) - 1; i >= 0; i-- {
		det.AddUsageRun(w.usage[i])
	}
	var out []string
	for _, f := range det.Findings() {
		out = append(out, fmt.Sprintf("%s %s %s %s %s..%s %d %s %s", f.Kind, f.SystemID, f.ResourceID, f.ItemCode, f.FirstDay, f.LastDay, f.Days, f.Amount.StringFixed(2), f.Action))
	}
	return out
}

func newFindingsWorld(t *testing.T) *findingsWorld {
	w := &findingsWorld{t: t}
	approved, confirmed := metering.EventApproved, metering.EventConfirmed
	// vmidle: confirmed at 2024-06-30T17:30:00Z = 2024-07-01 01:30 in
	// Shanghai; idle from 20 June (the testing days before the confirmation
	// count neither as idle nor as findings) to 8 August.
	w.resource("S1", "vmidle", "vm")
	w.event("vmidle", approved, "2024-06-18T10:00:00+08:00", "VCPU", "2")
	w.event("vmidle", confirmed, "2024-06-30T17:30:00Z", "", "")
	w.use("vmidle", "VCPU", "2", "2024-06-20", "2024-12-31")
	w.idle = append(w.idle, [3]string{"vmidle", "2024-06-20", "2024-08-08"})
	// vmprice: idle across the price change of 1 July
	w.resource("S1", "vmprice", "vm")
	w.event("vmprice", approved, "2023-12-01T10:00:00+08:00", "VCPU", "1")
	w.event("vmprice", confirmed, "2023-12-31T16:30:00Z", "", "") // 2024-01-01 00:30 in Shanghai
	w.use("vmprice", "VCPU", "1", "2024-01-01", "2024-06-30")
	w.use("vmprice", "VCPU", "1", "2024-07-01", "2024-12-31") // continues the run above
	w.idle = append(w.idle, [3]string{"vmprice", "2024-06-01", "2024-07-10"})
	// bucket: object storage (a month-cycle item), an empty disk 1 February – 10 March
	w.resource("S1", "bucket", "bucket")
	w.event("bucket", approved, "2023-12-01T10:00:00+08:00", "OBJ", "1000")
	w.event("bucket", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.use("bucket", "OBJ", "1000", "2024-01-01", "2024-12-31")
	w.idle = append(w.idle, [3]string{"bucket", "2024-02-01", "2024-03-10"})
	// vmover: 2 cores approved, 3 metered in March, the change to 4 done on 11 March
	w.resource("S1", "vmover", "vm")
	w.event("vmover", approved, "2023-12-01T10:00:00+08:00", "VCPU", "2")
	w.event("vmover", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.event("vmover", metering.EventChangeApproved, "2024-03-07T10:00:00+08:00", "VCPU", "4")
	w.event("vmover", metering.EventChanged, "2024-03-11T10:00:00+08:00", "VCPU", "4")
	w.use("vmover", "VCPU", "2", "2024-01-01", "2024-02-29")
	w.use("vmover", "VCPU", "3", "2024-03-01", "2024-03-31")
	w.use("vmover", "VCPU", "2", "2024-04-01", "2024-12-31")
	// vmgap: no usage rows 11–20 May
	w.resource("S1", "vmgap", "vm")
	w.event("vmgap", approved, "2023-12-01T10:00:00+08:00", "VCPU", "1")
	w.event("vmgap", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.use("vmgap", "VCPU", "1", "2024-01-01", "2024-05-10")
	w.use("vmgap", "VCPU", "1", "2024-05-21", "2024-12-31")
	// vmnoconf: metered 5 days, never confirmed
	w.resource("S1", "vmnoconf", "vm")
	w.event("vmnoconf", approved, "2024-01-02T10:00:00+08:00", "VCPU", "2")
	w.use("vmnoconf", "VCPU", "2", "2024-01-05", "2024-01-09")
	// vmnoappr: confirmed, metered, never approved
	w.resource("S1", "vmnoappr", "vm")
	w.event("vmnoappr", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.use("vmnoappr", "VCPU", "2", "2024-01-01", "2024-01-05")
	// vmrel: released at 2024-03-31T16:10:00Z = 1 April in Shanghai, metered through 3 April
	w.resource("S1", "vmrel", "vm")
	w.event("vmrel", approved, "2023-12-01T10:00:00+08:00", "VCPU", "2")
	w.event("vmrel", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.event("vmrel", metering.EventExitApproved, "2024-03-28T10:00:00+08:00", "", "")
	w.event("vmrel", metering.EventReleased, "2024-03-31T16:10:00Z", "", "")
	w.use("vmrel", "VCPU", "2", "2024-01-01", "2024-04-03")
	// S2: a VM idle all year and a WAF (a service, never idle, which does
	// not keep its system alive): a zombie
	w.resource("S2", "vmlong", "vm")
	w.event("vmlong", approved, "2023-12-01T10:00:00+08:00", "MEM", "10")
	w.event("vmlong", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.use("vmlong", "MEM", "10", "2024-01-01", "2024-12-31")
	w.idle = append(w.idle, [3]string{"vmlong", "2023-11-01", "2024-12-31"})
	w.resource("S2", "waf2", "waf")
	w.event("waf2", approved, "2023-12-01T10:00:00+08:00", "WAF", "1")
	w.event("waf2", confirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.use("waf2", "WAF", "1", "2024-01-01", "2024-12-31")
	w.idle = append(w.idle, [3]string{"waf2", "2024-01-01", "2024-12-31"}) // ignored: a service is never idle
	return w
}

func TestFindingsByHand(t *testing.T) {
	w := newFindingsWorld(t)
	got := w.findings("2024-12-31")
	want := []string{
		// 1000 GB × 0.10 × 29 ÷ 29 (February) + 1000 × 0.10 × 10 ÷ 31 (March) = 100 + 32.258… = 132.26;
		// 29 + 10 = 39 days < 90: rectify
		"idle S1 bucket  2024-02-01..2024-03-10 39 132.26 rectify",
		// no usage 11–20 May: 10 days, no money
		"gap S1 vmgap VCPU 2024-05-11..2024-05-20 10 0.00 ",
		// clipped to the window, which starts on 1 July (Shanghai): 31 + 8 = 39 days at the
		// July price: 2 cores × 2 元 × 39 = 156
		"idle S1 vmidle  2024-07-01..2024-08-08 39 156.00 rectify",
		// no approval at all: the whole metered quantity, 2 cores × 1 元 × 5 days = 10
		"beyond_approval S1 vmnoappr VCPU 2024-01-01..2024-01-05 5 10.00 ",
		// never confirmed: 2 cores × 1 元 × 5 days = 10
		"unconfirmed S1 vmnoconf VCPU 2024-01-05..2024-01-09 5 10.00 ",
		// 3 metered, 2 approved until the change on 11 March: excess 1 × 1 元 × 10 days = 10;
		// from 11 March 4 are approved: nothing beyond
		"beyond_approval S1 vmover VCPU 2024-03-01..2024-03-10 10 10.00 ",
		// across the price change: 30 June days × 1 元 + 10 July days × 2 元 = 30 + 20 = 50
		"idle S1 vmprice  2024-06-01..2024-07-10 40 50.00 rectify",
		// released 1 April: metered 1–3 April, 2 cores × 1 元 × 3 = 6
		"after_release S1 vmrel VCPU 2024-04-01..2024-04-03 3 6.00 ",
		// every billable resource of S2 that can be idle is idle all year (366 days ≥ 90):
		// billed 10 GB × 36.6 × 366 ÷ 366 = 366 plus the WAF 3660 × 366 ÷ 366 = 3660: 4026
		"zombie S2   2024-01-01..2024-12-31 366 4026.00 reclaim",
		// from the confirmation on 1 January: 366 days ≥ 90, reclaim; 10 × 36.6 = 366
		"idle S2 vmlong  2024-01-01..2024-12-31 366 366.00 reclaim",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// As of 30 June the confirmation of vmidle (1 July) is not yet known: its
// metered days are unconfirmed, and every run ends on the as-of date.
func TestFindingsAsOfAnEarlierDay(t *testing.T) {
	w := newFindingsWorld(t)
	got := w.findings("2024-06-30")
	for _, want := range []string{
		// 20–30 June: 11 days × 2 cores × 1 元 = 22
		"unconfirmed S1 vmidle VCPU 2024-06-20..2024-06-30 11 22.00 ",
		// 1–30 June: 30 days × 1 元 = 30, rectify
		"idle S1 vmprice  2024-06-01..2024-06-30 30 30.00 rectify",
		// 1 January – 30 June: 182 days; 10 × 36.6 × 182 ÷ 366 = 182; WAF 3660 × 182 ÷ 366 = 1820
		"zombie S2   2024-01-01..2024-06-30 182 2002.00 reclaim",
		"idle S2 vmlong  2024-01-01..2024-06-30 182 182.00 reclaim",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("missing %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	for _, g := range got {
		if strings.Contains(g, "2024-07") || strings.Contains(g, "..2024-12") {
			t.Errorf("a finding after the as-of date: %s", g)
		}
	}
}

// The detector may be asked again: the same findings.
func TestFindingsTwice(t *testing.T) {
	w := newFindingsWorld(t)
	det := NewDetector(w.places, w.events, w.catalogue(), DefaultPolicy(), metering.MustDate("2024-12-31"))
	for _, u := range w.usage {
		det.AddUsageRun(u)
	}
	det.AddUsageRun(UsageRun{ResourceID: "nobody", ItemCode: "VCPU", First: metering.MustDate("2024-01-01"), Last: metering.MustDate("2024-01-02"), Quantity: decimal.NewFromInt(1)})
	det.AddUsageRun(UsageRun{ResourceID: "vmgap", ItemCode: "VCPU", First: metering.MustDate("2025-01-01"), Last: metering.MustDate("2025-01-02"), Quantity: decimal.NewFromInt(1)})
	a, b := det.Findings(), det.Findings()
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("first %v\nsecond %v", a, b)
	}
}

func TestIdleDay(t *testing.T) {
	p := DefaultPolicy()
	d := decimal.RequireFromString
	const mib = 1 << 20
	for _, c := range []struct {
		name           string
		family         metering.Family
		cpuAvg, cpuMax string
		disk           string
		net            int64
		want           bool
	}{
		{"compute, all three below", metering.FamilyCompute, "4.99", "9.99", "90", 10*mib - 1, true},
		{"compute, average at the threshold", metering.FamilyCompute, "5", "9", "0", 0, false},
		{"compute, a peak at 10 %", metering.FamilyCompute, "1", "10", "0", 0, false},
		{"compute, busy network", metering.FamilyCompute, "1", "2", "0", 10 * mib, false},
		{"storage, disk below 5 %", metering.FamilyStorage, "90", "99", "4.9999", 1 << 40, true},
		{"storage, disk at 5 %", metering.FamilyStorage, "0", "0", "5", 0, false},
		{"network, quiet", metering.FamilyNetwork, "90", "99", "90", 10*mib - 1, true},
		{"network, busy", metering.FamilyNetwork, "0", "0", "0", 10 * mib, false},
		{"service: never idle", metering.FamilyService, "0", "0", "0", 0, false},
	} {
		if got := p.IdleDay(c.family, d(c.cpuAvg), d(c.cpuMax), d(c.disk), c.net); got != c.want {
			t.Errorf("%s: IdleDay = %v, want %v", c.name, got, c.want)
		}
	}
	// the thresholds are the policy's
	q := DefaultPolicy()
	q.IdleCPUAvgBelow, q.IdleDiskUsedBelow, q.IdleNetBytesBelow = d("50"), d("1"), 1
	if !q.IdleDay(metering.FamilyCompute, d("49"), d("9"), d("0"), 0) || q.IdleDay(metering.FamilyStorage, d("0"), d("0"), d("1"), 0) || q.IdleDay(metering.FamilyNetwork, d("0"), d("0"), d("0"), 1) {
		t.Error("IdleDay ignores the policy's thresholds")
	}
}

func TestIdleAction(t *testing.T) {
	p := DefaultPolicy()
	for days, want := range map[int]Action{30: ActionRectify, 89: ActionRectify, 90: ActionReclaim, 366: ActionReclaim} {
		if got := p.IdleAction(days); got != want {
			t.Errorf("IdleAction(%d) = %s, want %s", days, got, want)
		}
	}
	p.ReclaimMinDays = 60
	if p.IdleAction(60) != ActionReclaim || p.IdleAction(59) != ActionRectify {
		t.Error("IdleAction ignores reclaim.min_days")
	}
}

// An approval changed to 0 for April: no usage is due then (no gap), and
// what is metered then is all beyond the approval.
func TestFindingsApprovalOfZero(t *testing.T) {
	w := &findingsWorld{t: t}
	w.resource("S1", "vmzero", "vm")
	w.event("vmzero", metering.EventApproved, "2023-12-01T10:00:00+08:00", "VCPU", "1")
	w.event("vmzero", metering.EventConfirmed, "2024-01-01T09:00:00+08:00", "", "")
	w.event("vmzero", metering.EventChanged, "2024-04-01T09:00:00+08:00", "VCPU", "0")
	w.event("vmzero", metering.EventChanged, "2024-05-01T09:00:00+08:00", "VCPU", "1")
	w.use("vmzero", "VCPU", "1", "2024-01-01", "2024-03-31")
	w.use("vmzero", "VCPU", "1", "2024-04-10", "2024-04-12")
	w.use("vmzero", "VCPU", "1", "2024-05-01", "2024-12-31")
	w.idle = append(w.idle, [3]string{"vmzero", "2024-03-20", "2024-05-31"}) // 73 days; billed only outside April
	got := w.findings("2024-12-31")
	want := []string{
		// 12 March days + 31 May days billed at 1 core × 1 元 = 43 (April: approved 0, nothing billed)
		"idle S1 vmzero  2024-03-20..2024-05-31 73 43.00 rectify",
		// metered 1 with 0 approved: 1 × 1 元 × 3 days = 3
		"beyond_approval S1 vmzero VCPU 2024-04-10..2024-04-12 3 3.00 ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSortFindings(t *testing.T) {
	d := metering.MustDate
	fs := []Finding{
		{Kind: FindingGap, DistrictCode: "140221", DepartmentCode: "D1", SystemID: "S1", ResourceID: "R1", ItemCode: "VCPU", FirstDay: d("2024-01-01")},
		{Kind: FindingIdle, DistrictCode: "140200", DepartmentCode: "D2", SystemID: "S1", ResourceID: "R1", FirstDay: d("2024-01-01")},
		{Kind: FindingGap, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R1", ItemCode: "VCPU", FirstDay: d("2024-03-01")},
		{Kind: FindingGap, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R1", ItemCode: "VCPU", FirstDay: d("2024-02-01")},
		{Kind: FindingBeyondApproval, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R1", ItemCode: "VCPU", FirstDay: d("2024-05-01")},
		{Kind: FindingGap, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R1", ItemCode: "MEM", FirstDay: d("2024-05-01")},
		{Kind: FindingGap, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S2", ResourceID: "R0", ItemCode: "MEM", FirstDay: d("2024-05-01")},
		{Kind: FindingZombie, DistrictCode: "140200", DepartmentCode: "D1", SystemID: "S1", FirstDay: d("2024-05-01")},
	}
	SortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s/%s/%s/%s", f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode, f.Kind, f.FirstDay))
	}
	want := []string{
		"140200/D1/S1///zombie/2024-05-01",
		"140200/D1/S2/R0/MEM/gap/2024-05-01",
		"140200/D1/S2/R1/MEM/gap/2024-05-01",
		"140200/D1/S2/R1/VCPU/beyond_approval/2024-05-01",
		"140200/D1/S2/R1/VCPU/gap/2024-02-01",
		"140200/D1/S2/R1/VCPU/gap/2024-03-01",
		"140200/D2/S1/R1//idle/2024-01-01",
		"140221/D1/S1/R1/VCPU/gap/2024-01-01",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
