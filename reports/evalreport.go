package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
)

// slaQuarter is the on-time record of one provider in one quarter.
type slaQuarter struct {
	provider, quarter string
	due, onTime       int
}

func (s slaQuarter) share() string {
	if s.due == 0 {
		return "100.00%"
	}
	return decimal.NewFromInt(int64(s.onTime)).Mul(decimal.NewFromInt(100)).
		Div(decimal.NewFromInt(int64(s.due))).StringFixed(2) + "%"
}

// slaByQuarter counts the provider's obligations due in each quarter of year.
func slaByQuarter(obs []evaluation.Obligation, year int) []slaQuarter {
	by := map[[2]string]*slaQuarter{}
	for _, o := range obs {
		if !evaluation.IsProviderObligation(o.Kind) || o.Due.Year() != year {
			continue
		}
		k := [2]string{o.ProviderCode, evaluation.Quarter(o.Due)}
		s := by[k]
		if s == nil {
			s = &slaQuarter{provider: k[0], quarter: k[1]}
			by[k] = s
		}
		if o.Status == evaluation.ObligationOpen {
			continue
		}
		s.due++
		if o.Status == evaluation.ObligationOnTime {
			s.onTime++
		}
	}
	out := make([]slaQuarter, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].provider != out[j].provider {
			return out[i].provider < out[j].provider
		}
		return out[i].quarter < out[j].quarter
	})
	return out
}

// renderEvaluation lays out evaluation-Y.pdf: scores, SLA compliance and
// how each provider's coefficient was derived.
func renderEvaluation(b *Bundle, dir *directory, font Font) ([]byte, error) {
	st := b.Statement
	title := "大同市政务云服务商年度考核报告"
	d, err := newDoc(font, b.meta(title))
	if err != nil {
		return nil, err
	}
	d.title(title, fmt.Sprintf("（%d 年度）", st.Year))
	asOf := "—"
	if b.AsOf != 0 {
		asOf = b.AsOf.String()
	}
	d.kv("考核年度", fmt.Sprintf("%d 年", st.Year), "依据", "管理办法第十三、十五、十六、二十六条",
		"结算版本", fmt.Sprintf("第 %d 版（%s）", st.Version, statusName(st)), "履约判定日", asOf)
	d.gap(2)

	provs := append([]billing.ProviderEvaluation(nil), st.Providers...)
	sort.Slice(provs, func(i, j int) bool { return provs[i].ProviderCode < provs[j].ProviderCode })

	d.section("一、考核得分（按服务商、季度、维度）")
	spec := []column{codeCol("季度", 22, "L")}
	for _, dim := range evaluation.Dimensions {
		spec = append(spec, codeCol(dimensionName(string(dim)), 26, "R"))
	}
	spec = append(spec, codeCol("季度得分", 26, "R"))
	d.table(cols(spec...))
	for _, p := range provs {
		d.row(rowGroup, "服务商："+dir.providerName(p.ProviderCode))
		qs := append([]billing.QuarterScore(nil), p.Quarters...)
		sort.Slice(qs, func(i, j int) bool { return qs[i].Period < qs[j].Period })
		for _, q := range qs {
			cells := []string{q.Period}
			for _, dim := range evaluation.Dimensions {
				s := "—"
				if v, ok := q.Dimensions[string(dim)]; ok {
					s = score(v)
					if dim == evaluation.DimensionResponse && q.ResponseFromSLA {
						s += "（SLA）"
					}
				}
				cells = append(cells, s)
			}
			d.row(rowData, append(cells, score(q.Score))...)
		}
		d.row(rowSub, "年度得分", score(p.Annual))
		d.row(rowSub, "考核系数", p.Coefficient.StringFixed(2))
	}
	d.endTable()
	d.para("注：维度得分为各评价主体得分的平均值；标注（SLA）的服务响应得分由当季 SLA 按时完成率折算（100 × 按时率）。得分显示保留两位小数，计算与判档使用精确值。", sizeSmall)

	if len(b.Scores) > 0 {
		d.section("二、评价主体打分明细")
		d.table(cols(
			col("服务商", 52, "L"), codeCol("季度", 16, "L"), col("维度", 22, "L"),
			codeCol("使用部门", 20, "R"), codeCol("第三方", 20, "R"), codeCol("社会公众", 20, "R"), codeCol("维度得分", 20, "R")))
		type key struct{ prov, period, dim string }
		groups := map[key]map[string]decimal.Decimal{}
		var keys []key
		for _, s := range b.Scores {
			k := key{s.ProviderCode, s.Period, string(s.Dimension)}
			if groups[k] == nil {
				groups[k] = map[string]decimal.Decimal{}
				keys = append(keys, k)
			}
			groups[k][string(s.Evaluator)] = s.Score
		}
		dimOrder := map[string]int{}
		for i, dim := range evaluation.Dimensions {
			dimOrder[string(dim)] = i
		}
		sort.Slice(keys, func(i, j int) bool {
			a, c := keys[i], keys[j]
			if a.prov != c.prov {
				return a.prov < c.prov
			}
			if a.period != c.period {
				return a.period < c.period
			}
			return dimOrder[a.dim] < dimOrder[c.dim]
		})
		for _, k := range keys {
			g := groups[k]
			cells := []string{dir.providerName(k.prov), k.period, dimensionName(k.dim)}
			var present []decimal.Decimal
			for _, ev := range []evaluation.Evaluator{evaluation.EvaluatorDepartment, evaluation.EvaluatorThirdParty, evaluation.EvaluatorPublic} {
				if v, ok := g[string(ev)]; ok {
					cells = append(cells, score(v))
					present = append(present, v)
				} else {
					cells = append(cells, "—")
				}
			}
			mean := evaluation.RatDecimal(evaluation.DimensionScore(present))
			d.row(rowData, append(cells, score(mean))...)
		}
		d.endTable()
	}

	d.section("三、SLA 履约情况")
	sla := b.rules().SLADays
	limits := fmt.Sprint(sla[evaluation.ObligationProvision])
	if c, e := sla[evaluation.ObligationChange], sla[evaluation.ObligationExit]; c != sla[evaluation.ObligationProvision] || e != c {
		limits = fmt.Sprintf("分别 %d、%d、%d", sla[evaluation.ObligationProvision], c, e)
	}
	d.para(fmt.Sprintf("开通、变更、退出须在审核通过后 %s 个工作日内完成（第十三、十五、十六条），上线须在交付确认后 %d 个工作日内完成（第十四条，使用部门义务）。按时率 = 当季到期事项中按时完成的比例。",
		limits, sla[evaluation.ObligationGoLive]), sizeTable)
	d.gap(1)
	d.table(cols(
		col("服务商", 50, "L"), codeCol("季度", 24, "L"), codeCol("到期事项", 24, "R"),
		codeCol("按时完成", 24, "R"), codeCol("按时率", 24, "R")))
	qsla := slaByQuarter(b.Obligations, st.Year)
	for _, s := range qsla {
		d.row(rowData, dir.providerName(s.provider), s.quarter, fmt.Sprint(s.due), fmt.Sprint(s.onTime), s.share())
	}
	if len(qsla) == 0 {
		d.row(rowGroup, "本年度无到期的服务商履约事项。")
	}
	d.endTable()

	var late []evaluation.Obligation
	for _, o := range b.Obligations {
		if o.Status == evaluation.ObligationLate || o.Status == evaluation.ObligationOverdue {
			late = append(late, o)
		}
	}
	sortObligations(late)
	d.section(fmt.Sprintf("逾期事项清单（%d 项）", len(late)))
	d.table(cols(
		col("服务商", 30, "L"), col("资源", 30, "L"), col("事项", 18, "L"), codeCol("起算日", 20, "C"),
		codeCol("到期日", 20, "C"), codeCol("完成日", 20, "C"), col("状态", 18, "L"), codeCol("逾期工作日", 18, "R")))
	for _, o := range late {
		done := "—"
		if o.Done.Valid {
			done = o.Done.Date.String()
		}
		kind := kindName(string(o.Kind))
		if !evaluation.IsProviderObligation(o.Kind) {
			kind += "（部门）"
		}
		d.row(rowData, dir.providerName(o.ProviderCode), dir.resourceLabel(o.ResourceID), kind,
			o.Started.String(), o.Due.String(), done, kindName(string(o.Status)), fmt.Sprint(o.LateWorkingDays))
	}
	if len(late) == 0 {
		d.row(rowGroup, "无逾期事项。")
	}
	d.endTable()

	d.section("四、考核系数的确定")
	for _, p := range provs {
		qs := append([]billing.QuarterScore(nil), p.Quarters...)
		sort.Slice(qs, func(i, j int) bool { return qs[i].Period < qs[j].Period })
		var parts []string
		for _, q := range qs {
			parts = append(parts, q.Period+" "+score(q.Score))
		}
		d.para(fmt.Sprintf("%s：年度得分 = （%s）÷ %d = %s，对应考核系数 %s。", dir.providerName(p.ProviderCode),
			strings.Join(parts, " + "), len(qs), score(p.Annual), p.Coefficient.StringFixed(2)), sizeBody)
	}
	d.gap(1)
	d.para("季度得分 = Σ 维度权重 × 维度得分；维度得分 = 各评价主体得分的平均值；年度得分 = 各季度得分的平均值；考核系数取年度得分所在档位（得分不低于档位下限即入该档）。", sizeTable)
	d.policyTables(b)
	return d.bytes()
}

// sortObligations orders obligations for the reports: provider, due day,
// resource, kind.
func sortObligations(obs []evaluation.Obligation) {
	sort.Slice(obs, func(i, j int) bool {
		a, c := obs[i], obs[j]
		switch {
		case a.ProviderCode != c.ProviderCode:
			return a.ProviderCode < c.ProviderCode
		case a.Due != c.Due:
			return a.Due < c.Due
		case a.ResourceID != c.ResourceID:
			return a.ResourceID < c.ResourceID
		}
		return a.Kind < c.Kind
	})
}

// policyTables prints the policy in force as tables: the weight of each
// dimension (权重), the coefficient tiers (档位), and the other settings
// with their policy keys; the stored text as it is when it is not a
// policy file.
func (d *doc) policyTables(b *Bundle) {
	p, ok := b.parsedPolicy()
	d.section("五、考核政策")
	if !ok {
		if text := b.policy(); text != "" {
			d.para("本结算单所存考核政策文本如下（非标准政策文件，按原文列出）：", sizeTable)
			d.para(text, sizeSmall)
		} else {
			d.para("本结算单未存考核政策，适用默认政策（见 docs/policy.md）。", sizeTable)
		}
		return
	}
	d.para("本结算单适用的考核政策如下（政策文件随每一版本结算单保存）。", sizeTable)
	d.gap(1)
	d.table(cols(col("考核维度", 60, "L"), codeCol("权重", 30, "R"), codeCol("政策键", 50, "L")))
	sum := decimal.Zero
	for _, dim := range evaluation.Dimensions {
		d.row(rowData, dimensionName(string(dim)), atLeast2(p.Weights[dim]), "weight."+string(dim))
		sum = sum.Add(p.Weights[dim])
	}
	d.row(rowTotal, "合计", atLeast2(sum), "")
	d.endTable()

	d.table(cols(col("档位", 40, "L"), codeCol("年度得分不低于", 40, "R"), codeCol("考核系数", 30, "R")))
	for i, t := range p.Tiers {
		d.row(rowData, fmt.Sprintf("第 %d 档", i+1), t.Min.String(), t.Coefficient.StringFixed(2))
	}
	d.row(rowData, "低于最低档", "低于 "+p.Tiers[len(p.Tiers)-1].Min.String(), p.Below.StringFixed(2))
	d.endTable()

	fallback := "按当季 SLA 按时完成率折算（100 × 按时率）"
	if p.ResponseFallback == evaluation.ResponseFallbackNone {
		fallback = "不折算，缺失即不予结算"
	}
	days := func(n int) string { return fmt.Sprintf("%d 个工作日", n) }
	pct := func(x decimal.Decimal) string { return x.String() + "%" }
	d.table(cols(col("其他参数", 78, "L"), col("取值", 52, "L"), codeCol("政策键", 50, "L")))
	for _, r := range [][3]string{
		{"季度无服务响应评分时", fallback, "response.fallback"},
		{"当季无到期履约事项时的服务响应得分", p.ResponseNoneDue.String(), "response.none_due"},
		{"开通时限（第十三条，审核通过至开通）", days(p.SLADays[evaluation.ObligationProvision]), "sla.provision"},
		{"变更时限（第十五条，变更审核至变更完成）", days(p.SLADays[evaluation.ObligationChange]), "sla.change"},
		{"退出时限（第十六条，退出审核至回收）", days(p.SLADays[evaluation.ObligationExit]), "sla.exit"},
		{"上线时限（第十四条，交付确认至上线，使用部门义务）", days(p.SLADays[evaluation.ObligationGoLive]), "sla.go_live"},
		{"闲置判定：计算类 CPU 平均利用率低于", pct(p.IdleCPUAvgBelow), "idle.cpu_avg_below"},
		{"闲置判定：计算类 CPU 峰值利用率低于", pct(p.IdleCPUMaxBelow), "idle.cpu_max_below"},
		{"闲置判定：计算类与网络类日网络流量低于", bytesText(p.IdleNetBytesBelow), "idle.net_bytes_below"},
		{"闲置判定：存储类使用率低于", pct(p.IdleDiskUsedBelow), "idle.disk_used_below"},
		{"闲置资源起报（连续闲置天数）", fmt.Sprintf("%d 天", p.IdleMinDays), "idle.min_days"},
		{"僵尸系统起报（全部资源连续闲置天数）", fmt.Sprintf("%d 天", p.ZombieMinDays), "zombie.min_days"},
		{"建议回收（连续闲置天数）", fmt.Sprintf("%d 天及以上", p.ReclaimMinDays), "reclaim.min_days"},
		{"整改期限（闲置天数不足回收标准的）", days(p.RectifyWorkdays), "rectify.working_days"},
		{"账单异议期限（自结算单签发之日起）", days(p.ObjectionWorkdays), "objection.working_days"},
	} {
		d.row(rowData, r[0], r[1], r[2])
	}
	d.endTable()
	d.para("工作日按当年节假日安排计算：起算日不计，自其后第一个工作日起算（结算规则第七条）。", sizeSmall)
}
