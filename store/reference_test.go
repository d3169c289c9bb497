package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reference"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

func roundTripReference() *reference.Set {
	ref := settleReference()
	ref.Catalogue = append(ref.Catalogue,
		billing.PriceVersion{ItemCode: "BIG", Category: "安全", Name: "大额", Unit: "套·年", Cycle: billing.CycleDay, Price: dec("12345678901234.5678"), EffectiveFrom: d("2024-01-01"), ApprovalRef: "x"},
		billing.PriceVersion{ItemCode: "DIME", Category: "存储", Name: "一角", Unit: "GB·月", Cycle: billing.CycleMonth, Price: dec("0.10"), EffectiveFrom: d("2024-01-01"), ApprovalRef: "y"},
	)
	ref.Events = append(ref.Events,
		ev("R5", "approved", "2024-03-01T23:59:59.5-05:00", "MEM", "0.10"), // 2024-03-02 04:59:59.5 UTC = 12:59 Shanghai
		ev("R5", "applied", "2024-02-29T16:00:00Z", "", ""),                // midnight in Shanghai: 2024-03-01
	)
	ref.Scores = []evaluation.Score{{ProviderCode: "ctc", Period: "2024Q1", Dimension: "quality", Evaluator: "public", Score: dec("85.00")}}
	ref.Calendar = []evaluation.CalendarDay{{Day: d("2024-02-10"), Kind: evaluation.DayHoliday, Name: "春节"}, {Day: d("2024-02-18"), Kind: evaluation.DayWorkday, Name: "春节调休"}}
	return ref
}

func TestReferenceRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := roundTripReference()
		if _, err := db.LoadReference(ctx, in); err != nil {
			t.Fatal(err)
		}
		out, err := db.ReadReference(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq := func(name string, a, b any) {
			t.Helper()
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s differ after round trip:\n in  %v\n out %v", name, a, b)
			}
		}
		eq("districts", len(in.Districts), len(out.Districts))
		eq("departments", len(in.Departments), len(out.Departments))
		eq("systems", len(in.Systems), len(out.Systems))
		eq("resources", len(in.Resources), len(out.Resources))
		prices := map[string]string{}
		for _, v := range out.Catalogue {
			prices[v.ItemCode+" "+v.EffectiveFrom.String()] = v.Price.String() + " " + v.EffectiveTo.String() + " " + string(v.Cycle)
		}
		for _, v := range in.Catalogue {
			want := v.Price.String() + " " + v.EffectiveTo.String() + " " + string(v.Cycle)
			if got := prices[v.ItemCode+" "+v.EffectiveFrom.String()]; got != want {
				t.Errorf("catalogue %s %s: %q, want %q", v.ItemCode, v.EffectiveFrom, got, want)
			}
		}
		for _, v := range out.Catalogue {
			if v.ItemCode == "BIG" && store.Dec(v.Price) != "12345678901234.5678" {
				t.Errorf("big price stored as %s", store.Dec(v.Price))
			}
			if v.ItemCode == "DIME" && store.Dec(v.Price) != "0.10" {
				t.Errorf("0.10 stored as %s", store.Dec(v.Price))
			}
		}
		type evKey struct {
			r, kind, item string
			at            int64
		}
		got := map[evKey]metering.Event{}
		for _, e := range out.Events {
			got[evKey{e.ResourceID, string(e.Kind), e.ItemCode, e.At.UnixNano()}] = e
		}
		for _, e := range in.Events {
			o, ok := got[evKey{e.ResourceID, string(e.Kind), e.ItemCode, e.At.UnixNano()}]
			if !ok {
				t.Errorf("event %s %s at %s lost", e.ResourceID, e.Kind, e.At)
				continue
			}
			if !o.At.Equal(e.At) || o.Day != e.Day || !o.Quantity.Equal(e.Quantity) {
				t.Errorf("event %s %s: at %s day %s q %s; want %s %s %s", e.ResourceID, e.Kind, o.At, o.Day, o.Quantity, e.At, e.Day, e.Quantity)
			}
		}
		for _, e := range out.Events {
			if e.ResourceID == "R5" && e.Kind == "applied" && e.Day.String() != "2024-03-01" {
				t.Errorf("16:00Z is midnight in Shanghai: day %s", e.Day)
			}
			if e.ResourceID == "R2" && e.Kind == "confirmed" && (e.Day.String() != "2024-07-01" || !e.At.Equal(time.Date(2024, 6, 30, 17, 30, 0, 0, time.UTC))) {
				t.Errorf("R2 confirmed: %s %s", e.At, e.Day)
			}
		}
		if len(out.Scores) != 1 || !out.Scores[0].Score.Equal(dec("85")) {
			t.Errorf("scores %+v", out.Scores)
		}
		eq("calendar", in.Calendar, out.Calendar)

		// loading the same set again changes nothing
		counts, err := db.LoadReference(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range counts {
			if n != 0 {
				t.Errorf("reload changed %d rows of %s", n, table)
			}
		}
		// a new price version and one extra event add exactly those
		in.Catalogue = append(in.Catalogue, billing.PriceVersion{ItemCode: "MEM", Category: "计算", Name: "内存", Unit: "GB·年", Cycle: billing.CycleYear, Price: dec("110"), EffectiveFrom: d("2026-01-01"), ApprovalRef: "z"})
		in.Catalogue[2].EffectiveTo = metering.NullDate{Date: d("2026-01-01"), Valid: true}
		in.Events = append(in.Events, ev("R4", "released", "2024-12-01T10:00:00+08:00", "", ""))
		counts, err = db.LoadReference(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if counts["catalogue"] != 2 || counts["events"] != 1 || counts["resources"] != 0 {
			t.Errorf("update counts %v, want catalogue 2 (new + closed), events 1", counts)
		}
	})
}
