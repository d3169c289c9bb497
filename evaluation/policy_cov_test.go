package evaluation

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/shopspring/decimal"
)

// covPolicyDiff lists the fields in which a and b differ (decimals
// compared by value); "" when they are the same policy.
func covPolicyDiff(t testing.TB, a, b Policy) string {
	t.Helper()
	var diff []string
	dec := func(name string, x, y decimal.Decimal) {
		if !x.Equal(y) {
			diff = append(diff, fmt.Sprintf("%s: %s ≠ %s", name, x, y))
		}
	}
	num := func(name string, x, y int64) {
		if x != y {
			diff = append(diff, fmt.Sprintf("%s: %d ≠ %d", name, x, y))
		}
	}
	if len(a.Weights) != len(b.Weights) {
		diff = append(diff, fmt.Sprintf("weights: %v ≠ %v", a.Weights, b.Weights))
	}
	for k, v := range a.Weights {
		dec("weight."+string(k), v, b.Weights[k])
	}
	if len(a.Tiers) != len(b.Tiers) {
		diff = append(diff, fmt.Sprintf("tiers: %v ≠ %v", a.Tiers, b.Tiers))
	} else {
		for i := range a.Tiers {
			dec(fmt.Sprintf("tier %d min", i), a.Tiers[i].Min, b.Tiers[i].Min)
			dec(fmt.Sprintf("tier %d coefficient", i), a.Tiers[i].Coefficient, b.Tiers[i].Coefficient)
		}
	}
	dec("below", a.Below, b.Below)
	if a.ResponseFallback != b.ResponseFallback {
		diff = append(diff, "response fallback: "+string(a.ResponseFallback)+" ≠ "+string(b.ResponseFallback))
	}
	dec("response none due", a.ResponseNoneDue, b.ResponseNoneDue)
	if len(a.SLADays) != len(b.SLADays) {
		diff = append(diff, fmt.Sprintf("sla: %v ≠ %v", a.SLADays, b.SLADays))
	}
	for k, v := range a.SLADays {
		num("sla."+string(k), int64(v), int64(b.SLADays[k]))
	}
	dec("idle cpu avg", a.IdleCPUAvgBelow, b.IdleCPUAvgBelow)
	dec("idle cpu max", a.IdleCPUMaxBelow, b.IdleCPUMaxBelow)
	num("idle net bytes", a.IdleNetBytesBelow, b.IdleNetBytesBelow)
	dec("idle disk", a.IdleDiskUsedBelow, b.IdleDiskUsedBelow)
	num("idle min days", int64(a.IdleMinDays), int64(b.IdleMinDays))
	num("zombie min days", int64(a.ZombieMinDays), int64(b.ZombieMinDays))
	num("reclaim min days", int64(a.ReclaimMinDays), int64(b.ReclaimMinDays))
	num("rectify working days", int64(a.RectifyWorkdays), int64(b.RectifyWorkdays))
	num("objection working days", int64(a.ObjectionWorkdays), int64(b.ObjectionWorkdays))
	return strings.Join(diff, "; ")
}

func covParse(t testing.TB, text string) Policy {
	t.Helper()
	p, err := ParsePolicy(strings.NewReader(text), "test.policy")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCovDefaultPolicyIsDesign(t *testing.T) {
	p := DefaultPolicy()
	d := decimal.RequireFromString
	// docs/rules.md §6–§8
	want := Policy{
		Weights: map[Dimension]decimal.Decimal{
			DimensionResponse: d("0.25"), DimensionQuality: d("0.35"), DimensionSatisfaction: d("0.20"), DimensionSecurity: d("0.20"),
		},
		Tiers:            []Tier{{d("95"), d("1")}, {d("90"), d("0.98")}, {d("85"), d("0.95")}, {d("80"), d("0.9")}, {d("70"), d("0.85")}},
		Below:            d("0.8"),
		ResponseFallback: "sla",
		ResponseNoneDue:  d("100"),
		SLADays:          map[ObligationKind]int{ObligationProvision: 2, ObligationChange: 2, ObligationExit: 2, ObligationGoLive: 30},
		IdleCPUAvgBelow:  d("5"), IdleCPUMaxBelow: d("10"), IdleNetBytesBelow: 10 * 1024 * 1024, IdleDiskUsedBelow: d("5"),
		IdleMinDays: 30, ZombieMinDays: 90, ReclaimMinDays: 90, RectifyWorkdays: 10, ObjectionWorkdays: 10,
	}
	if diff := covPolicyDiff(t, p, want); diff != "" {
		t.Errorf("DefaultPolicy differs from docs/policy.md: %s", diff)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultPolicy does not validate: %v", err)
	}
	// 0.25 + 0.35 + 0.20 + 0.20 = 1 exactly
	sum := decimal.Zero
	for _, w := range p.Weights {
		sum = sum.Add(w)
	}
	if !sum.Equal(decimal.NewFromInt(1)) {
		t.Errorf("default weights add up to %s", sum)
	}
}

func TestCovCoefficient(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		score string
		want  string
	}{
		{"100", "1.00"},
		{"95", "1.00"}, // ≥ 95
		{"94.999999999999999999", "0.98"},
		{"90", "0.98"},
		{"89.99", "0.95"},
		{"85", "0.95"}, // 85 is 85, not 84.99999999999999
		{"84.5", "0.90"},
		{"80", "0.90"},
		{"79.99", "0.85"},
		{"70", "0.85"},
		{"69.999", "0.80"},
		{"0", "0.80"},
	} {
		t.Run(tc.score, func(t *testing.T) {
			got := p.Coefficient(decimal.RequireFromString(tc.score).Rat())
			if got.StringFixed(2) != tc.want {
				t.Errorf("Coefficient(%s) = %s, want %s", tc.score, got, tc.want)
			}
		})
	}
	// an exact mean: (84 + 86) ÷ 2 = 85 → 0.95
	mean := decimal.NewFromInt(84).Add(decimal.NewFromInt(86)).Div(decimal.NewFromInt(2))
	if got := p.Coefficient(mean.Rat()); got.StringFixed(2) != "0.95" {
		t.Errorf("Coefficient(%s) = %s, want 0.95", mean, got)
	}
	custom := covParse(t, "tiers = 60:1\ntier.below = 0.5\n")
	if custom.Coefficient(decimal.NewFromInt(60).Rat()).StringFixed(2) != "1.00" || custom.Coefficient(decimal.RequireFromString("59.9").Rat()).StringFixed(2) != "0.50" {
		t.Error("custom tiers not applied")
	}
}

func TestCovParsePolicyKeys(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		name  string
		text  string
		check func(p Policy) bool
	}{
		{"empty file is the default", "", func(p Policy) bool { return covPolicyDiff(t, p, DefaultPolicy()) == "" }},
		{"only comments", "# nothing\n   # indented\n\n", func(p Policy) bool { return covPolicyDiff(t, p, DefaultPolicy()) == "" }},
		// 0.30 + 0.30 + 0.20 + 0.20 = 1
		{"weights", "weight.response = 0.30\nweight.quality = 0.30\n", func(p Policy) bool {
			return p.Weights[DimensionResponse].Equal(d("0.3")) && p.Weights[DimensionQuality].Equal(d("0.3")) && p.Weights[DimensionSecurity].Equal(d("0.2"))
		}},
		// 0.1 + 0.2 + 0.3 + 0.4 = 1
		{"every weight", "weight.response=0.1\nweight.quality=0.2\nweight.satisfaction=0.3\nweight.security=0.4\n", func(p Policy) bool {
			return p.Weights[DimensionSatisfaction].Equal(d("0.3")) && p.Weights[DimensionSecurity].Equal(d("0.4"))
		}},
		{"one tier", "tiers = 60:1", func(p Policy) bool { return len(p.Tiers) == 1 && p.Tiers[0].Min.Equal(d("60")) }},
		{"tiers with extra spaces", "tiers =   95:1.00    90:0.98\t85:0.95  ", func(p Policy) bool {
			return len(p.Tiers) == 3 && p.Tiers[2].Coefficient.Equal(d("0.95"))
		}},
		{"tier.below", "tier.below = 0", func(p Policy) bool { return p.Below.IsZero() }},
		{"fallback none", "response.fallback = none", func(p Policy) bool { return p.ResponseFallback == ResponseFallbackNone }},
		{"none due", "response.none_due = 0", func(p Policy) bool { return p.ResponseNoneDue.IsZero() }},
		{"sla limits", "sla.provision = 0\nsla.change = 3\nsla.exit = 5\nsla.go_live = 20\n", func(p Policy) bool {
			return p.SLADays[ObligationProvision] == 0 && p.SLADays[ObligationChange] == 3 && p.SLADays[ObligationExit] == 5 && p.SLADays[ObligationGoLive] == 20
		}},
		{"idle thresholds", "idle.cpu_avg_below = 2.5\nidle.cpu_max_below = 100\nidle.net_bytes_below = 0\nidle.disk_used_below = 0\n", func(p Policy) bool {
			return p.IdleCPUAvgBelow.Equal(d("2.5")) && p.IdleCPUMaxBelow.Equal(d("100")) && p.IdleNetBytesBelow == 0 && p.IdleDiskUsedBelow.IsZero()
		}},
		{"day counts at their minimum", "idle.min_days = 1\nzombie.min_days = 1\nreclaim.min_days = 1\nrectify.working_days = 0\n", func(p Policy) bool {
			return p.IdleMinDays == 1 && p.ZombieMinDays == 1 && p.ReclaimMinDays == 1 && p.RectifyWorkdays == 0
		}},
		{"reclaim equal to idle is allowed", "idle.min_days = 90\n", func(p Policy) bool { return p.IdleMinDays == 90 && p.ReclaimMinDays == 90 }},
		{"BOM, CRLF and trailing comments", "\ufeffidle.min_days = 20 # shorter\r\nzombie.min_days=60#x\r\n", func(p Policy) bool {
			return p.IdleMinDays == 20 && p.ZombieMinDays == 60
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := covParse(t, tc.text); !tc.check(p) {
				t.Errorf("parsed %+v", p)
			}
		})
	}
}

func TestCovParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want string // the whole error text
	}{
		{"unknown key", "weight.price = 0.1", "policy p:1: weight.price: unknown key"},
		{"no key", "= 3", "policy p:1: : unknown key"},
		{"no equals", "\n\nidle.min_days 30", "policy p:3: idle.min_days 30: expected key = value"},
		{"repeated", "sla.exit = 2\n# x\nsla.exit = 3", "policy p:3: sla.exit: repeated (first on line 1)"},
		{"weight above 1", "weight.quality = 1.5", "policy p:1: weight.quality: 1.5 is outside 0..1"},
		{"weight negative", "weight.security = -0.1", "policy p:1: weight.security: -0.1 is outside 0..1"},
		{"weight not a number", "weight.response = a quarter", `policy p:1: weight.response: "a quarter" is not a decimal number`},
		{"tier without colon", "tiers = 95", `policy p:1: tiers: "95" is not min_score:coefficient`},
		{"tier min above 100", "tiers = 101:1", "policy p:1: tiers: 101 is outside 0..100"},
		{"tier min negative", "tiers = -1:1", "policy p:1: tiers: -1 is outside 0..100"},
		{"tier min not a number", "tiers = top:1", `policy p:1: tiers: "top" is not a decimal number`},
		{"tier coefficient negative", "tiers = 95:-1", "policy p:1: tiers: -1 is outside 0.."},
		{"tier coefficient not a number", "tiers = 95:one", `policy p:1: tiers: "one" is not a decimal number`},
		{"tiers equal", "tiers = 90:1 90:0.9", "policy p:1: tiers: tier 90 is not below the previous tier 90: list tiers highest first"},
		{"tiers rising", "tiers = 80:0.9 90:1", "policy p:1: tiers: tier 90 is not below the previous tier 80: list tiers highest first"},
		{"no tiers", "tiers =", "policy p:1: tiers: no tiers"},
		{"below negative", "tier.below = -0.5", "policy p:1: tier.below: -0.5 is outside 0.."},
		{"below not a number", "tier.below = low", `policy p:1: tier.below: "low" is not a decimal number`},
		{"fallback upper case", "response.fallback = SLA", `policy p:1: response.fallback: "SLA" is not sla or none`},
		{"none due above 100", "response.none_due = 101", "policy p:1: response.none_due: 101 is outside 0..100"},
		{"sla negative", "sla.go_live = -1", `policy p:1: sla.go_live: "-1" is not a whole number ≥ 0`},
		{"sla fraction", "sla.change = 2.5", `policy p:1: sla.change: "2.5" is not a whole number ≥ 0`},
		{"sla provision text", "sla.provision = two", `policy p:1: sla.provision: "two" is not a whole number ≥ 0`},
		{"exit empty", "sla.exit =", `policy p:1: sla.exit: "" is not a whole number ≥ 0`},
		{"cpu average above 100", "idle.cpu_avg_below = 100.1", "policy p:1: idle.cpu_avg_below: 100.1 is outside 0..100"},
		{"cpu max negative", "idle.cpu_max_below = -1", "policy p:1: idle.cpu_max_below: -1 is outside 0..100"},
		{"disk above 100", "idle.disk_used_below = 200", "policy p:1: idle.disk_used_below: 200 is outside 0..100"},
		{"net bytes negative", "idle.net_bytes_below = -1", `policy p:1: idle.net_bytes_below: "-1" is not a whole number of bytes`},
		{"net bytes with unit", "idle.net_bytes_below = 10MiB", `policy p:1: idle.net_bytes_below: "10MiB" is not a whole number of bytes`},
		{"idle days zero", "idle.min_days = 0", `policy p:1: idle.min_days: "0" is not a whole number ≥ 1`},
		{"zombie days zero", "zombie.min_days = 0", `policy p:1: zombie.min_days: "0" is not a whole number ≥ 1`},
		{"reclaim days text", "reclaim.min_days = ninety", `policy p:1: reclaim.min_days: "ninety" is not a whole number ≥ 1`},
		{"rectify negative", "rectify.working_days = -1", `policy p:1: rectify.working_days: "-1" is not a whole number ≥ 0`},
		{"a second equals sign", "idle.min_days = 3 = 4", `policy p:1: idle.min_days: "3 = 4" is not a whole number ≥ 1`},
		// whole-policy rules name the key's line when the file sets it, none otherwise
		{"weights not 1, key set", "# mine\nweight.response = 0.5", "policy p:2: weight.response: the four weights add up to 1.25, not 1"}, // 0.5+0.35+0.2+0.2
		{"weights not 1, key not set", "weight.quality = 0.5", "policy p: weight.response: the four weights add up to 1.15, not 1"},        // 0.25+0.5+0.2+0.2
		{"reclaim below idle, reclaim set", "idle.min_days = 40\nreclaim.min_days = 35", "policy p:2: reclaim.min_days: 35 is below idle.min_days 40"},
		{"reclaim below idle, reclaim not set", "idle.min_days = 100", "policy p: reclaim.min_days: 90 is below idle.min_days 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(tc.text), "p")
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *PolicyError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n%s\nwant\n%s", err, tc.want)
			}
			if pe.Name != "p" || pe.Err == nil || errors.Unwrap(pe) != pe.Err {
				t.Errorf("PolicyError %+v: name or cause lost", pe)
			}
		})
	}
}

func TestCovParsePolicyReadError(t *testing.T) {
	t.Run("reader fails", func(t *testing.T) {
		broken := errors.New("disk gone")
		_, err := ParsePolicy(iotest.ErrReader(broken), "p")
		if !errors.Is(err, broken) || err.Error() != "read policy p: disk gone" {
			t.Errorf("error %v, want read policy p: disk gone", err)
		}
	})
	t.Run("line too long", func(t *testing.T) {
		_, err := ParsePolicy(strings.NewReader("# "+strings.Repeat("x", bufio.MaxScanTokenSize)+"\n"), "p")
		if !errors.Is(err, bufio.ErrTooLong) {
			t.Errorf("error %v, want bufio.ErrTooLong", err)
		}
	})
}

func TestCovPolicyValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *Policy)
		want   string // "" when valid
	}{
		{"default", func(p *Policy) {}, ""},
		{"weights below 1", func(p *Policy) { p.Weights[DimensionSecurity] = decimal.RequireFromString("0.1") }, // 0.25+0.35+0.2+0.1
			"policy policy: weight.response: the four weights add up to 0.9, not 1"},
		{"a weight missing", func(p *Policy) { delete(p.Weights, DimensionQuality) }, // 0.25+0.2+0.2
			"policy policy: weight.response: the four weights add up to 0.65, not 1"},
		{"an extra key does not count", func(p *Policy) { p.Weights["price"] = decimal.NewFromInt(1) }, ""},
		{"no tiers", func(p *Policy) { p.Tiers = nil }, "policy policy: tiers: no tiers"},
		{"reclaim below idle", func(p *Policy) { p.IdleMinDays = 91 }, "policy policy: reclaim.min_days: 90 is below idle.min_days 91"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.change(&p)
			err := p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestCovPolicyRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"default", ""},
		{"weights with one and three decimals", "weight.response = 0.2\nweight.quality = 0.375\nweight.satisfaction = 0.225\nweight.security = 0.2\n"},
		{"two-decimal tiers", "tiers = 99.5:1.05 60:0.70\ntier.below = 0.5\n"},
		{"everything changed", "response.fallback = none\nresponse.none_due = 87.5\nsla.provision = 1\nsla.change = 3\nsla.exit = 4\nsla.go_live = 20\n" +
			"idle.cpu_avg_below = 2.5\nidle.cpu_max_below = 7.25\nidle.net_bytes_below = 1048576\nidle.disk_used_below = 1\n" +
			"idle.min_days = 14\nzombie.min_days = 60\nreclaim.min_days = 45\nrectify.working_days = 5\n"},
		{"exponent notation", "response.none_due = 1e2\nidle.cpu_avg_below = 25e-1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := covParse(t, tc.text)
			back := covParse(t, p.String())
			if diff := covPolicyDiff(t, p, back); diff != "" {
				t.Errorf("ParsePolicy(String()) differs: %s", diff)
			}
			if back.String() != p.String() {
				t.Errorf("String not stable:\n%s\nvs\n%s", back.String(), p.String())
			}
		})
	}
}

// A tier coefficient or tier.below with more than two decimals is printed
// as it is, so the canonical text (stored with each statement and printed
// on the evaluation report) is the policy in force; two decimals stay two.
func TestCovPolicyRoundTripThreeDecimalCoefficient(t *testing.T) {
	p := covParse(t, "tiers = 90:0.955 0:0.9\ntier.below = 0.875\n")
	back := covParse(t, p.String())
	if diff := covPolicyDiff(t, p, back); diff != "" {
		t.Errorf("ParsePolicy(p.String()) differs from p: %s\n%s", diff, p.String())
	}
	if s := p.String(); !strings.Contains(s, "90:0.955") || !strings.Contains(s, "0:0.90") || !strings.Contains(s, "tier.below = 0.875") {
		t.Errorf("policy text:\n%s", s)
	}
}

func TestCovPolicyStringText(t *testing.T) {
	s := DefaultPolicy().String()
	if !strings.HasPrefix(s, "# cloudbill evaluation policy (key = value; see docs/policy.md)\n") {
		t.Errorf("no title line:\n%s", s)
	}
	// every key once, in the documented order, each "key = value"
	var keys []string
	for _, line := range strings.Split(s, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, ok := strings.Cut(line, " = ")
		if !ok {
			t.Errorf("line %q is not key = value", line)
		}
		keys = append(keys, k)
	}
	if want := []string{"weight.response", "weight.quality", "weight.satisfaction", "weight.security", "tiers", "tier.below", "response.fallback", "response.none_due", "sla.provision", "sla.change", "sla.exit", "sla.go_live", "idle.cpu_avg_below", "idle.cpu_max_below", "idle.net_bytes_below", "idle.disk_used_below", "idle.min_days", "zombie.min_days", "reclaim.min_days", "rectify.working_days", "objection.working_days"}; strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("keys in String\n%v\nwant\n%v", keys, want)
	}
	for _, want := range []string{
		"weight.response = 0.25\n", "weight.quality = 0.35\n", "weight.satisfaction = 0.20\n", "weight.security = 0.20\n",
		"tiers = 95:1.00 90:0.98 85:0.95 80:0.90 70:0.85\n", "tier.below = 0.80\n",
		"response.fallback = sla\n", "response.none_due = 100\n",
		"sla.provision = 2\n", "sla.change = 2\n", "sla.exit = 2\n", "sla.go_live = 30\n",
		"idle.cpu_avg_below = 5\n", "idle.cpu_max_below = 10\n", "idle.net_bytes_below = 10485760\n", "idle.disk_used_below = 5\n",
		"idle.min_days = 30\n", "zombie.min_days = 90\n", "reclaim.min_days = 90\n", "rectify.working_days = 10\n", "objection.working_days = 10\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q", want)
		}
	}
	// weights keep at least two decimals, more when they have them
	p := covParse(t, "weight.response = 0.125\nweight.quality = 0.475\n") // 0.125+0.475+0.2+0.2 = 1
	if !strings.Contains(p.String(), "weight.response = 0.125\n") || !strings.Contains(p.String(), "weight.satisfaction = 0.20\n") {
		t.Errorf("weights printed as\n%s", p.String())
	}
}

func TestCovIdleKey(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"default", "", "idle.cpu_avg_below = 5\nidle.cpu_max_below = 10\nidle.net_bytes_below = 10485760\nidle.disk_used_below = 5\n"},
		{"changed thresholds", "idle.cpu_avg_below = 2.5\nidle.net_bytes_below = 0\n", "idle.cpu_avg_below = 2.5\nidle.cpu_max_below = 10\nidle.net_bytes_below = 0\nidle.disk_used_below = 5\n"},
		{"other keys do not enter it", "idle.min_days = 10\ntiers = 50:1\n", "idle.cpu_avg_below = 5\nidle.cpu_max_below = 10\nidle.net_bytes_below = 10485760\nidle.disk_used_below = 5\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := covParse(t, tc.text)
			key := p.IdleKey()
			if key != tc.want {
				t.Errorf("IdleKey\n%s\nwant\n%s", key, tc.want)
			}
			back := covParse(t, key)
			if back.IdleKey() != key {
				t.Errorf("IdleKey does not read back: %q", back.IdleKey())
			}
		})
	}
}

func TestCovPolicyClone(t *testing.T) {
	p := DefaultPolicy()
	q := p.clone()
	q.Weights[DimensionResponse] = decimal.NewFromInt(1)
	q.SLADays[ObligationExit] = 9
	q.Tiers[0].Coefficient = decimal.NewFromInt(2)
	if !p.Weights[DimensionResponse].Equal(decimal.RequireFromString("0.25")) || p.SLADays[ObligationExit] != 2 || !p.Tiers[0].Coefficient.Equal(decimal.NewFromInt(1)) {
		t.Errorf("changing a clone changed the original: %+v", p)
	}
	// ParsePolicy works on a copy: a parsed policy shares nothing with the next default
	parsed := covParse(t, "sla.exit = 7\n")
	if parsed.SLADays[ObligationExit] != 7 || DefaultPolicy().SLADays[ObligationExit] != 2 {
		t.Error("ParsePolicy changed the defaults")
	}
}
