package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

func d(s string) metering.Date     { return metering.MustDate(s) }
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
func at(s string) time.Time        { t, _ := metering.ParseInstant(s); return t }
func ev(r, kind, when, item, q string) metering.Event {
	e := metering.Event{ResourceID: r, Kind: metering.EventKind(kind), At: at(when), ItemCode: item}
	e.Day = metering.DateOf(e.At)
	if q != "" {
		e.Quantity = dec(q)
	}
	return e
}

// settleReference is a small inventory whose every line is computed by hand
// in TestSettleByHand.
func settleReference() *reference.Set {
	until := metering.NullDate{Date: d("2024-07-01"), Valid: true}
	ref := &reference.Set{
		Inventory: metering.Inventory{
			Districts:   []metering.District{{Code: "140200", Name: "市本级"}, {Code: "140221", Name: "阳高县"}},
			Departments: []metering.Department{{Code: "D1", Name: "市大数据局", DistrictCode: "140200"}, {Code: "D2", Name: "阳高县卫健局", DistrictCode: "140221"}},
			Providers:   []metering.Provider{{Code: "ctc", Name: "电信"}, {Code: "cuc", Name: "联通"}},
			Systems:     []metering.System{{ID: "S1", DepartmentCode: "D1", Name: "政务服务网"}, {ID: "S2", DepartmentCode: "D2", Name: "健康档案"}},
		},
		Catalogue: []billing.PriceVersion{
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: dec("360"), EffectiveFrom: d("2023-01-01"), EffectiveTo: until, ApprovalRef: "同财〔2023〕1号"},
			{ItemCode: "VCPU", Category: "计算", Name: "vCPU", Unit: "核·年", Cycle: billing.CycleYear, Price: dec("330"), EffectiveFrom: d("2024-07-01"), ApprovalRef: "同财〔2024〕9号"},
			{ItemCode: "MEM", Category: "计算", Name: "内存", Unit: "GB·年", Cycle: billing.CycleYear, Price: dec("120"), EffectiveFrom: d("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
			{ItemCode: "OBJ", Category: "存储", Name: "对象存储", Unit: "GB·月", Cycle: billing.CycleMonth, Price: dec("0.10"), EffectiveFrom: d("2023-01-01"), ApprovalRef: "同财〔2023〕1号"},
		},
	}
	for _, r := range []struct{ id, sys, prov, kind string }{
		{"R1", "S1", "ctc", "vm"}, {"R2", "S1", "ctc", "vm"}, {"R3", "S1", "ctc", "vm"}, {"R4", "S1", "ctc", "vm"},
		{"R5", "S1", "ctc", "vm"}, {"R6", "S2", "ctc", "bucket"}, {"R7", "S2", "cuc", "vm"}, {"R8", "S2", "cuc", "vm"},
	} {
		ref.Resources = append(ref.Resources, metering.Resource{ID: r.id, SystemID: r.sys, ProviderCode: r.prov, Kind: metering.Kind(r.kind), Name: r.id})
	}
	ref.Events = []metering.Event{
		ev("R1", "approved", "2023-10-30T10:00:00+08:00", "VCPU", "4"),
		ev("R1", "confirmed", "2023-11-01T10:00:00+08:00", "", ""),
		ev("R2", "approved", "2024-06-28T10:00:00+08:00", "MEM", "8"),
		ev("R2", "confirmed", "2024-06-30T17:30:00Z", "", ""), // 2024-07-01 in Shanghai
		ev("R2", "released", "2024-07-10T09:00:00+08:00", "", ""),
		ev("R3", "approved", "2023-12-28T10:00:00+08:00", "VCPU", "2"),
		ev("R3", "confirmed", "2024-01-01T00:00:00+08:00", "", ""),
		ev("R3", "change_approved", "2024-02-27T10:00:00+08:00", "VCPU", "4"),
		ev("R3", "changed", "2024-03-01T10:00:00+08:00", "VCPU", "4"),
		ev("R4", "approved", "2023-12-01T10:00:00+08:00", "MEM", "4"),
		ev("R4", "confirmed", "2024-01-02T10:00:00+08:00", "", ""),
		ev("R5", "confirmed", "2024-01-02T10:00:00+08:00", "", ""), // no approval
		ev("R6", "approved", "2024-01-20T10:00:00+08:00", "OBJ", "1000"),
		ev("R6", "confirmed", "2024-02-01T10:00:00+08:00", "", ""),
		ev("R7", "approved", "2023-06-01T10:00:00+08:00", "MEM", "16"),
		ev("R7", "confirmed", "2023-06-05T10:00:00+08:00", "", ""),
		ev("R8", "approved", "2023-06-01T10:00:00+08:00", "VCPU", "1"),
		ev("R8", "confirmed", "2023-06-05T10:00:00+08:00", "", ""),
	}
	return ref
}

type usageSpan struct {
	resource, item, q string
	from, to          string // inclusive
}

func settleUsage() []usageSpan {
	return []usageSpan{
		{"R1", "VCPU", "4", "2024-01-01", "2024-12-31"},
		{"R2", "MEM", "8", "2024-06-25", "2024-07-12"}, // metered before confirmation and after release
		{"R3", "VCPU", "2", "2024-01-01", "2024-02-29"},
		{"R3", "VCPU", "4", "2024-03-01", "2024-03-31"},
		{"R4", "MEM", "6", "2024-08-01", "2024-08-10"}, // 6 metered, 4 approved
		{"R5", "VCPU", "2", "2024-05-01", "2024-05-05"},
		{"R6", "OBJ", "1000", "2024-02-01", "2024-03-10"},
		{"R7", "MEM", "16", "2023-12-25", "2025-01-05"}, // whole year and beyond
		{"R8", "VCPU", "1", "2024-01-01", "2024-12-31"},
	}
}

func seedSettlement(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.LoadReference(ctx, settleReference()); err != nil {
		t.Fatal(err)
	}
	var rows []metering.Usage
	for _, s := range settleUsage() {
		for day := d(s.from); day <= d(s.to); day++ {
			rows = append(rows, metering.Usage{Day: day, ResourceID: s.resource, ItemCode: s.item, Quantity: dec(s.q)})
		}
	}
	if err := store.InsertUsageForTest(ctx, db, rows); err != nil {
		t.Fatal(err)
	}
}

func settleLines(t *testing.T, db *store.DB, year int) []billing.Line {
	t.Helper()
	ctx := context.Background()
	vs, err := db.PriceVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := db.Placements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := billing.NewSettlement(year, billing.NewCatalogue(vs), pl)
	segs, err := db.YearSegments(ctx, year)
	if err != nil {
		t.Fatal(err)
	}
	tally := billing.NewTally()
	if err := tally.SetSegments(segs); err != nil {
		t.Fatal(err)
	}
	if err := db.UsageMonths(ctx, year, tally.Add); err != nil {
		t.Fatal(err)
	}
	if err := tally.Groups(s.Add); err != nil {
		t.Fatal(err)
	}
	return s.Lines()
}

func TestSettleByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSettlement(t, db)
		got := map[string]billing.Line{}
		for _, l := range settleLines(t, db, 2024) {
			got[l.ResourceID+"/"+l.ItemCode] = l
		}
		want := []struct {
			key        string
			days       int
			qd, gross  string
			arithmetic string
		}{
			{"R1/VCPU", 366, "1464", "1379.67", "leap year, price change: (4×360×182 + 4×330×184) ÷ 366 = 504960 ÷ 366 = 1379.672…; confirmed in 2023"},
			{"R2/MEM", 9, "72", "23.61", "confirmed 2024-06-30T17:30Z = 07-01 Shanghai, released 07-10 (not billed): 8×120×9 ÷ 366 = 23.6065…"},
			{"R3/VCPU", 91, "244", "240.00", "quantity change: (2×360×60 + 4×360×31) ÷ 366 = 87840 ÷ 366 = 240"},
			{"R4/MEM", 10, "40", "13.11", "metered 6 above approved 4: 4×120×10 ÷ 366 = 13.1147…"},
			{"R6/OBJ", 39, "39000", "132.26", "month cycle over February: 1000×0.10×29 ÷ 29 + 1000×0.10×10 ÷ 31 = 100 + 32.258… = 132.258…"},
			{"R7/MEM", 366, "5856", "1920.00", "whole year constant: 16 × 120 = 1920 exactly"},
			{"R8/VCPU", 366, "366", "344.92", "whole year across the price change: (360×182 + 330×184) ÷ 366 = 126240 ÷ 366 = 344.918…"},
		}
		for _, w := range want {
			l, ok := got[w.key]
			if !ok {
				t.Errorf("%s: no line (%s)", w.key, w.arithmetic)
				continue
			}
			if l.BillableDays != w.days || !l.QuantityDays.Equal(dec(w.qd)) || !l.Gross.Equal(dec(w.gross)) {
				t.Errorf("%s: days %d qd %s gross %s; want %d %s %s (%s)", w.key, l.BillableDays, l.QuantityDays, l.Gross, w.days, w.qd, w.gross, w.arithmetic)
			}
		}
		if _, ok := got["R5/VCPU"]; ok {
			t.Error("R5 has no approval: nothing may be billed")
		}
		if len(got) != len(want) {
			t.Errorf("%d lines, want %d", len(got), len(want))
		}
	})
}
