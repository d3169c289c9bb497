package evaluation

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicyRoundTrip(t *testing.T) {
	def := DefaultPolicy()
	p, err := ParsePolicy(strings.NewReader(def.String()), "default")
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != def.String() {
		t.Fatalf("round trip changed the policy:\n%s\nvs\n%s", p.String(), def.String())
	}
	for _, want := range []string{"weight.quality = 0.35", "tiers = 95:1.00 90:0.98 85:0.95 80:0.90 70:0.85", "tier.below = 0.80",
		"sla.go_live = 30", "idle.net_bytes_below = 10485760", "zombie.min_days = 90", "rectify.working_days = 10"} {
		if !strings.Contains(def.String(), want) {
			t.Errorf("canonical text lacks %q", want)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader("\ufeff# mine\nidle.min_days = 20 # shorter\n\ntiers = 90:1 0:0.9\n"), "my.policy")
	if err != nil {
		t.Fatal(err)
	}
	if p.IdleMinDays != 20 || len(p.Tiers) != 2 || p.ZombieMinDays != 90 {
		t.Fatalf("parsed %+v", p)
	}
	for _, tc := range []struct{ name, text, key, line string }{
		{"bad number", "a=1\n", "a", ":1:"},
		{"malformed value", "# x\nidle.cpu_avg_below = five\n", "idle.cpu_avg_below", ":2:"},
		{"no equals", "idle.min_days 30\n", "idle.min_days 30", ":1:"},
		{"repeated", "sla.exit = 2\nsla.exit = 3\n", "sla.exit", ":2:"},
		{"tiers out of order", "tiers = 80:0.9 90:1\n", "tiers", ":1:"},
		{"weights not adding to 1", "\nweight.quality = 0.5\n", "weight.response", ""},
		{"negative", "zombie.min_days = -1\n", "zombie.min_days", ":1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(tc.text), "my.policy")
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Key != tc.key || !strings.Contains(err.Error(), "my.policy"+tc.line) {
				t.Fatalf("error %v, want key %q at %q", err, tc.key, tc.line)
			}
		})
	}
}
