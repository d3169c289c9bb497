package evaluation

import (
	"bufio"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Tier maps annual scores of at least Min to a coefficient.
type Tier struct {
	Min         decimal.Decimal
	Coefficient decimal.Decimal
}

// ResponseFallback is what a quarter without response scores uses.
type ResponseFallback string

const (
	ResponseFallbackSLA  ResponseFallback = "sla"  // 100 × the SLA on-time share
	ResponseFallbackNone ResponseFallback = "none" // a missing response dimension is an error
)

// Policy holds every evaluation rule that is a choice rather than a law:
// dimension weights, coefficient tiers, the response fallback, SLA limits
// and the idle-resource thresholds. DefaultPolicy returns the defaults of
// docs/policy.md; ParsePolicy reads a policy file (see the package doc and
// docs/policy.md for the format and every key).
type Policy struct {
	Weights          map[Dimension]decimal.Decimal // they add up to 1
	Tiers            []Tier                        // highest Min first
	Below            decimal.Decimal               // coefficient under the lowest tier
	ResponseFallback ResponseFallback              // sla or none
	ResponseNoneDue  decimal.Decimal               // response score of a quarter with no obligation due

	SLADays map[ObligationKind]int // limit in working days

	IdleCPUAvgBelow   decimal.Decimal // percent
	IdleCPUMaxBelow   decimal.Decimal // percent
	IdleNetBytesBelow int64           // network in + out, bytes a day
	IdleDiskUsedBelow decimal.Decimal // percent
	IdleMinDays       int             // an idle run is reported from this length
	ZombieMinDays     int             // a zombie run is reported from this length
	ReclaimMinDays    int             // idle runs this long are to be reclaimed
	RectifyWorkdays   int             // shorter idle runs: rectify within this many working days
	ObjectionWorkdays int             // a bill may be objected to within this many working days of its issue
}

// DefaultPolicy is the policy of docs/rules.md §6–§8.
func DefaultPolicy() Policy {
	d := decimal.RequireFromString
	return Policy{
		Weights: map[Dimension]decimal.Decimal{
			DimensionResponse: d("0.25"), DimensionQuality: d("0.35"),
			DimensionSatisfaction: d("0.20"), DimensionSecurity: d("0.20"),
		},
		Tiers: []Tier{
			{d("95"), d("1.00")}, {d("90"), d("0.98")}, {d("85"), d("0.95")},
			{d("80"), d("0.90")}, {d("70"), d("0.85")},
		},
		Below:            d("0.80"),
		ResponseFallback: ResponseFallbackSLA,
		ResponseNoneDue:  d("100"),
		SLADays: map[ObligationKind]int{
			ObligationProvision: 2, ObligationChange: 2, ObligationExit: 2, ObligationGoLive: 30,
		},
		IdleCPUAvgBelow:   d("5"),
		IdleCPUMaxBelow:   d("10"),
		IdleNetBytesBelow: 10 << 20,
		IdleDiskUsedBelow: d("5"),
		IdleMinDays:       30,
		ZombieMinDays:     90,
		ReclaimMinDays:    90,
		RectifyWorkdays:   10,
		ObjectionWorkdays: 10,
	}
}

// Coefficient returns the tier coefficient of an annual score, compared
// exactly with the tiers' minimums (an annual score of exactly 85 is in
// the ≥ 85 tier; one a hair below it, however it would round, is not).
func (p Policy) Coefficient(score *big.Rat) decimal.Decimal {
	for _, t := range p.Tiers {
		if score.Cmp(t.Min.Rat()) >= 0 {
			return t.Coefficient
		}
	}
	return p.Below
}

// policyKey is one key of the policy file: how to print and parse it.
type policyKey struct {
	name    string
	comment string
	get     func(p *Policy) string
	set     func(p *Policy, v string) error
}

func decKey(name, comment string, field func(p *Policy) *decimal.Decimal, lo, hi string) policyKey {
	return policyKey{name, comment,
		func(p *Policy) string { return field(p).String() },
		func(p *Policy, v string) error {
			x, err := parseDec(v, lo, hi)
			if err != nil {
				return err
			}
			*field(p) = x
			return nil
		}}
}

func intKey(name, comment string, field func(p *Policy) *int, lo int) policyKey {
	return policyKey{name, comment,
		func(p *Policy) string { return strconv.Itoa(*field(p)) },
		func(p *Policy, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo {
				return fmt.Errorf("%q is not a whole number ≥ %d", v, lo)
			}
			*field(p) = n
			return nil
		}}
}

// atLeast2 prints d with at least two decimals (0.20, not 0.2).
func atLeast2(d decimal.Decimal) string {
	if d.Exponent() < -2 {
		return d.String()
	}
	return d.StringFixed(2)
}

func parseDec(v, lo, hi string) (decimal.Decimal, error) {
	x, err := decimal.NewFromString(v)
	if err != nil {
		return x, fmt.Errorf("%q is not a decimal number", v)
	}
	if lo != "" && x.LessThan(decimal.RequireFromString(lo)) || hi != "" && x.GreaterThan(decimal.RequireFromString(hi)) {
		return x, fmt.Errorf("%s is outside %s..%s", v, lo, hi)
	}
	return x, nil
}

func weightKey(dim Dimension, comment string) policyKey {
	return policyKey{"weight." + string(dim), comment,
		func(p *Policy) string { return atLeast2(p.Weights[dim]) },
		func(p *Policy, v string) error {
			x, err := parseDec(v, "0", "1")
			if err != nil {
				return err
			}
			p.Weights[dim] = x
			return nil
		}}
}

func slaKey(kind ObligationKind, comment string) policyKey {
	return policyKey{"sla." + string(kind), comment,
		func(p *Policy) string { return strconv.Itoa(p.SLADays[kind]) },
		func(p *Policy, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a whole number ≥ 0", v)
			}
			p.SLADays[kind] = n
			return nil
		}}
}

var policyKeys = []policyKey{
	weightKey(DimensionResponse, "Dimension weights (Art. 26): quarter score = Σ weight × dimension score; they must add up to 1."),
	weightKey(DimensionQuality, ""), weightKey(DimensionSatisfaction, ""), weightKey(DimensionSecurity, ""),
	{name: "tiers", comment: "Coefficient tiers, highest first, as min_score:coefficient: an annual score ≥ min_score gets the coefficient.",
		get: func(p *Policy) string {
			parts := make([]string, len(p.Tiers))
			for i, t := range p.Tiers {
				parts[i] = t.Min.String() + ":" + atLeast2(t.Coefficient)
			}
			return strings.Join(parts, " ")
		},
		set: func(p *Policy, v string) error {
			var tiers []Tier
			for _, f := range strings.Fields(v) {
				a, b, ok := strings.Cut(f, ":")
				if !ok {
					return fmt.Errorf("%q is not min_score:coefficient", f)
				}
				lo, err := parseDec(a, "0", "100")
				if err != nil {
					return err
				}
				c, err := parseDec(b, "0", "")
				if err != nil {
					return err
				}
				if n := len(tiers); n > 0 && !lo.LessThan(tiers[n-1].Min) {
					return fmt.Errorf("tier %s is not below the previous tier %s: list tiers highest first", a, tiers[n-1].Min)
				}
				tiers = append(tiers, Tier{lo, c})
			}
			if len(tiers) == 0 {
				return fmt.Errorf("no tiers")
			}
			p.Tiers = tiers
			return nil
		}},
	{name: "tier.below", comment: "Coefficient of an annual score below the lowest tier.",
		get: func(p *Policy) string { return atLeast2(p.Below) },
		set: func(p *Policy, v string) error {
			x, err := parseDec(v, "0", "")
			p.Below = x
			return err
		}},
	{name: "response.fallback", comment: "A quarter without response scores: sla = 100 × the share of provision/change/exit obligations due in the quarter met on time; none = error.",
		get: func(p *Policy) string { return string(p.ResponseFallback) },
		set: func(p *Policy, v string) error {
			if f := ResponseFallback(v); f != ResponseFallbackSLA && f != ResponseFallbackNone {
				return fmt.Errorf("%q is not sla or none", v)
			}
			p.ResponseFallback = ResponseFallback(v)
			return nil
		}},
	decKey("response.none_due", "The response score of a quarter with no obligation due (fallback sla).",
		func(p *Policy) *decimal.Decimal { return &p.ResponseNoneDue }, "0", "100"),
	slaKey(ObligationProvision, "SLA limits in working days, counted from the working day after the start event (Art. 13–16):\n# provision approved → provisioned, change change_approved → changed, exit exit_approved → released,\n# go_live confirmed → live (the department's obligation, not in the provider's share)."),
	slaKey(ObligationChange, ""),
	slaKey(ObligationExit, ""),
	slaKey(ObligationGoLive, ""),
	decKey("idle.cpu_avg_below", "Idle day (Art. 27), compute kinds: cpu_avg_pct below this, cpu_max_pct below idle.cpu_max_below and network in+out below idle.net_bytes_below.",
		func(p *Policy) *decimal.Decimal { return &p.IdleCPUAvgBelow }, "0", "100"),
	decKey("idle.cpu_max_below", "", func(p *Policy) *decimal.Decimal { return &p.IdleCPUMaxBelow }, "0", "100"),
	{name: "idle.net_bytes_below", comment: "Network in + out bytes a day below which compute and network kinds are idle (10 MiB = 10485760).",
		get: func(p *Policy) string { return strconv.FormatInt(p.IdleNetBytesBelow, 10) },
		set: func(p *Policy, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a whole number of bytes", v)
			}
			p.IdleNetBytesBelow = n
			return nil
		}},
	decKey("idle.disk_used_below", "Storage kinds are idle when disk_used_pct is below this.",
		func(p *Policy) *decimal.Decimal { return &p.IdleDiskUsedBelow }, "0", "100"),
	intKey("idle.min_days", "An idle run is reported when it lasts at least this many days.", func(p *Policy) *int { return &p.IdleMinDays }, 1),
	intKey("zombie.min_days", "A system is a zombie when all its billable resources are idle this many consecutive days.", func(p *Policy) *int { return &p.ZombieMinDays }, 1),
	intKey("reclaim.min_days", "Idle runs this long (and zombies) are to be reclaimed; shorter ones rectified.", func(p *Policy) *int { return &p.ReclaimMinDays }, 1),
	intKey("rectify.working_days", "Working days allowed to rectify a shorter idle run.", func(p *Policy) *int { return &p.RectifyWorkdays }, 0),
	intKey("objection.working_days", "Working days after a statement's issue date within which a district or department may object to its bill.",
		func(p *Policy) *int { return &p.ObjectionWorkdays }, 1),
}

// PolicyError is a malformed policy file: the key and line at fault.
type PolicyError struct {
	Name string // file name
	Line int    // 0 when the fault is the policy as a whole
	Key  string
	Err  error
}

func (e *PolicyError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("policy %s: %s: %v", e.Name, e.Key, e.Err)
	}
	return fmt.Sprintf("policy %s:%d: %s: %v", e.Name, e.Line, e.Key, e.Err)
}

func (e *PolicyError) Unwrap() error { return e.Err }

// ParsePolicy reads a policy file: one "key = value" a line, # comments
// and blank lines ignored. Keys left out keep their defaults; an unknown,
// repeated or malformed key is an error naming the key and line.
func ParsePolicy(r io.Reader, name string) (Policy, error) {
	p := DefaultPolicy().clone()
	byName := map[string]policyKey{}
	for _, k := range policyKeys {
		byName[k.name] = k
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if i := strings.Index(text, "#"); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok {
			return Policy{}, &PolicyError{name, line, key, fmt.Errorf("expected key = value")}
		}
		k, known := byName[key]
		if !known {
			return Policy{}, &PolicyError{name, line, key, fmt.Errorf("unknown key")}
		}
		if prev, dup := seen[key]; dup {
			return Policy{}, &PolicyError{name, line, key, fmt.Errorf("repeated (first on line %d)", prev)}
		}
		seen[key] = line
		if err := k.set(&p, val); err != nil {
			return Policy{}, &PolicyError{name, line, key, err}
		}
	}
	if err := sc.Err(); err != nil {
		return Policy{}, fmt.Errorf("read policy %s: %w", name, err)
	}
	if err := p.Validate(); err != nil {
		if pe, ok := err.(*PolicyError); ok {
			pe.Name = name
			pe.Line = seen[pe.Key]
		}
		return Policy{}, err
	}
	return p, nil
}

// Validate checks the rules that involve several keys.
func (p Policy) Validate() error {
	sum := decimal.Zero
	for _, d := range Dimensions {
		sum = sum.Add(p.Weights[d])
	}
	if !sum.Equal(decimal.NewFromInt(1)) {
		return &PolicyError{Name: "policy", Key: "weight.response", Err: fmt.Errorf("the four weights add up to %s, not 1", sum)}
	}
	if len(p.Tiers) == 0 {
		return &PolicyError{Name: "policy", Key: "tiers", Err: fmt.Errorf("no tiers")}
	}
	if p.ReclaimMinDays < p.IdleMinDays {
		return &PolicyError{Name: "policy", Key: "reclaim.min_days", Err: fmt.Errorf("%d is below idle.min_days %d", p.ReclaimMinDays, p.IdleMinDays)}
	}
	return nil
}

func (p Policy) clone() Policy {
	q := p
	q.Weights = map[Dimension]decimal.Decimal{}
	for k, v := range p.Weights {
		q.Weights[k] = v
	}
	q.Tiers = append([]Tier(nil), p.Tiers...)
	q.SLADays = map[ObligationKind]int{}
	for k, v := range p.SLADays {
		q.SLADays[k] = v
	}
	return q
}

// String is the canonical text of the policy: every key in a fixed order
// with its comment, parseable by ParsePolicy. It is printed on the
// evaluation report and stored with each statement.
func (p Policy) String() string {
	var b strings.Builder
	b.WriteString("# cloudbill evaluation policy (key = value; see docs/policy.md)\n")
	for _, k := range policyKeys {
		if k.comment != "" {
			b.WriteString("\n# " + k.comment + "\n")
		}
		fmt.Fprintf(&b, "%s = %s\n", k.name, k.get(&p))
	}
	return b.String()
}

// IdleKey is the policy's idle-day thresholds as policy lines: what a
// stored summary of idle days was computed with. ParsePolicy reads it back.
func (p Policy) IdleKey() string {
	var b strings.Builder
	for _, k := range policyKeys {
		switch k.name {
		case "idle.cpu_avg_below", "idle.cpu_max_below", "idle.net_bytes_below", "idle.disk_used_below":
			fmt.Fprintf(&b, "%s = %s\n", k.name, k.get(&p))
		}
	}
	return b.String()
}
