package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

func fdate(s string) metering.Date { return metering.MustDate(s) }

func fevent(t *testing.T, res string, kind metering.EventKind, at, item, q string) metering.Event {
	t.Helper()
	ts, err := metering.ParseInstant(at)
	if err != nil {
		t.Fatal(err)
	}
	e := metering.Event{ResourceID: res, Kind: kind, At: ts, Day: metering.DateOf(ts), ItemCode: item}
	if q != "" {
		e.Quantity = decimal.RequireFromString(q)
	}
	return e
}

// findingsWorld is a small inventory in 2023 (365 days) with prices that
// make daily rates round: VCPU 365 元/core/year = 1 元/core/day, SSD
// 36.5 元/GB/year = 0.1 元/GB/day, WAF 3650 元/year = 10 元/day.
type findingsWorld struct {
	ref      reference.Set
	usage    []metering.Usage
	activity []metering.Activity
}

func (w *findingsWorld) resource(t *testing.T, sys, id string, kind metering.Kind, item, qty string, confirmed bool) {
	t.Helper()
	w.ref.Resources = append(w.ref.Resources, metering.Resource{ID: id, SystemID: sys, ProviderCode: "P1", Kind: kind, Name: id})
	w.ref.Events = append(w.ref.Events,
		fevent(t, id, metering.EventApproved, "2022-12-20T10:00:00+08:00", item, qty),
		fevent(t, id, metering.EventProvisioned, "2022-12-21T10:00:00+08:00", "", ""))
	if confirmed {
		// 16:30 UTC on Dec 31 is 00:30 on Jan 1 in Shanghai: billing
		// starts on 2023-01-01, not on 2022-12-31.
		w.ref.Events = append(w.ref.Events, fevent(t, id, metering.EventConfirmed, "2022-12-31T16:30:00Z", "", ""))
	}
}

func (w *findingsWorld) use(id, item, qty, from, to string) {
	for d := fdate(from); d <= fdate(to); d++ {
		w.usage = append(w.usage, metering.Usage{Day: d, ResourceID: id, ItemCode: item, Quantity: decimal.RequireFromString(qty)})
	}
}

func (w *findingsWorld) act(id, from, to, cpuAvg, cpuMax, disk string, net int64) {
	for d := fdate(from); d <= fdate(to); d++ {
		w.activity = append(w.activity, metering.Activity{Day: d, ResourceID: id,
			CPUAvgPct: decimal.RequireFromString(cpuAvg), CPUMaxPct: decimal.RequireFromString(cpuMax),
			MemAvgPct: decimal.RequireFromString("30"), DiskUsedPct: decimal.RequireFromString(disk), NetInBytes: net, NetOutBytes: net})
	}
}

// without drops the activity rows of id in [from, to] (to overwrite them).
func (w *findingsWorld) without(id, from, to string) {
	kept := w.activity[:0]
	for _, a := range w.activity {
		if a.ResourceID == id && a.Day >= fdate(from) && a.Day <= fdate(to) {
			continue
		}
		kept = append(kept, a)
	}
	w.activity = kept
}

const (
	busyCPU, busyMax, busyDisk = "50", "80", "60"
	idleCPU, idleMax, idleDisk = "4.99", "9.5", "4"
)

func newFindingsWorld(t *testing.T) *findingsWorld {
	t.Helper()
	w := &findingsWorld{}
	w.ref.Districts = []metering.District{{Code: "140213", Name: "平城区"}}
	w.ref.Departments = []metering.Department{{Code: "DEP1", Name: "dept", DistrictCode: "140213"}}
	w.ref.Providers = []metering.Provider{{Code: "P1", Name: "provider"}}
	for _, s := range []string{"S1", "S2", "S3", "S4"} {
		w.ref.Systems = append(w.ref.Systems, metering.System{ID: s, DepartmentCode: "DEP1", Name: s})
	}
	w.ref.Catalogue = []billing.PriceVersion{
		{ItemCode: "VCPU", Category: "compute", Name: "vCPU", Unit: "core", Cycle: billing.CycleYear, Price: decimal.RequireFromString("365"), EffectiveFrom: fdate("2020-01-01"), ApprovalRef: "A1"},
		{ItemCode: "SSD", Category: "storage", Name: "SSD", Unit: "GB", Cycle: billing.CycleYear, Price: decimal.RequireFromString("36.5"), EffectiveFrom: fdate("2020-01-01"), ApprovalRef: "A2"},
		{ItemCode: "WAF", Category: "security", Name: "WAF", Unit: "domain", Cycle: billing.CycleYear, Price: decimal.RequireFromString("3650"), EffectiveFrom: fdate("2020-01-01"), ApprovalRef: "A3"},
	}
	const from, to = "2022-12-25", "2023-06-30"
	vm := func(sys, id string) {
		w.resource(t, sys, id, "vm", "VCPU", "2", true)
		w.use(id, "VCPU", "2", from, to)
		w.act(id, from, to, busyCPU, busyMax, busyDisk, 1<<30)
	}
	disk := func(sys, id string) {
		w.resource(t, sys, id, "disk", "SSD", "100", true)
		w.use(id, "SSD", "100", from, to)
		w.act(id, from, to, busyCPU, busyMax, busyDisk, 1<<30)
	}
	idle := func(id, from, to string) {
		w.without(id, from, to)
		w.act(id, from, to, idleCPU, idleMax, idleDisk, 100)
	}
	// idle: 30 days from the confirmation (the idle testing days before
	// it do not count) vs 29 days.
	vm("S1", "vm30")
	idle("vm30", "2022-12-28", "2023-01-30")
	vm("S1", "vm29")
	idle("vm29", "2023-02-01", "2023-03-01")
	// SQLite compares TEXT as strings: "10.5" < "5" there. Not idle.
	vm("S1", "vmstr")
	w.without("vmstr", "2023-02-01", "2023-03-31")
	w.act("vmstr", "2023-02-01", "2023-03-31", "10.5", "12", "1", 0)
	// A hair under / over the threshold where REAL rounding would lie.
	disk("S1", "diskhair")
	w.without("diskhair", "2023-01-01", "2023-02-14")
	w.act("diskhair", "2023-01-01", "2023-01-30", busyCPU, busyMax, "4.99999999999999999999", 1<<30)
	w.act("diskhair", "2023-01-31", "2023-02-14", busyCPU, busyMax, "5.00000000000000000001", 1<<30)
	// zombie: S3 wholly idle 2023-03-01 … 05-29 = 31 + 30 + 29 = 90 days;
	// its WAF (a service, never idle) does not keep it alive.
	vm("S3", "vm3")
	disk("S3", "disk3")
	idle("vm3", "2023-03-01", "2023-05-29")
	idle("disk3", "2023-03-01", "2023-05-29")
	w.resource(t, "S3", "waf3", "waf", "WAF", "1", true)
	w.use("waf3", "WAF", "1", from, to)
	// not a zombie: S4's disk is idle one day less (89 days)
	vm("S4", "vm4")
	disk("S4", "disk4")
	idle("vm4", "2023-03-01", "2023-05-29")
	idle("disk4", "2023-03-02", "2023-05-29")
	// beyond approval: 3 cores metered, 2 approved, changed to 4 on 02-03
	vm("S2", "vmover")
	w.ref.Events = append(w.ref.Events, fevent(t, "vmover", metering.EventChangeApproved, "2023-02-02T09:00:00+08:00", "VCPU", "4"),
		fevent(t, "vmover", metering.EventChanged, "2023-02-03T09:00:00+08:00", "VCPU", "4"))
	w.use("vmover", "VCPU", "3", "2023-02-01", "2023-02-03")
	// gaps: three days inside, and the last ten before the as-of date
	vm("S2", "vmgap")
	var kept []metering.Usage
	for _, u := range w.usage {
		if u.ResourceID == "vmgap" && (u.Day >= fdate("2023-03-10") && u.Day <= fdate("2023-03-12") || u.Day > fdate("2023-06-20")) {
			continue
		}
		kept = append(kept, u)
	}
	w.usage = kept
	// unconfirmed: metered 5 days, never confirmed
	w.resource(t, "S2", "vmnoconf", "vm", "VCPU", "2", false)
	w.use("vmnoconf", "VCPU", "2", "2023-01-05", "2023-01-09")
	// after release: released 04-01 (Shanghai), metered through 04-03
	w.resource(t, "S2", "vmrel", "vm", "VCPU", "2", true)
	w.ref.Events = append(w.ref.Events, fevent(t, "vmrel", metering.EventExitApproved, "2023-03-30T10:00:00+08:00", "", ""),
		fevent(t, "vmrel", metering.EventReleased, "2023-03-31T16:10:00Z", "", ""))
	w.use("vmrel", "VCPU", "2", "2023-01-01", "2023-04-03")
	w.act("vmrel", "2023-01-01", "2023-04-03", busyCPU, busyMax, busyDisk, 1<<30)
	return w
}

func seedFindings(t *testing.T, db *store.DB, w *findingsWorld) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.LoadReference(ctx, &w.ref); err != nil {
		t.Fatal(err)
	}
	// a later row for the same key replaces the earlier one
	last := map[string]int{}
	for i, u := range w.usage {
		last[u.ResourceID+" "+u.ItemCode+" "+u.Day.String()] = i
	}
	var usage []metering.Usage
	for i, u := range w.usage {
		if last[u.ResourceID+" "+u.ItemCode+" "+u.Day.String()] == i {
			usage = append(usage, u)
		}
	}
	if err := store.InsertUsageForTest(ctx, db, usage); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertActivityForTest(ctx, db, w.activity); err != nil {
		t.Fatal(err)
	}
}

func findingLine(f evaluation.Finding) string {
	return fmt.Sprintf("%s %s %s %s %s..%s %d %s %s", f.Kind, f.SystemID, f.ResourceID, f.ItemCode, f.FirstDay, f.LastDay, f.Days, f.Amount.StringFixed(2), f.Action)
}

func TestRefreshFindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedFindings(t, db, newFindingsWorld(t))
		got, err := db.RefreshFindings(ctx, evaluation.DefaultPolicy(), fdate("2023-06-30"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			// 30 days × 2 cores × 1 元
			"idle S1 vm30  2023-01-01..2023-01-30 30 60.00 rectify",
			// 30 days × 100 GB × 0.1 元
			"idle S1 diskhair  2023-01-01..2023-01-30 30 300.00 rectify",
			// vm 2 × 2 days excess 1 core × 1 元 (on 02-03 the change allows 4)
			"beyond_approval S2 vmover VCPU 2023-02-01..2023-02-02 2 2.00 ",
			"gap S2 vmgap VCPU 2023-03-10..2023-03-12 3 0.00 ",
			"gap S2 vmgap VCPU 2023-06-21..2023-06-30 10 0.00 ",
			"unconfirmed S2 vmnoconf VCPU 2023-01-05..2023-01-09 5 10.00 ",
			"after_release S2 vmrel VCPU 2023-04-01..2023-04-03 3 6.00 ",
			// 90 days: vm 2 × 90 = 180, disk 100 × 0.1 × 90 = 900
			"idle S3 vm3  2023-03-01..2023-05-29 90 180.00 reclaim",
			"idle S3 disk3  2023-03-01..2023-05-29 90 900.00 reclaim",
			// + WAF 10 × 90 = 900 → 1980
			"zombie S3   2023-03-01..2023-05-29 90 1980.00 reclaim",
			"idle S4 vm4  2023-03-01..2023-05-29 90 180.00 reclaim",
			"idle S4 disk4  2023-03-02..2023-05-29 89 890.00 rectify",
		}
		gotLines := map[string]bool{}
		for _, f := range got {
			gotLines[findingLine(f)] = true
		}
		for _, w := range want {
			if !gotLines[w] {
				t.Errorf("missing finding %q", w)
			}
			delete(gotLines, w)
		}
		for l := range gotLines {
			t.Errorf("unexpected finding %q", l)
		}
		// stored, and refreshed as a whole
		stored, err := db.Findings(ctx, fdate("2023-01-01"), fdate("2023-12-31"))
		if err != nil || len(stored) != len(got) {
			t.Fatalf("stored %d findings (err %v), want %d", len(stored), err, len(got))
		}
		for i := range got {
			if findingLine(stored[i]) != findingLine(got[i]) || stored[i].DistrictCode != "140213" || stored[i].DepartmentCode != "DEP1" {
				t.Errorf("stored %+v, computed %+v", stored[i], got[i])
			}
		}
		again, err := db.RefreshFindings(ctx, evaluation.DefaultPolicy(), fdate("2023-06-30"))
		if err != nil || len(again) != len(got) {
			t.Fatalf("second refresh: %d findings, err %v", len(again), err)
		}
		stored, _ = db.Findings(ctx, fdate("2023-01-01"), fdate("2023-12-31"))
		if len(stored) != len(got) {
			t.Fatalf("after a second refresh %d stored, want %d", len(stored), len(got))
		}
		if asOf, ok, err := db.FindingsAsOf(ctx); err != nil || !ok || asOf != fdate("2023-06-30") {
			t.Fatalf("as of %s %v %v", asOf, ok, err)
		}
	})
}

func TestRefreshFindingsPolicyThresholds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedFindings(t, db, newFindingsWorld(t))
		p, err := evaluation.ParsePolicy(strings.NewReader("idle.min_days = 29\nzombie.min_days = 89\n"), "test")
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.RefreshFindings(context.Background(), p, fdate("2023-06-30"))
		if err != nil {
			t.Fatal(err)
		}
		var idle29, zombie89 bool
		for _, f := range got {
			idle29 = idle29 || f.Kind == evaluation.FindingIdle && f.ResourceID == "vm29" && f.Days == 29
			zombie89 = zombie89 || f.Kind == evaluation.FindingZombie && f.SystemID == "S4" && f.Days == 89
		}
		if !idle29 || !zombie89 {
			t.Errorf("with thresholds 29/89: idle vm29 %v, zombie S4 %v", idle29, zombie89)
		}
	})
}

// activityCSV renders activity rows as an ingestible file.
func activityCSV(rows []metering.Activity) string {
	var b strings.Builder
	b.WriteString(strings.Join(metering.ActivityColumns, ",") + "\n")
	for _, a := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%d,%d\n", a.Day, a.ResourceID, a.CPUAvgPct, a.CPUMaxPct, a.MemAvgPct, a.DiskUsedPct, a.NetInBytes, a.NetOutBytes)
	}
	return b.String()
}

// The idle summary: built by the first refresh, kept by ingestion of new
// activity rows, made stale by a replaced row and rebuilt; a refresh from
// the kept summary finds what a refresh after a rebuild finds.
func TestIdleSummaryKeptByIngest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingsWorld(t)
		var early, late []metering.Activity
		for _, a := range w.activity {
			if a.Day < fdate("2023-03-15") {
				early = append(early, a)
			} else {
				late = append(late, a)
			}
		}
		w.activity = early
		seedFindings(t, db, w)
		asOf := fdate("2023-06-30")
		refresh := func(what string) []string {
			t.Helper()
			fs, err := db.RefreshFindings(ctx, evaluation.DefaultPolicy(), asOf)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var out []string
			for _, f := range fs {
				out = append(out, findingLine(f))
			}
			return out
		}
		key := func() string {
			t.Helper()
			k, err := store.IdleSummaryKeyForTest(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		refresh("first refresh")
		if key() != evaluation.DefaultPolicy().IdleKey() {
			t.Fatalf("after the first refresh the summary holds %q", key())
		}
		mustIngest(t, db, "late-activity.csv", activityCSV(late))
		if key() == "" {
			t.Fatal("ingesting new activity rows made the idle summary stale: it should keep it")
		}
		kept := refresh("refresh from the kept summary")
		if err := store.InsertActivityForTest(ctx, db, nil); err != nil { // marks it stale
			t.Fatal(err)
		}
		rebuilt := refresh("refresh after a rebuild")
		equalLines(t, "findings from the kept summary", kept, rebuilt)
		if !slices.Contains(kept, "idle S1 vm30  2023-01-01..2023-01-30 30 60.00 rectify") || !slices.Contains(kept, "zombie S3   2023-03-01..2023-05-29 90 1980.00 reclaim") {
			t.Errorf("findings from the kept summary: %q", kept)
		}
		// A busy day replaces an idle one inside vm30's 30-day run.
		busy := metering.Activity{Day: fdate("2023-01-15"), ResourceID: "vm30", CPUAvgPct: decimal.RequireFromString("50"), CPUMaxPct: decimal.RequireFromString("90"),
			MemAvgPct: decimal.RequireFromString("50"), DiskUsedPct: decimal.RequireFromString("50"), NetInBytes: 1 << 30, NetOutBytes: 1 << 30}
		if res := mustIngest(t, db, "busy.csv", activityCSV([]metering.Activity{busy})); res.Replaced != 1 {
			t.Fatalf("busy day: %+v", res)
		}
		if key() != "" {
			t.Fatal("a replaced activity row left the idle summary current")
		}
		after := refresh("refresh after the replaced row")
		for _, l := range after {
			if strings.Contains(l, "vm30") {
				t.Errorf("vm30 is busy on 2023-01-15, yet: %s", l)
			}
		}
		// Other idle thresholds rebuild it too.
		p, err := evaluation.ParsePolicy(strings.NewReader("idle.cpu_avg_below = 0.5\n"), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RefreshFindings(ctx, p, asOf); err != nil {
			t.Fatal(err)
		}
		if key() != p.IdleKey() {
			t.Errorf("after a refresh with other thresholds the summary holds %q", key())
		}
	})
}

// A new database's idle summary is current for the default thresholds, so
// that ingestion keeps it from the first activity file on.
func TestIdleSummaryStartsWithTheDefaultPolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		key, err := store.IdleSummaryKeyForTest(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if want := evaluation.DefaultPolicy().IdleKey(); key != want {
			t.Errorf("a new database's idle summary holds %q, want %q", key, want)
		}
	})
}
