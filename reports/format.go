package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

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
