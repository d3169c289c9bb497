package reports

import (
	"testing"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

func TestCapital(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "零元整"},
		{"0.00", "零元整"},
		{"0.05", "伍分"},
		{"0.50", "伍角整"},
		{"0.55", "伍角伍分"},
		{"1", "壹元整"},
		{"1.05", "壹元零伍分"},
		{"1.50", "壹元伍角整"},
		{"10.00", "壹拾元整"},
		{"10.50", "壹拾元伍角整"},
		{"15", "壹拾伍元整"},
		{"105", "壹佰零伍元整"},
		{"1005", "壹仟零伍元整"},
		{"1010", "壹仟零壹拾元整"},
		{"1100", "壹仟壹佰元整"},
		{"10005", "壹万零伍元整"},
		{"100000", "壹拾万元整"},
		{"100300.00", "壹拾万零叁佰元整"},
		{"101000", "壹拾万壹仟元整"},
		{"110000", "壹拾壹万元整"},
		{"1000010", "壹佰万零壹拾元整"},
		{"1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"},
		{"100000001", "壹亿零壹元整"},
		{"100010000", "壹亿零壹万元整"},
		{"110000000", "壹亿壹仟万元整"},
		{"1000000000.01", "壹拾亿元零壹分"},
		{"1000100000000", "壹万零壹亿元整"},
		{"9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
		{"-3.20", "负叁元贰角整"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := Capital(decimal.RequireFromString(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Capital(%s) = %s, want %s", c.in, got, c.want)
			}
		})
	}
	for _, bad := range []string{"0.001", "10000000000000000"} {
		t.Run("error "+bad, func(t *testing.T) {
			if s, err := Capital(decimal.RequireFromString(bad)); err == nil {
				t.Errorf("Capital(%s) = %s, want an error", bad, s)
			}
		})
	}
}

func TestPolicySummary(t *testing.T) {
	text := "# comment\nweight.response = 0.30\nweight.quality = 0.30\n\ntiers = 95:1.00 90:0.98\ntier.below = 0.80\nidle.min_days = 30\n"
	b := &Bundle{Statement: &billing.Statement{Policy: text}}
	want := "维度权重 服务响应 0.30、服务质量 0.30、服务满意度 0.20、安全管理 0.20；考核系数档位（年度得分）≥ 95 → 1.00、≥ 90 → 0.98、低于 90 → 0.80。"
	if got := policySummary(b); got != want {
		t.Errorf("policySummary = %q, want %q", got, want)
	}
	b.Statement.Policy = "free text"
	if got := policySummary(b); got != "free text" {
		t.Errorf("policySummary of free text = %q", got)
	}
}
