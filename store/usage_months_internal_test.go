package store

import (
	"testing"

	"cloudbill/metering"
)

// TestMonthBitsQuantities: a slot with several quantities in a month keeps
// each quantity's days apart, and unset drops a quantity left without days.
func TestMonthBitsQuantities(t *testing.T) {
	d := metering.MustDate
	b := newMonthBits()
	set := func(day, q string) { b.set(1, 2, "R1", "VCPU", d(day), q) }
	set("2024-03-01", "4")
	set("2024-03-02", "8")
	set("2024-03-03", "4")
	set("2024-03-04", "16")
	set("2024-03-05", "8")
	set("2024-04-01", "4")
	got := func(month string) map[string]int32 {
		v, ok := b.m[monthSlot{1, 2, d(month)}]
		if !ok {
			return nil
		}
		out := map[string]int32{}
		for _, q := range b.quantities(v, nil) {
			out[b.qs[q.q]] = q.days
		}
		return out
	}
	check := func(month string, want map[string]int32) {
		t.Helper()
		g := got(month)
		if len(g) != len(want) {
			t.Fatalf("%s: %v, want %v", month, g, want)
		}
		for q, days := range want {
			if g[q] != days {
				t.Errorf("%s quantity %s: days %b, want %b", month, q, g[q], days)
			}
		}
	}
	check("2024-03-01", map[string]int32{"4": 0b101, "8": 0b10010, "16": 0b1000})
	check("2024-04-01", map[string]int32{"4": 0b1})
	b.unset(1, 2, d("2024-03-04"), "16")
	b.unset(1, 2, d("2024-03-01"), "4")
	check("2024-03-01", map[string]int32{"4": 0b100, "8": 0b10010})
	b.unset(1, 2, d("2024-03-03"), "4")
	b.unset(1, 2, d("2024-03-02"), "8")
	b.unset(1, 2, d("2024-03-05"), "8")
	check("2024-03-01", nil)
	if len(b.m) != 1 {
		t.Errorf("%d slots left, want April's alone", len(b.m))
	}
}
