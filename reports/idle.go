package reports

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
)

var kindOrder = map[evaluation.FindingKind]int{
	evaluation.FindingIdle: 0, evaluation.FindingZombie: 1, evaluation.FindingBeyondApproval: 2,
	evaluation.FindingUnconfirmed: 3, evaluation.FindingAfterRelease: 4, evaluation.FindingGap: 5,
}

// findingAction is the finding's suggested action, in Chinese, under
// policy p (that of the documents, Bundle.rules).
func findingAction(f evaluation.Finding, p evaluation.Policy) string {
	if f.Action != "" {
		return action(f.Action, p)
	}
	switch f.Kind {
	case evaluation.FindingIdle:
		return action(p.IdleAction(f.Days), p)
	case evaluation.FindingZombie:
		return action(evaluation.ActionReclaim, p)
	case evaluation.FindingBeyondApproval:
		return "核减至批复用量或补办变更审核"
	case evaluation.FindingGap:
		return "核查计量数据"
	case evaluation.FindingUnconfirmed:
		return "补办交付确认或停止计量"
	case evaluation.FindingAfterRelease:
		return "核查资源是否已回收"
	}
	return ""
}

// bytesText is a byte count in MiB when it is a whole number of them.
func bytesText(n int64) string {
	if n > 0 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d 字节", n)
}

// sortedFindings returns the findings by district, department, kind, system,
// resource, item and first day, each with its district filled in.
func sortedFindings(fs []evaluation.Finding, dir *directory) []evaluation.Finding {
	out := append([]evaluation.Finding(nil), fs...)
	for i := range out {
		if out[i].DistrictCode == "" {
			out[i].DistrictCode = dir.department[out[i].DepartmentCode].DistrictCode
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.DistrictCode != b.DistrictCode:
			return a.DistrictCode < b.DistrictCode
		case a.DepartmentCode != b.DepartmentCode:
			return a.DepartmentCode < b.DepartmentCode
		case a.Kind != b.Kind:
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		case a.SystemID != b.SystemID:
			return a.SystemID < b.SystemID
		case a.ResourceID != b.ResourceID:
			return a.ResourceID < b.ResourceID
		case a.ItemCode != b.ItemCode:
			return a.ItemCode < b.ItemCode
		}
		return a.FirstDay < b.FirstDay
	})
	return out
}

// districtIdle is one district's findings summary.
type districtIdle struct {
	code                   string
	idleN, zombieN, otherN int
	idle, zombie           decimal.Decimal
}

func idleByDistrict(fs []evaluation.Finding, codes []string) []districtIdle {
	by := map[string]*districtIdle{}
	for _, c := range codes {
		by[c] = &districtIdle{code: c}
	}
	for _, f := range fs {
		s := by[f.DistrictCode]
		if s == nil {
			s = &districtIdle{code: f.DistrictCode}
			by[f.DistrictCode] = s
		}
		switch f.Kind {
		case evaluation.FindingIdle:
			s.idleN++
			s.idle = s.idle.Add(f.Amount)
		case evaluation.FindingZombie:
			s.zombieN++
			s.zombie = s.zombie.Add(f.Amount)
		default:
			s.otherN++
		}
	}
	out := make([]districtIdle, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	return out
}

// renderIdle lays out idle-Y.pdf: the resource-use findings (Art. 27).
func renderIdle(b *Bundle, dir *directory, font Font) ([]byte, error) {
	st := b.Statement
	title := "大同市政务云资源使用评估报告"
	d, err := newDoc(font, b.meta(title))
	if err != nil {
		return nil, err
	}
	d.title(title, fmt.Sprintf("（闲置资源、僵尸系统与异常计量 · %d 年度）", st.Year))
	fs := sortedFindings(b.Findings, dir)
	p := b.rules()
	d.kv("评估年度", fmt.Sprintf("%d 年", st.Year), "依据", "管理办法第二十七条",
		"发现总数", fmt.Sprintf("%d 项", len(fs)), "结算版本", fmt.Sprintf("第 %d 版（%s）", st.Version, statusName(st)))
	net := bytesText(p.IdleNetBytesBelow)
	d.para(fmt.Sprintf("闲置：计算类资源 CPU 平均利用率 < %s%%、峰值 < %s%% 且网络流量 < %s，存储类使用率 < %s%%，网络类流量 < %s，",
		p.IdleCPUAvgBelow, p.IdleCPUMaxBelow, net, p.IdleDiskUsedBelow, net)+
		fmt.Sprintf("连续 %d 天及以上；僵尸系统：系统全部计费资源连续 %d 天及以上闲置。闲置 %d 至 %d 天建议 %s，%d 天及以上或僵尸系统建议回收。",
			p.IdleMinDays, p.ZombieMinDays, p.IdleMinDays, p.ReclaimMinDays-1, action(evaluation.ActionRectify, p), p.ReclaimMinDays)+
		"超批复使用、未确认交付即计量、释放后仍有计量的金额为按目录价格计算的参考值，不予支付。", sizeTable)
	d.gap(2)

	var codes []string
	for _, r := range st.Districts {
		codes = append(codes, r.DistrictCode)
	}
	sums := idleByDistrict(fs, codes)
	d.section("一、各县区汇总")
	d.table(cols(
		col("县区", 40, "L"), codeCol("闲置资源（项）", 22, "R"), codeCol("闲置金额（元）", 30, "R"),
		codeCol("僵尸系统（个）", 22, "R"), codeCol("僵尸系统金额（元）", 30, "R"), codeCol("其他发现（项）", 22, "R")))
	var tot districtIdle
	for _, s := range sums {
		d.row(rowData, dir.districtName(s.code), fmt.Sprint(s.idleN), money(s.idle), fmt.Sprint(s.zombieN), money(s.zombie), fmt.Sprint(s.otherN))
		tot.idleN += s.idleN
		tot.zombieN += s.zombieN
		tot.otherN += s.otherN
		tot.idle, tot.zombie = tot.idle.Add(s.idle), tot.zombie.Add(s.zombie)
	}
	d.row(rowTotal, "合计", fmt.Sprint(tot.idleN), money(tot.idle), fmt.Sprint(tot.zombieN), money(tot.zombie), fmt.Sprint(tot.otherN))
	d.endTable()

	d.barChart("二、各县区闲置资源金额", sums, dir)

	d.section("三、发现明细（按县区、部门）")
	d.table(cols(
		col("类型", 18, "L"), col("系统 / 资源", 44, "L"), codeCol("计费项", 16, "L"), codeCol("起止日期", 20, "C"),
		codeCol("天数", 10, "R"), codeCol("金额（元）", 22, "R"), col("建议措施", 28, "L")))
	for i := 0; i < len(fs); {
		dist := fs[i].DistrictCode
		d.group(0, fmt.Sprintf("%s %s", dist, dir.districtName(dist)))
		var distIdle decimal.Decimal
		for i < len(fs) && fs[i].DistrictCode == dist {
			dept := fs[i].DepartmentCode
			d.group(1, fmt.Sprintf("部门：%s %s", dept, dir.departmentName(dept)))
			var deptIdle decimal.Decimal
			for ; i < len(fs) && fs[i].DistrictCode == dist && fs[i].DepartmentCode == dept; i++ {
				f := fs[i]
				what := f.SystemID + " " + dir.systemName(f.SystemID)
				if f.ResourceID != "" {
					what = dir.resourceLabel(f.ResourceID)
				}
				d.row(rowData, kindName(string(f.Kind)), what, f.ItemCode, f.FirstDay.String()+"\n"+f.LastDay.String(),
					fmt.Sprint(f.Days), money(f.Amount), findingAction(f, p))
				if f.Kind == evaluation.FindingIdle {
					deptIdle = deptIdle.Add(f.Amount)
				}
			}
			d.row(rowSub, "", "部门闲置金额小计", "", "", "", money(deptIdle), "")
			distIdle = distIdle.Add(deptIdle)
		}
		d.row(rowSub, "", dir.districtName(dist)+" 闲置金额合计", "", "", "", money(distIdle), "")
	}
	d.row(rowTotal, "", "全市闲置金额合计", "", "", "", money(tot.idle), "")
	d.endTable()
	return d.bytes()
}

// barChart draws idle money per district as horizontal bars, a district's
// name wrapping beside its bar. The chart is kept on one page with its
// title.
func (d *doc) barChart(title string, sums []districtIdle, dir *directory) {
	const labelW, valueW, barH, minStep = 34.0, 30.0, 5.0, 7.5
	plotW := contentW - labelW - valueW
	max := decimal.Zero
	for _, s := range sums {
		if s.idle.GreaterThan(max) {
			max = s.idle
		}
	}
	labels := make([]cell, len(sums))
	steps := make([]float64, len(sums))
	plotH := 0.0
	for i, s := range sums {
		labels[i] = d.layout(dir.districtName(s.code), labelW, sizeTable, false)
		steps[i] = minStep
		if h := labels[i].height() + 1.5; h > steps[i] {
			steps[i] = h
		}
		plotH += steps[i]
	}
	h := plotH + 10.5 // 2 above the bars, the tick labels and the axis title below
	d.section(title)
	d.reserve(h)
	f := d.f
	x0, y0 := marginL+labelW, f.GetY()+2
	d.setSize(sizeSmall)
	// grid at 0, 25, 50, 75, 100 % of the largest amount
	for k := 0; k <= 4; k++ {
		x := x0 + plotW*float64(k)/4
		f.SetDrawColor(200, 200, 200)
		f.SetLineWidth(0.15)
		f.Line(x, y0, x, y0+plotH)
		tick := max.Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4)).Round(0)
		f.SetTextColor(110, 110, 110)
		d.setSize(sizeSmall)
		d.text(x-15, y0+plotH+0.5, 30, 4, group(tick.String()), "C")
	}
	f.SetTextColor(0, 0, 0)
	y := y0
	for i, s := range sums {
		by := y + (steps[i]-barH)/2
		lh := lineH(labels[i].size)
		ly := y + (steps[i]-labels[i].height())/2 - cellPadY
		d.drawCellAligned(labels[i], marginL, ly, labelW, "R", lh)
		if max.IsPositive() && s.idle.IsPositive() {
			frac, _ := s.idle.Div(max).Float64() // drawing only: a bar length, not money
			f.SetFillColor(70, 110, 160)
			f.Rect(x0, by, plotW*frac, barH, "F")
		}
		d.setSize(sizeTable)
		d.text(x0+plotW+1, by, valueW-1, barH, money(s.idle), "R")
		y += steps[i]
	}
	f.SetDrawColor(60, 60, 60)
	f.SetLineWidth(0.3)
	f.Line(x0, y0, x0, y0+plotH)
	d.setSize(sizeSmall)
	f.SetTextColor(110, 110, 110)
	d.text(x0, y0+plotH+4.5, plotW, 4, "闲置资源金额（元）", "C")
	f.SetTextColor(0, 0, 0)
	f.SetY(y0 + h)
	if len(sums) == 0 {
		d.para("本年度无闲置资源。", sizeBody)
	}
}
