package evaluation

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

func scoresOf(prov, period string, byDim map[Dimension][]string) []Score {
	groups := []Evaluator{EvaluatorDepartment, EvaluatorThirdParty, EvaluatorPublic}
	var out []Score
	for dim, vals := range byDim {
		for i, v := range vals {
			out = append(out, Score{ProviderCode: prov, Period: period, Dimension: dim, Evaluator: groups[i], Score: decimal.RequireFromString(v)})
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	p := DefaultPolicy()
	d := metering.MustDate
	t.Run("annual score of exactly 85 is in the 0.95 tier", func(t *testing.T) {
		// Q1: quality (84+85+86)/3 = 85, satisfaction (85+85+86)/3 = 85⅓,
		//     response 85, security 85 → 85 + 0.20 × ⅓ = 85.0666…
		// Q2: satisfaction (84+85+85)/3 = 84⅔ → 85 − 0.20 × ⅓ = 84.9333…
		// annual = (85.0666… + 84.9333…) / 2 = 85 exactly.
		scores := append(scoresOf("P1", "2024Q1", map[Dimension][]string{
			DimensionResponse: {"85"}, DimensionQuality: {"84", "85", "86"},
			DimensionSatisfaction: {"85", "85", "86"}, DimensionSecurity: {"85", "85"},
		}), scoresOf("P1", "2024Q2", map[Dimension][]string{
			DimensionResponse: {"85"}, DimensionQuality: {"85"},
			DimensionSatisfaction: {"84", "85", "85"}, DimensionSecurity: {"85"},
		})...)
		scores = append(scores, scoresOf("P1", "2023Q4", map[Dimension][]string{DimensionQuality: {"10"}})...) // another year: ignored
		evs, err := Evaluate(2024, []string{"P1"}, scores, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		e := evs[0]
		if !e.Annual.Equal(decimal.NewFromInt(85)) || e.Coefficient.String() != "0.95" || len(e.Quarters) != 2 {
			t.Fatalf("annual %s coefficient %s quarters %d, want 85, 0.95, 2", e.Annual, e.Coefficient, len(e.Quarters))
		}
	})
	t.Run("response from SLA compliance", func(t *testing.T) {
		// Q3 has no response scores: 3 of 4 provider obligations due in Q3
		// on time → 75. Quarter = 0.25×75 + 0.35×90 + 0.20×90 + 0.20×90 = 86.25 → 0.95.
		scores := scoresOf("P1", "2024Q3", map[Dimension][]string{
			DimensionQuality: {"90"}, DimensionSatisfaction: {"90"}, DimensionSecurity: {"90"},
		})
		var obs []Obligation
		for i, st := range []ObligationStatus{ObligationOnTime, ObligationOnTime, ObligationOnTime, ObligationLate} {
			obs = append(obs, Obligation{ProviderCode: "P1", ResourceID: string(rune('a' + i)), Kind: ObligationProvision, Due: d("2024-08-01"), Status: st})
		}
		obs = append(obs, Obligation{ProviderCode: "P1", Kind: ObligationGoLive, Due: d("2024-08-01"), Status: ObligationOverdue})
		evs, err := Evaluate(2024, []string{"P1"}, scores, obs, p)
		if err != nil {
			t.Fatal(err)
		}
		q := evs[0].Quarters[0]
		if !q.ResponseFromSLA || q.Dimensions[string(DimensionResponse)].String() != "75" || q.Score.String() != "86.25" || evs[0].Coefficient.String() != "0.95" {
			t.Fatalf("quarter %+v coefficient %s", q, evs[0].Coefficient)
		}
		// nothing due → 100: 0.25×100 + 0.75×90 = 92.5 → 0.98
		evs, err = Evaluate(2024, []string{"P1"}, scores, nil, p)
		if err != nil || evs[0].Quarters[0].Score.String() != "92.5" || evs[0].Coefficient.String() != "0.98" {
			t.Fatalf("none due: %+v %v", evs, err)
		}
	})
	t.Run("missing dimension is an error naming provider, quarter and dimension", func(t *testing.T) {
		scores := scoresOf("P1", "2024Q2", map[Dimension][]string{
			DimensionResponse: {"90"}, DimensionQuality: {"90"}, DimensionSatisfaction: {"90"},
		})
		_, err := Evaluate(2024, []string{"P1"}, scores, nil, p)
		if err == nil || !strings.Contains(err.Error(), "P1") || !strings.Contains(err.Error(), "2024Q2") || !strings.Contains(err.Error(), "security") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("provider-year without scores is an error", func(t *testing.T) {
		scores := scoresOf("P1", "2023Q2", map[Dimension][]string{DimensionResponse: {"90"}})
		_, err := Evaluate(2024, []string{"P2"}, scores, nil, p)
		if err == nil || !strings.Contains(err.Error(), "P2") || !strings.Contains(err.Error(), "2024") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("tiers", func(t *testing.T) {
		for score, want := range map[string]string{"95": "1.00", "94.999": "0.98", "90": "0.98", "85": "0.95", "84.99": "0.90", "80": "0.90", "70": "0.85", "69.9": "0.80", "0": "0.80"} {
			all := scoresOf("P", "2024Q1", map[Dimension][]string{DimensionResponse: {score}, DimensionQuality: {score}, DimensionSatisfaction: {score}, DimensionSecurity: {score}})
			evs, err := Evaluate(2024, []string{"P"}, all, nil, p)
			if err != nil || evs[0].Coefficient.StringFixed(2) != want {
				t.Errorf("score %s: coefficient %v err %v, want %s", score, evs, err, want)
			}
		}
	})
}
