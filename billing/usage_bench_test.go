package billing

import (
	"fmt"
	"testing"

	"cloudbill/metering"
)

// BenchmarkTally is the settlement's day counting for 20,000 resources
// metered all year (scripts/bench-settle.sh measures the whole pass): the
// annual tally must not pay for the monthly mode (docs/benchmarks.md).
func BenchmarkTally(b *testing.B) {
	var events []metering.Event
	var runs []metered
	for r := range 20000 {
		res := fmt.Sprintf("R%05d", r)
		events = append(events,
			metering.Event{ResourceID: res, Kind: metering.EventApproved, Day: metering.MustDate("2023-12-01"), ItemCode: "VCPU", Quantity: dec("4")},
			metering.Event{ResourceID: res, Kind: metering.EventConfirmed, Day: metering.MustDate("2023-12-02")})
		runs = append(runs, metered{res, "VCPU", "4", "2024-01-01", "2024-12-31"})
	}
	months := usageMonths(runs...)
	segs := Segments(2024, events, catalogue())
	for _, mode := range []struct {
		name string
		new  func() *Tally
	}{{"annual", NewTally}, {"monthly", NewMonthlyTally}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				t := mode.new()
				if err := t.SetSegments(segs); err != nil {
					b.Fatal(err)
				}
				for _, m := range months {
					t.Add(m)
				}
				n := 0
				t.Groups(func(DayGroup) error { n++; return nil })
			}
		})
	}
}
