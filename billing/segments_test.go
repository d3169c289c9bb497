package billing

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

func TestSegments(t *testing.T) {
	day := metering.MustDate
	ev := func(res string, kind metering.EventKind, d, item, q string) metering.Event {
		e := metering.Event{ResourceID: res, Kind: kind, Day: day(d), At: day(d).Start().Add(9 * time.Hour), ItemCode: item}
		if q != "" {
			e.Quantity = decimal.RequireFromString(q)
		}
		return e
	}
	versions := []PriceVersion{
		{ItemCode: "VCPU", Cycle: CycleYear, Price: decimal.NewFromInt(360), EffectiveFrom: day("2023-01-01"), EffectiveTo: metering.NullDate{Date: day("2024-07-01"), Valid: true}},
		{ItemCode: "VCPU", Cycle: CycleYear, Price: decimal.NewFromInt(300), EffectiveFrom: day("2024-07-01")},
		{ItemCode: "BW", Cycle: CycleMonth, Price: decimal.NewFromInt(100), EffectiveFrom: day("2023-01-01")},
	}
	events := []metering.Event{
		// R1: confirmed in 2023, 4 cores, 8 from 2024-03-10, released 2024-10-01
		ev("R1", metering.EventApproved, "2023-05-01", "VCPU", "4"),
		ev("R1", metering.EventConfirmed, "2023-05-20", "", ""),
		ev("R1", metering.EventChanged, "2024-03-10", "VCPU", "8"),
		ev("R1", metering.EventReleased, "2024-10-01", "", ""),
		// R2: month-cycle bandwidth confirmed on 2024-01-15
		ev("R2", metering.EventApproved, "2024-01-10", "BW", "50"),
		ev("R2", metering.EventConfirmed, "2024-01-15", "", ""),
		// R3: never confirmed; R4: an item without a price
		ev("R3", metering.EventApproved, "2024-01-10", "VCPU", "2"),
		ev("R4", metering.EventApproved, "2024-01-10", "GPU", "1"),
		ev("R4", metering.EventConfirmed, "2024-01-10", "", ""),
	}
	var got []string
	for _, s := range Segments(2024, events, versions) {
		got = append(got, fmt.Sprintf("%s %s %s %s..%s m%d", s.ResourceID, s.ItemCode, s.Approved, s.From, s.To, s.Month))
	}
	want := []string{
		"R1 VCPU 4 2024-01-01..2024-03-10 m0", // the year starts inside the first approval
		"R1 VCPU 8 2024-03-10..2024-07-01 m0", // the change, up to the new price
		"R1 VCPU 8 2024-07-01..2024-10-01 m0", // the new price, up to the release (exclusive)
		"R2 BW 50 2024-01-15..2024-02-01 m1",  // month cycle: cut at month ends
	}
	for m := 2; m <= 12; m++ {
		next := metering.NewDate(2024, time.Month(m)+1, 1)
		want = append(want, fmt.Sprintf("R2 BW 50 %s..%s m%d", metering.NewDate(2024, time.Month(m), 1), next, m))
	}
	if len(got) != len(want) {
		t.Fatalf("segments:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d: %s, want %s", i, got[i], want[i])
		}
	}
}
