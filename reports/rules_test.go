package reports

import (
	"testing"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// The documents word the suggested actions with the policy stored with
// the statement: its deadline to rectify and its reclaim threshold.
func TestFindingActionFollowsThePolicy(t *testing.T) {
	p := evaluation.DefaultPolicy()
	p.RectifyWorkdays, p.ReclaimMinDays = 15, 60
	b := &Bundle{Statement: &billing.Statement{Policy: p.String()}}
	rules := b.rules()
	idle := func(days int, action evaluation.Action) evaluation.Finding {
		return evaluation.Finding{Kind: evaluation.FindingIdle, FirstDay: metering.MustDate("2024-01-01"), Days: days, Action: action}
	}
	for _, c := range []struct {
		name string
		f    evaluation.Finding
		want string
	}{
		{"stored rectify", idle(45, evaluation.ActionRectify), "15 个工作日内整改"},
		{"stored reclaim", idle(45, evaluation.ActionReclaim), "回收资源"},
		{"no stored action, under reclaim.min_days", idle(59, ""), "15 个工作日内整改"},
		{"no stored action, at reclaim.min_days", idle(60, ""), "回收资源"},
		{"zombie", evaluation.Finding{Kind: evaluation.FindingZombie}, "回收资源"},
	} {
		if got := findingAction(c.f, rules); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// no policy stored (or a text that is not a policy file): the defaults, 10 working days
	for _, text := range []string{"", "weights: response 0.25"} {
		b := &Bundle{Statement: &billing.Statement{Policy: text}}
		if got := findingAction(idle(45, evaluation.ActionRectify), b.rules()); got != "10 个工作日内整改" {
			t.Errorf("policy %q: %q", text, got)
		}
	}
	if got := bytesText(10 << 20); got != "10 MiB" {
		t.Errorf("bytesText = %q", got)
	}
	if got := bytesText(1000); got != "1000 字节" {
		t.Errorf("bytesText = %q", got)
	}
}
