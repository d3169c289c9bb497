package evaluation

import (
	"math/big"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// The coefficient compares the exact annual score with the tiers: a score
// a hair below a tier's minimum stays below it, even where its 12-place
// display rounds up to the minimum.
func TestCoefficientIsExact(t *testing.T) {
	p := DefaultPolicy()
	for _, c := range []struct {
		score, want string
	}{
		{"85", "0.95"},
		{"255/3", "0.95"}, // 85⅓
		{"84.99999999999999999999", "0.90"},
		{"2549999999999999/30000000000000", "0.90"}, // 85 − 1/(3×10¹³): shown as 85.000000000000
		{"95", "1.00"},
		{"94.9", "0.98"},
		{"70", "0.85"},
		{"69.99", "0.80"},
		{"0", "0.80"},
	} {
		if got := p.Coefficient(rat(c.score)); got.StringFixed(2) != c.want {
			t.Errorf("Coefficient(%s) = %s, want %s", c.score, got, c.want)
		}
	}
	if shown := RatDecimal(rat("2549999999999999/30000000000000")); shown.String() != "85" {
		t.Errorf("the display of 85 − 1/(3×10¹³) is %s, want 85 (rounded to 12 places)", shown)
	}
}

// An annual score just under 85 by Evaluate's own arithmetic: Q1 all
// dimensions 85, Q2 all 85 except satisfaction (84.9999 + 85 + 85) / 3 =
// 84.99996…: Q2 = 85 − 0.20 × 0.0001 ÷ 3 = 84.99999333…, annual =
// (85 + 84.99999333…) / 2 = 84.99999666… → 0.90 (not 0.95).
func TestEvaluateJustBelowATier(t *testing.T) {
	all := func(period string, sat ...string) []Score {
		return scoresOf("P1", period, map[Dimension][]string{
			DimensionResponse: {"85"}, DimensionQuality: {"85"}, DimensionSatisfaction: sat, DimensionSecurity: {"85"}})
	}
	scores := append(all("2024Q1", "85"), all("2024Q2", "84.9999", "85", "85")...)
	evs, err := Evaluate(2024, []string{"P1"}, scores, nil, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	if e.Coefficient.StringFixed(2) != "0.90" || e.Annual.String() != "84.999996666667" {
		t.Errorf("annual %s coefficient %s, want 84.999996666667 (display) and 0.90", e.Annual, e.Coefficient)
	}
	if q := e.Quarters[1]; q.Dimensions[string(DimensionSatisfaction)].String() != "84.999966666667" {
		t.Errorf("satisfaction %s", q.Dimensions[string(DimensionSatisfaction)])
	}
}

func TestDimensionScore(t *testing.T) {
	for _, c := range []struct {
		scores []string
		want   string
	}{
		{[]string{"84", "85", "86"}, "85"},    // (84 + 85 + 86) / 3
		{[]string{"85", "85", "86"}, "256/3"}, // 85⅓
		{[]string{"90", "95"}, "185/2"},       // 92.5
		{[]string{"88.5"}, "177/2"},
		{nil, "0"},
	} {
		var ds []decimal.Decimal
		for _, s := range c.scores {
			ds = append(ds, decimal.RequireFromString(s))
		}
		if got := DimensionScore(ds); got.Cmp(rat(c.want)) != 0 {
			t.Errorf("DimensionScore(%v) = %s, want %s", c.scores, got, c.want)
		}
	}
}

func TestRatDecimal(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1/3", "0.333333333333"},
		{"2/3", "0.666666666667"},
		{"-2/3", "-0.666666666667"}, // half away from zero, below zero too
		{"1/8", "0.125"},            // a finite expansion is exact
		{"1/1024", "0.0009765625"},
		{"170/2", "85"}, // no trailing zeros
		{"0", "0"},
	} {
		if got := RatDecimal(rat(c.in)); got.String() != c.want {
			t.Errorf("RatDecimal(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestEvaluateResponseFallbackNone(t *testing.T) {
	p := DefaultPolicy()
	p.ResponseFallback = ResponseFallbackNone
	scores := scoresOf("P1", "2024Q3", map[Dimension][]string{
		DimensionQuality: {"90"}, DimensionSatisfaction: {"90"}, DimensionSecurity: {"90"}})
	_, err := Evaluate(2024, []string{"P1"}, scores, nil, p)
	if err == nil || !strings.Contains(err.Error(), "P1 quarter 2024Q3 has no response scores") {
		t.Errorf("error %v", err)
	}
}

// The weights and tiers are the policy's: a policy that weighs quality
// alone and pays 1.00 from 80 turns a quality of 80 into 1.00.
func TestEvaluateUsesThePolicyWeightsAndTiers(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader("weight.response = 0\nweight.quality = 1\nweight.satisfaction = 0\nweight.security = 0\ntiers = 80:1.00\ntier.below = 0.50\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	scores := scoresOf("P1", "2024Q1", map[Dimension][]string{
		DimensionResponse: {"10"}, DimensionQuality: {"80"}, DimensionSatisfaction: {"10"}, DimensionSecurity: {"10"}})
	evs, err := Evaluate(2024, []string{"P1"}, scores, nil, p)
	if err != nil || evs[0].Annual.String() != "80" || evs[0].Coefficient.StringFixed(2) != "1.00" {
		t.Fatalf("%+v %v", evs, err)
	}
	for i := range scores {
		if scores[i].Dimension == DimensionQuality {
			scores[i].Score = decimal.RequireFromString("79.99")
		}
	}
	if evs, err = Evaluate(2024, []string{"P1"}, scores, nil, p); err != nil || evs[0].Coefficient.StringFixed(2) != "0.50" {
		t.Fatalf("below the only tier: %+v %v", evs, err)
	}
}
