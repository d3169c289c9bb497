package reports

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// money formats an amount with thousands separators and two decimals.
func money(d decimal.Decimal) string { return group(d.StringFixed(2)) }

// number formats a quantity exactly, with thousands separators.
func number(d decimal.Decimal) string { return group(d.String()) }

// score formats a score with two decimals (scores are compared unrounded).
func score(d decimal.Decimal) string { return d.StringFixed(2) }

// price formats a unit price: at least two decimals, all of its own.
func price(d decimal.Decimal) string {
	places := int32(2)
	if e := -d.Exponent(); e > places {
		places = e
	}
	return group(d.StringFixed(places))
}

// group inserts thousands separators into a plain decimal string.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	if len(intPart) <= 3 {
		return sign + s
	}
	var sb strings.Builder
	sb.WriteString(sign)
	first := len(intPart) % 3
	if first > 0 {
		sb.WriteString(intPart[:first])
	}
	for i := first; i < len(intPart); i += 3 {
		if sb.Len() > len(sign) {
			sb.WriteByte(',')
		}
		sb.WriteString(intPart[i : i+3])
	}
	sb.WriteString(frac)
	return sb.String()
}

// chineseDate is 2025 年 1 月 15 日.
func chineseDate(t time.Time) string {
	t = t.In(metering.Shanghai)
	return t.Format("2006 年 1 月 2 日")
}

var kindNames = map[string]string{
	"idle":            "闲置资源",
	"zombie":          "僵尸系统",
	"beyond_approval": "超批复使用",
	"gap":             "计量缺失",
	"unconfirmed":     "未确认交付即计量",
	"after_release":   "释放后仍有计量",
	"provision":       "开通",
	"change":          "变更",
	"exit":            "退出",
	"go_live":         "上线",
	"on_time":         "按时",
	"late":            "逾期完成",
	"open":            "未到期",
	"overdue":         "逾期未完成",
}

func kindName(k string) string { return orCode(kindNames[k], k) }

var dimensionNames = map[string]string{
	"response":     "服务响应",
	"quality":      "服务质量",
	"satisfaction": "服务满意度",
	"security":     "安全管理",
	"department":   "使用部门",
	"third_party":  "第三方",
	"public":       "社会公众",
}

func dimensionName(k string) string { return orCode(dimensionNames[k], k) }

var cycleNames = map[string]string{"year": "年", "month": "月", "day": "日"}

// action turns a finding's suggested action into Chinese, with the
// policy's deadline to rectify.
func action(a evaluation.Action, p evaluation.Policy) string {
	switch evaluation.Action(strings.ToLower(string(a))) {
	case evaluation.ActionRectify:
		return fmt.Sprintf("%d 个工作日内整改", p.RectifyWorkdays)
	case evaluation.ActionReclaim:
		return "回收资源"
	}
	return string(a)
}

// runRat is a run's exact amount from the factors a bill prints beside it:
// quantity × price × days ÷ cycle days (docs/rules.md §3).
func runRat(r billing.Run) *big.Rat {
	x := new(big.Rat).Mul(r.Quantity.Rat(), r.Price.Rat())
	x.Mul(x, big.NewRat(int64(r.Days), 1))
	if r.CycleDays > 0 {
		x.Quo(x, big.NewRat(int64(r.CycleDays), 1))
	}
	return x
}

// exactPlaces is how many decimals an exact amount prints before it is cut
// off with "…".
const exactPlaces = 6

// exact formats an exact amount with thousands separators: all its
// decimals (at least two) when it has at most six, else six decimals cut
// off and followed by "…" (716.065573…), as docs/rules.md writes them.
func exact(x *big.Rat) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(exactPlaces), nil)
	n := new(big.Int).Mul(x.Num(), scale)
	q, rem := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
	d := decimal.NewFromBigInt(q, -exactPlaces)
	if rem.Sign() != 0 {
		return group(d.StringFixed(exactPlaces)) + "…"
	}
	places := int32(2)
	for p := int32(exactPlaces); p > 2; p-- {
		if !d.Equal(d.Truncate(p - 1)) {
			places = p
			break
		}
	}
	return group(d.StringFixed(places))
}

// monthDay is 09-01.
func monthDay(d metering.Date) string { return d.String()[5:] }

var categoryNames = map[string]string{
	"compute": "计算", "storage": "存储", "network": "网络", "database": "数据库",
	"middleware": "中间件", "security": "安全", "service": "服务",
}

// categoryName is the Chinese name of a catalogue category code (the code
// itself when it is already a name or unknown).
func categoryName(c string) string { return orCode(categoryNames[strings.ToLower(c)], c) }

// unitText is how a price is quoted: 元/核·年.
func unitText(unit string, c billing.Cycle) string {
	if unit == "" {
		unit = "单位"
	}
	return "元/" + unit + "·" + orCode(cycleNames[string(c)], string(c))
}

// atLeast2 prints d with at least two decimals (0.20, not 0.2), all of its own.
func atLeast2(d decimal.Decimal) string {
	if d.Exponent() < -2 {
		return d.String()
	}
	return d.StringFixed(2)
}
