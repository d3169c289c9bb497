package billing

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"cloudbill/metering"
)

func TestCountDays(t *testing.T) {
	d := metering.MustDate
	all := uint32(1<<31 - 1)
	for _, c := range []struct {
		name            string
		days            uint32
		month, from, to string
		want            int
	}{
		{"whole January", all, "2024-01-01", "2023-12-01", "2024-02-01", 31},
		{"segment inside the month", all, "2024-01-01", "2024-01-10", "2024-01-20", 10},
		{"confirmed on the 31st", all, "2024-01-01", "2024-01-31", "2025-01-01", 1},
		{"released on the 1st: nothing", all, "2024-01-01", "2023-01-01", "2024-01-01", 0},
		{"leap February", all, "2024-02-01", "2024-01-01", "2025-01-01", 29},
		{"gaps are not counted", 0b101, "2024-03-01", "2024-03-01", "2024-03-03", 1},
		{"segment after the month", all, "2024-03-01", "2024-04-01", "2024-05-01", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := d(c.month)
			next := metering.NewDate(m.Year(), m.Month()+1, 1)
			if got := countDays(c.days, m, next, d(c.from), d(c.to)); got != c.want {
				t.Errorf("countDays = %d, want %d", got, c.want)
			}
		})
	}
}

// The store streams usage months while the segments are being cut: months
// added before SetSegments are kept and counted when the segments come,
// with the same day groups as when they all come after.
func TestTallyKeepsMonthsUntilTheSegments(t *testing.T) {
	events := []metering.Event{
		event(t, "R1", metering.EventApproved, "2023-10-30T10:00:00+08:00", "VCPU", "4"),
		event(t, "R1", metering.EventConfirmed, "2023-11-01T10:00:00+08:00", "", ""),
		event(t, "R2", metering.EventApproved, "2024-01-20T10:00:00+08:00", "OBJ", "1000"),
		event(t, "R2", metering.EventConfirmed, "2024-02-01T10:00:00+08:00", "", ""),
	}
	months := usageMonths(
		metered{"R1", "VCPU", "4", "2024-01-01", "2024-03-04"},
		metered{"R1", "VCPU", "6", "2024-03-05", "2024-03-09"}, // above the approval: billed 4
		metered{"R1", "VCPU", "4", "2024-03-10", "2024-07-31"},
		metered{"R1", "VCPU", "2", "2024-08-01", "2024-08-31"},
		metered{"R1", "VCPU", "4", "2024-09-01", "2024-12-31"},
		metered{"R2", "OBJ", "1000", "2024-02-01", "2024-04-10"},
		metered{"R2", "OBJ", "500.0", "2024-04-11", "2024-04-30"},
		metered{"R3", "MEM", "1", "2024-01-01", "2024-01-31"}, // no segments: ignored
	)
	segs := Segments(2024, events, catalogue())
	groups := func(before int) []string {
		tally := NewTally()
		for _, m := range months[:before] {
			if err := tally.Add(m); err != nil {
				t.Fatal(err)
			}
		}
		if tally.Ready() {
			t.Fatal("ready before the segments")
		}
		if err := tally.SetSegments(segs); err != nil {
			t.Fatal(err)
		}
		for _, m := range months[before:] {
			if err := tally.Add(m); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		if err := tally.Groups(func(g DayGroup) error {
			out = append(out, fmt.Sprintf("%s %s %s m%d %s/%s %d", g.ResourceID, g.ItemCode, g.EffectiveFrom, g.Month, g.Metered, g.Approved, g.Days))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := []string{
		// January–June at 360: 182 days billed 4 (the 5 days metered 6 too)
		"R1 VCPU 2023-01-01 m0 4/4 182",
		// July–December at 330: 184 days, 31 of them (August) metered 2
		"R1 VCPU 2024-07-01 m0 2/4 31",
		"R1 VCPU 2024-07-01 m0 4/4 153",
		"R2 OBJ 2023-01-01 m2 1000/1000 29",
		"R2 OBJ 2023-01-01 m3 1000/1000 31",
		"R2 OBJ 2023-01-01 m4 500/1000 20", // metered "500.0"
		"R2 OBJ 2023-01-01 m4 1000/1000 10",
	}
	for _, before := range []int{0, 2, len(months)} {
		got := groups(before)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%d months before the segments:\n%s\nwant\n%s", before, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestTallyRejectsABadQuantity(t *testing.T) {
	events := []metering.Event{
		event(t, "R1", metering.EventApproved, "2023-10-30T10:00:00+08:00", "VCPU", "4"),
		event(t, "R1", metering.EventConfirmed, "2023-11-01T10:00:00+08:00", "", ""),
	}
	bad := UsageMonth{ResourceID: "R1", ItemCode: "VCPU", Month: day("2024-03-01"), Quantity: "four", Days: 1}
	tally := NewTally()
	if err := tally.Add(bad); err != nil {
		t.Fatalf("kept until the segments: %v", err)
	}
	if err := tally.SetSegments(Segments(2024, events, catalogue())); err == nil || !strings.Contains(err.Error(), `quantity "four"`) {
		t.Errorf("SetSegments = %v, want the bad quantity", err)
	}
	if err := tally.Add(bad); err == nil {
		t.Error("Add after the segments accepted a bad quantity")
	}
	stop := errors.New("stop")
	if err := tally.Groups(func(DayGroup) error { return stop }); err != nil && !errors.Is(err, stop) {
		t.Errorf("Groups = %v", err)
	}
}
