package reports

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

var (
	capDigits = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capMax    = decimal.New(1, 16) // 壹亿亿: beyond any settlement
)

// Capital writes an amount in 元 in Chinese capital numerals (人民币大写)
// following the 会计基础工作规范 rules: 壹拾 (never a bare 拾) for tens; one
// 零 for a run of zeros inside the number, and where a 万 or 亿 group starts
// with zeros; 整 after 元 or 角, none after 分; 零 between 元 and 分 when 角
// is zero. 0 → 零元整, 0.05 → 伍分, 100300 → 壹拾万零叁佰元整,
// 1000000000.01 → 壹拾亿元零壹分. A negative amount is prefixed with 负.
// Amounts with non-zero digits beyond 分 are an error: round first.
func Capital(d decimal.Decimal) (string, error) {
	if !d.Equal(d.Round(2)) {
		return "", fmt.Errorf("capital numerals: %s has more than two decimals", d)
	}
	sign := ""
	if d.IsNegative() {
		sign, d = "负", d.Neg()
	}
	if d.GreaterThanOrEqual(capMax) {
		return "", fmt.Errorf("capital numerals: %s is too large", d)
	}
	fen := d.Shift(2).IntPart() // < 1e18 fits int64
	yuan, jiao, f := uint64(fen/100), fen/10%10, fen%10
	if yuan == 0 && jiao == 0 && f == 0 {
		return "零元整", nil
	}
	var sb strings.Builder
	sb.WriteString(sign)
	if yuan > 0 {
		sb.WriteString(capInt(yuan))
		sb.WriteString("元")
	}
	switch {
	case jiao > 0:
		sb.WriteString(capDigits[jiao] + "角")
	case f > 0 && yuan > 0:
		sb.WriteString("零")
	}
	if f > 0 {
		sb.WriteString(capDigits[f] + "分")
	} else {
		sb.WriteString("整")
	}
	return sb.String(), nil
}

// capInt writes 0 < n < 1e16.
func capInt(n uint64) string {
	switch {
	case n >= 1e8:
		return capSplit(n, 1e8, "亿")
	case n >= 1e4:
		return capSplit(n, 1e4, "万")
	}
	return capGroup(n)
}

// capSplit writes n as its part above unit, the unit name, then the rest,
// with one 零 where the rest starts with a zero.
func capSplit(n, unit uint64, name string) string {
	hi, lo := n/unit, n%unit
	s := capInt(hi) + name
	if lo == 0 {
		return s
	}
	if lo < unit/10 {
		s += "零"
	}
	return s + capInt(lo)
}

// capGroup writes 0 < n < 10000.
func capGroup(n uint64) string {
	var sb strings.Builder
	started, zero := false, false
	for _, p := range []struct {
		v    uint64
		name string
	}{{1000, "仟"}, {100, "佰"}, {10, "拾"}, {1, ""}} {
		dgt := n / p.v % 10
		if dgt == 0 {
			zero = started
			continue
		}
		if zero {
			sb.WriteString("零")
			zero = false
		}
		sb.WriteString(capDigits[dgt] + p.name)
		started = true
	}
	return sb.String()
}
