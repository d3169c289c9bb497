package evaluation

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

// Evaluate derives each provider's coefficient for year (docs/rules.md §6).
// A dimension's score is the mean over the evaluator groups present; a
// quarter's score is Σ weight × dimension; the annual score is the mean of
// the quarters present; the coefficient is the policy tier of the annual
// score. A quarter without response scores takes 100 × its SLA on-time
// share from obligations (ResponseFromSLA), unless the policy says none.
// All arithmetic is on exact fractions, so an annual score of exactly 85
// lands in the ≥ 85 tier; the decimals returned are exact when the
// fraction has a finite decimal expansion, otherwise rounded to 12 places
// for display. A provider with no scores in the year, or a quarter missing
// another dimension, is an error naming provider, quarter and dimension.
func Evaluate(year int, providers []string, scores []Score, obligations []Obligation, p Policy) ([]billing.ProviderEvaluation, error) {
	prefix := fmt.Sprintf("%d", year) + "Q"
	// provider → period → dimension → evaluator scores
	byProv := map[string]map[string]map[Dimension][]decimal.Decimal{}
	for _, s := range scores {
		if !strings.HasPrefix(s.Period, prefix) {
			continue
		}
		q := byProv[s.ProviderCode]
		if q == nil {
			q = map[string]map[Dimension][]decimal.Decimal{}
			byProv[s.ProviderCode] = q
		}
		if q[s.Period] == nil {
			q[s.Period] = map[Dimension][]decimal.Decimal{}
		}
		q[s.Period][s.Dimension] = append(q[s.Period][s.Dimension], s.Score)
	}
	shares := SLAShares(obligations)
	out := make([]billing.ProviderEvaluation, 0, len(providers))
	for _, prov := range providers {
		quarters := byProv[prov]
		if len(quarters) == 0 {
			return nil, fmt.Errorf("provider %s has no evaluation scores for %d: load its scores.csv rows before settling", prov, year)
		}
		periods := make([]string, 0, len(quarters))
		for q := range quarters {
			periods = append(periods, q)
		}
		sort.Strings(periods)
		ev := billing.ProviderEvaluation{ProviderCode: prov}
		annual := new(big.Rat)
		for _, period := range periods {
			dims := quarters[period]
			qs := billing.QuarterScore{Period: period, Dimensions: map[string]decimal.Decimal{}}
			total := new(big.Rat)
			for _, dim := range Dimensions {
				var v *big.Rat
				if list := dims[dim]; len(list) > 0 {
					v = DimensionScore(list)
				} else if dim == DimensionResponse && p.ResponseFallback == ResponseFallbackSLA {
					v = shares[prov][period].Percent(p.ResponseNoneDue)
					qs.ResponseFromSLA = true
				} else {
					return nil, fmt.Errorf("provider %s quarter %s has no %s scores", prov, period, dim)
				}
				qs.Dimensions[string(dim)] = RatDecimal(v)
				total.Add(total, new(big.Rat).Mul(p.Weights[dim].Rat(), v))
			}
			qs.Score = RatDecimal(total)
			annual.Add(annual, total)
			ev.Quarters = append(ev.Quarters, qs)
		}
		annual.Quo(annual, big.NewRat(int64(len(periods)), 1))
		ev.Annual = RatDecimal(annual)
		ev.Coefficient = p.Coefficient(annual)
		out = append(out, ev)
	}
	return out, nil
}

// DimensionScore is a provider's score in one dimension and quarter: the
// mean of the scores of the evaluator groups present, exact (none present:
// zero).
func DimensionScore(groups []decimal.Decimal) *big.Rat {
	v := new(big.Rat)
	if len(groups) == 0 {
		return v
	}
	for _, s := range groups {
		v.Add(v, s.Rat())
	}
	return v.Quo(v, big.NewRat(int64(len(groups)), 1))
}

// RatDecimal converts an exact fraction to a decimal: exactly when its
// decimal expansion is finite (at most 30 places), otherwise rounded half
// away from zero to 12 places (billing.Round).
func RatDecimal(r *big.Rat) decimal.Decimal {
	den := new(big.Int).Set(r.Denom())
	for _, f := range []int64{2, 5} {
		bf := big.NewInt(f)
		m := new(big.Int)
		for {
			q, rem := new(big.Int).QuoRem(den, bf, m)
			if rem.Sign() != 0 {
				break
			}
			den = q
		}
	}
	places := int32(12)
	if den.Cmp(big.NewInt(1)) == 0 {
		places = 30
	}
	d := billing.Round(r, places)
	// drop trailing zeros
	return decimal.RequireFromString(d.String())
}
