package web

import (
	"fmt"
	"html/template"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// funcs are the templates' helpers: number formats as on the PDFs
// (thousands separators, two decimals for money), dates in Asia/Shanghai,
// path escaping and the Chinese names of codes.
var funcs = template.FuncMap{
	"money":    money,
	"number":   number,
	"score":    func(d decimal.Decimal) string { return d.StringFixed(2) },
	"exact":    exact,
	"rat":      ratText,
	"pct":      func(d decimal.Decimal) string { return d.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%" },
	"date":     func(d metering.Date) string { return d.String() },
	"instant":  instant,
	"p":        url.PathEscape,
	"status":   statusName,
	"kind":     findingKind,
	"action":   actionName,
	"event":    eventName,
	"role":     func(s Scope) string { return s.Role.Label() },
	"dim":      dimensionName,
	"group":    evaluatorName,
	"oblig":    obligationName,
	"ostatus":  obligationStatus,
	"add":      func(a, b int) int { return a + b },
	"nulldec":  func(d decimal.NullDecimal) string { return nullDec(d) },
	"nulldate": func(d metering.NullDate) string { return nullDate(d) },
}

func money(d decimal.Decimal) string { return group(d.StringFixed(2)) }

func number(d decimal.Decimal) string { return group(d.String()) }

// exact prints a stored exact amount with all its stored digits.
func exact(d decimal.Decimal) string {
	s := d.String()
	if !strings.Contains(s, ".") {
		s += ".00"
	}
	return group(s)
}

func nullDec(d decimal.NullDecimal) string {
	if !d.Valid {
		return "—"
	}
	return number(d.Decimal)
}

func nullDate(d metering.NullDate) string {
	if !d.Valid {
		return "—"
	}
	return d.Date.String()
}

func instant(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(metering.Shanghai).Format("2006-01-02 15:04:05")
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
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}

func statusName(s billing.StatementStatus) string {
	switch s {
	case billing.StatementStatusIssued:
		return "已签发"
	case billing.StatementStatusDraft:
		return "草稿"
	}
	return string(s)
}

func findingKind(k evaluation.FindingKind) string {
	switch k {
	case evaluation.FindingIdle:
		return "闲置资源"
	case evaluation.FindingZombie:
		return "僵尸系统"
	case evaluation.FindingBeyondApproval:
		return "超批复使用"
	case evaluation.FindingGap:
		return "计量缺失"
	case evaluation.FindingUnconfirmed:
		return "未确认交付即计量"
	case evaluation.FindingAfterRelease:
		return "释放后仍有计量"
	}
	return string(k)
}

func actionName(a evaluation.Action) string {
	switch a {
	case evaluation.ActionRectify:
		return "限期整改"
	case evaluation.ActionReclaim:
		return "回收资源"
	case "":
		return "—"
	}
	return string(a)
}

func eventName(k metering.EventKind) string {
	return map[metering.EventKind]string{
		metering.EventApplied: "申请", metering.EventApproved: "审核批复", metering.EventProvisioned: "开通",
		metering.EventConfirmed: "交付确认", metering.EventLive: "上线", metering.EventChangeApproved: "变更审核",
		metering.EventChanged: "变更实施", metering.EventExitApproved: "退出审核", metering.EventReleased: "回收释放",
	}[k]
}

func dimensionName(d evaluation.Dimension) string {
	return map[evaluation.Dimension]string{
		evaluation.DimensionResponse: "服务响应", evaluation.DimensionQuality: "服务质量",
		evaluation.DimensionSatisfaction: "服务满意度", evaluation.DimensionSecurity: "安全管理",
	}[d]
}

func evaluatorName(e evaluation.Evaluator) string {
	return map[evaluation.Evaluator]string{
		evaluation.EvaluatorDepartment: "使用部门", evaluation.EvaluatorThirdParty: "第三方", evaluation.EvaluatorPublic: "社会公众",
	}[e]
}

func obligationName(k evaluation.ObligationKind) string {
	return map[evaluation.ObligationKind]string{
		evaluation.ObligationProvision: "开通", evaluation.ObligationChange: "变更", evaluation.ObligationExit: "退出", evaluation.ObligationGoLive: "上线",
	}[k]
}

func obligationStatus(s evaluation.ObligationStatus) string {
	return map[evaluation.ObligationStatus]string{
		evaluation.ObligationOnTime: "按时", evaluation.ObligationLate: "逾期完成", evaluation.ObligationOpen: "进行中", evaluation.ObligationOverdue: "已逾期",
	}[s]
}

// versionQuery is the query naming a statement version on links.
func versionQuery(v int) string { return fmt.Sprintf("?version=%d", v) }

// ratText prints an exact fraction as a decimal: exactly when it has at
// most 6 decimals, else rounded to 6 and marked ≈.
func ratText(r *big.Rat) string {
	s := r.FloatString(6)
	back, _ := new(big.Rat).SetString(s)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if back.Cmp(r) != 0 {
		return "≈ " + group(s)
	}
	return group(s)
}

// htmlEscaper escapes as html/template does text and quoted attribute
// values, for the HTML the pages write in Go (the line's calendar, the
// district's rows).
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }
