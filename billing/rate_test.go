package billing

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestRatRoundHalfAwayFromZero(t *testing.T) {
	cases := []struct {
		num, den int64
		want     string
	}{
		{1, 200, "0.01"},   // 0.005 → 0.01
		{-1, 200, "-0.01"}, // -0.005 → -0.01
		{1, 300, "0"},      // 0.00333 → 0.00
		{2, 3, "0.67"},
		{12345, 100, "123.45"},
	}
	for _, c := range cases {
		var s Sum
		s.AddRun(decimal.NewFromInt(c.num), decimal.NewFromInt(1), 1, int(c.den))
		if got := s.Rounded(); !got.Equal(dec(c.want)) {
			t.Errorf("%d/%d rounded = %s, want %s", c.num, c.den, got, c.want)
		}
	}
}

// A whole year at constant quantity and price costs exactly quantity × price,
// however the year's days are cut into runs.
func TestWholeYearCostsThePriceWhateverTheRuns(t *testing.T) {
	v := PriceVersion{ItemCode: "VCPU", Cycle: CycleYear, Price: dec("360"), EffectiveFrom: metering.MustDate("2020-01-01")}
	for _, year := range []int{2023, 2024} {
		rng := rand.New(rand.NewPCG(uint64(year), 7))
		for trial := 0; trial < 50; trial++ {
			var s Sum
			from, end := metering.YearStart(year), metering.YearEnd(year)
			for d := from; d < end; {
				next := min(end, d.AddDays(1+rng.IntN(40)))
				s.AddDays(dec("3"), v, d, next)
				d = next
			}
			// 3 cores × 360 元 = 1080.00, exactly, in 365- and 366-day years.
			if got := s.Rat(); got.Cmp(dec("1080").Rat()) != 0 {
				t.Fatalf("%d trial %d: sum %s, want exactly 1080", year, trial, got)
			}
		}
	}
}

func TestMonthCycleOverFebruary(t *testing.T) {
	// object storage 0.10 元/GB/month, 1000 GB, 2024-02-01..2024-03-01 (29 days of a 29-day month)
	// = 1000 × 0.10 × 29 ÷ 29 = 100.00; plus 2024-03-01..03-11 = 1000 × 0.10 × 10 ÷ 31 = 32.258… → 132.26
	v := PriceVersion{ItemCode: "OBJ", Cycle: CycleMonth, Price: dec("0.10"), EffectiveFrom: metering.MustDate("2020-01-01")}
	var s Sum
	s.AddDays(dec("1000"), v, metering.MustDate("2024-02-01"), metering.MustDate("2024-03-11"))
	if got := s.Rounded(); !got.Equal(dec("132.26")) {
		t.Fatalf("got %s, want 132.26", got)
	}
}

func TestCatalogueAt(t *testing.T) {
	c := NewCatalogue([]PriceVersion{
		{ItemCode: "VCPU", Price: dec("360"), EffectiveFrom: metering.MustDate("2024-01-01"), EffectiveTo: metering.NullDate{Date: metering.MustDate("2024-07-01"), Valid: true}},
		{ItemCode: "VCPU", Price: dec("330"), EffectiveFrom: metering.MustDate("2024-07-01")},
	})
	for _, c2 := range []struct {
		day  string
		want string
		ok   bool
	}{{"2023-12-31", "", false}, {"2024-01-01", "360", true}, {"2024-06-30", "360", true}, {"2024-07-01", "330", true}, {"2030-01-01", "330", true}} {
		v, ok := c.At("VCPU", metering.MustDate(c2.day))
		if ok != c2.ok || (ok && !v.Price.Equal(dec(c2.want))) {
			t.Errorf("At(%s) = %s %v, want %s %v", c2.day, v.Price, ok, c2.want, c2.ok)
		}
	}
}
