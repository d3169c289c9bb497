package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// scope is what a bill covers: one district (district-Y-CODE.pdf) or one
// department (department-Y-CODE.pdf).
type scope struct {
	district   string // the district code (of the department, for a department bill)
	department string // "" for a district bill
}

func (s scope) has(district, department string) bool {
	if s.department != "" {
		return department == s.department
	}
	return district == s.district
}

// cityCode is the code of 市本级, whose offices are the city's own.
const cityCode = "140200"

// itOffice is the office that manages the district's government cloud.
func itOffice(dir *directory, district string) string {
	if district == cityCode {
		return "大同市政府信息化中心"
	}
	return dir.districtName(district) + "政务信息化主管部门"
}

// financeOffice is the office that pays the district's bills.
func financeOffice(dir *directory, district string) string {
	if district == cityCode {
		return "大同市财政局"
	}
	return dir.districtName(district) + "财政部门"
}

// billColumns are the columns of a bill's line detail: the item and the
// line's gross span the line's runs; every run prints the factors of its
// amount (docs/rules.md §3).
func billColumns() []column {
	return cols(
		column{Title: "计费项\n计价单位与批复数量", W: 38, Align: "L", Span: true},
		column{Title: "价格版本\n起始日", W: 17, Align: "C", Code: true},
		column{Title: "单价\n（元）", W: 15, Align: "R", Code: true},
		column{Title: "价格批复文号", W: 25, Align: "L"},
		column{Title: "计费\n月份", W: 8, Align: "C", Code: true},
		column{Title: "计费\n数量", W: 12, Align: "R", Code: true},
		column{Title: "天数", W: 8, Align: "R", Code: true},
		column{Title: "周期\n天数", W: 9, Align: "R", Code: true},
		column{Title: "分段金额（元）\n精确值", W: 27, Align: "R", Code: true},
		column{Title: "原价\n（元）", W: 21, Align: "R", Code: true, Span: true},
	)
}

// subtotal is a total row of the line detail: a label across the columns
// and the amount in the last one.
func subtotal(label, amount string) []string { return []string{label, amount} }

// resourceHeading is a resource's group row: id, name, billing window with
// the delivery confirmation letter, and the release.
func resourceHeading(b *Bundle, dir *directory, id string) string {
	s := "资源：" + dir.resourceLabel(id)
	w, ok := b.Windows[id]
	if !ok {
		return s
	}
	if w.Confirmed.Valid {
		s += " ｜ 计费起始 " + w.Confirmed.Date.String()
		if w.ConfirmRef != "" {
			s += "（交付确认函 " + w.ConfirmRef + "）"
		}
	}
	if w.Released.Valid {
		s += " ｜ 回收 " + w.Released.Date.String() + "（当日起不计费）"
	} else {
		s += " ｜ 未回收"
	}
	return s
}

// lineApprovals are the approvals of a line's item in force on a day of
// the year on which the resource was billable, with the day from which
// each counts.
func lineApprovals(b *Bundle, l billing.Line, year int) (as []Approval, starts []metering.Date) {
	w, ok := b.Windows[l.ResourceID]
	if !ok {
		return nil, nil
	}
	from, to := metering.NewDate(year, 1, 1), metering.NewDate(year+1, 1, 1)
	if w.Confirmed.Valid && w.Confirmed.Date > from {
		from = w.Confirmed.Date
	}
	if w.Released.Valid && w.Released.Date < to {
		to = w.Released.Date
	}
	for _, a := range w.Approvals {
		if a.ItemCode != l.ItemCode || a.To <= from || a.From >= to {
			continue
		}
		as = append(as, a)
		starts = append(starts, max(a.From, from))
	}
	return as, starts
}

// approvalText is the approved quantity of a line's item over the year, as
// far as the resource was billable: 批复 4 核, or 批复 4 核（01-01 起）；
// 6 核（09-01 起） when it changed; "" without the resource's window.
func approvalText(b *Bundle, l billing.Line, unit string, year int) string {
	if _, ok := b.Windows[l.ResourceID]; !ok {
		return ""
	}
	as, starts := lineApprovals(b, l, year)
	switch len(as) {
	case 0:
		return "无批复"
	case 1:
		return "批复 " + number(as[0].Quantity) + " " + unit
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = number(a.Quantity) + " " + unit + "（" + monthDay(starts[i]) + " 起）"
	}
	return "批复 " + strings.Join(parts, "；")
}

// lineRows are a line's sub-rows: the first carries the item (with unit
// and approval) and the gross, every one a run with its factors.
func lineRows(b *Bundle, dir *directory, l billing.Line, year int) [][]string {
	unit, cycle := "", billing.Cycle("")
	if len(l.Runs) > 0 {
		cycle = l.Runs[0].Cycle
	}
	if v, ok := dir.item(l.ItemCode, 0); ok {
		unit = v.Unit
		if cycle == "" {
			cycle = v.Cycle
		}
	}
	item := l.ItemCode + " " + dir.itemName(l.ItemCode) + "\n" + unitText(unit, cycle)
	if a := approvalText(b, l, orCode(unit, "单位"), year); a != "" {
		item += "；" + a
	}
	runs := append([]billing.Run(nil), l.Runs...)
	sort.SliceStable(runs, func(i, j int) bool {
		a, c := runs[i], runs[j]
		if a.Month != c.Month {
			return a.Month < c.Month
		}
		if a.EffectiveFrom != c.EffectiveFrom {
			return a.EffectiveFrom < c.EffectiveFrom
		}
		return a.Quantity.LessThan(c.Quantity)
	})
	if len(runs) == 0 {
		return [][]string{{item, "—", "", "（无计费分段记录）", "", "", fmt.Sprint(l.BillableDays), "", "", money(l.Gross)}}
	}
	var rows [][]string
	for i, r := range runs {
		month := ""
		if r.Month > 0 {
			month = fmt.Sprintf("%d月", r.Month)
		}
		row := []string{"", r.EffectiveFrom.String(), price(r.Price), r.ApprovalRef, month,
			number(r.Quantity), fmt.Sprint(r.Days), fmt.Sprint(r.CycleDays), exact(runRat(r)), ""}
		if i == 0 {
			row[0], row[9] = item, money(l.Gross)
		}
		rows = append(rows, row)
	}
	return rows
}

// billFindings are the scope's resource-use findings printed on a bill:
// idle resources, zombie systems and use beyond the approval.
func billFindings(b *Bundle, dir *directory, sc scope) []evaluation.Finding {
	var out []evaluation.Finding
	for _, f := range sortedFindings(b.Findings, dir) {
		switch f.Kind {
		case evaluation.FindingIdle, evaluation.FindingZombie, evaluation.FindingBeyondApproval:
			if sc.has(f.DistrictCode, f.DepartmentCode) {
				out = append(out, f)
			}
		}
	}
	return out
}

// objectionText is the objection procedure: to whom, and by when (the
// policy's objection.working_days after the issue date, on the working-day
// calendar).
func objectionText(b *Bundle) string {
	st := b.Statement
	n := b.rules().ObjectionWorkdays
	s := fmt.Sprintf("对本账单所列费用有异议的，应自结算单签发之日起 %d 个工作日内", n)
	if st.Status == billing.StatementStatusIssued && !st.IssuedAt.IsZero() {
		issued := metering.DateOf(st.IssuedAt)
		due, err := evaluation.NewCalendar(b.Calendar).AddWorkdays(issued, n)
		if err == nil {
			s += fmt.Sprintf("（即 %s 前，含当日）", chineseDate(due.Start()))
		} else {
			s += "（工作日历未载入，截止日期以工作日历为准）"
		}
	}
	return s + "，以书面形式向大同市政府信息化中心提出，写明有异议的资源编号、计费项及理由，并附相关证明材料；" +
		"信息化中心会同服务商核实后书面答复，需更正的，更正结果列入新版本结算单。逾期未提出的，视为对本账单无异议。" +
		"异议期间不影响无异议部分的结算。"
}

// renderBill lays out a district's or a department's bill: departments →
// systems and providers → resources → lines and their runs, with
// subtotals at every level; the summary; the scope's resource-use
// findings; the objection procedure; the amount payable and the
// signature and seal blocks.
func renderBill(b *Bundle, dir *directory, font Font, sc scope) ([]byte, error) {
	st := b.Statement
	distName := dir.districtName(sc.district)
	title, scopeName, subtitle := "大同市政务云服务费用结算明细", distName,
		fmt.Sprintf("%s（%s） · %d 年度", distName, sc.district, st.Year)
	if sc.department != "" {
		title, scopeName = "大同市政务云服务费用部门账单", dir.departmentName(sc.department)
		subtitle = fmt.Sprintf("%s（%s） · %s · %d 年度", scopeName, sc.department, distName, st.Year)
	}
	d, err := newDoc(font, b.meta(title+" · "+scopeName))
	if err != nil {
		return nil, err
	}
	d.title(title, subtitle)
	d.statusBlock(st)
	if sc.department == "" {
		d.signoffNotice(b.Signoff)
	}

	var lines []billing.Line
	for _, l := range st.Lines {
		if sc.has(l.DistrictCode, l.DepartmentCode) {
			lines = append(lines, l)
		}
	}
	billing.SortLinesByPlace(lines)
	type dk struct{ dept, prov string }
	rows := map[dk]billing.DepartmentRow{}
	var deptRows []billing.DepartmentRow
	var gross, net decimal.Decimal
	for _, r := range st.Departments {
		if sc.has(r.DistrictCode, r.DepartmentCode) {
			rows[dk{r.DepartmentCode, r.ProviderCode}] = r
			deptRows = append(deptRows, r)
			gross, net = gross.Add(r.Gross), net.Add(r.Net)
		}
	}
	sort.Slice(deptRows, func(i, j int) bool {
		if deptRows[i].DepartmentCode != deptRows[j].DepartmentCode {
			return deptRows[i].DepartmentCode < deptRows[j].DepartmentCode
		}
		return deptRows[i].ProviderCode < deptRows[j].ProviderCode
	})
	if sc.department == "" {
		for _, r := range st.Districts {
			if r.DistrictCode == sc.district {
				gross, net = r.Gross, r.Net
			}
		}
	}

	d.para("计费明细按部门、信息系统、资源列出每一计费行及其计费分段：同一价格版本、同一计费数量（按月计价的项目为同一月份）的计费日为一段，"+
		"分段金额 = 计费数量 × 单价 × 天数 ÷ 周期天数（按年计价为当年天数，按月计价为当月天数），保留精确值；"+
		"计费行原价 = 各分段金额之和，四舍五入至分（结算规则第三、四条）。资源行列出计费起始日（交付确认日）、交付确认函文号与回收日期，"+
		"计费项列出批复数量；计费数量为每日计量数与批复数量的较小者。", sizeSmall)
	d.gap(1)

	d.section("一、费用明细（部门 → 信息系统 → 资源 → 计费项）")
	d.tableSized(billColumns(), sizeDense)
	for i := 0; i < len(lines); {
		dept := lines[i].DepartmentCode
		d.group(0, fmt.Sprintf("部门：%s %s", dept, dir.departmentName(dept)))
		var deptGross, deptNet decimal.Decimal
		nprov := 0
		for i < len(lines) && lines[i].DepartmentCode == dept {
			prov := lines[i].ProviderCode
			nprov++
			var provGross decimal.Decimal
			for i < len(lines) && lines[i].DepartmentCode == dept && lines[i].ProviderCode == prov {
				sys := lines[i].SystemID
				d.group(1, fmt.Sprintf("信息系统：%s %s ｜ 服务商：%s", sys, dir.systemName(sys), dir.providerName(prov)))
				var sysGross decimal.Decimal
				for i < len(lines) && lines[i].DepartmentCode == dept && lines[i].ProviderCode == prov && lines[i].SystemID == sys {
					res := lines[i].ResourceID
					d.group(2, resourceHeading(b, dir, res))
					for ; i < len(lines) && lines[i].DepartmentCode == dept && lines[i].ProviderCode == prov &&
						lines[i].SystemID == sys && lines[i].ResourceID == res; i++ {
						d.multi(lineRows(b, dir, lines[i], st.Year))
						sysGross = sysGross.Add(lines[i].Gross)
					}
				}
				d.row(rowSub, subtotal("系统小计", money(sysGross))...)
				provGross = provGross.Add(sysGross)
			}
			r := rows[dk{dept, prov}]
			d.row(rowSub, subtotal("部门原价小计（服务商："+dir.providerName(prov)+"）", money(provGross))...)
			d.row(rowSub, subtotal(fmt.Sprintf("考核后金额 = 原价 × 考核系数 %s", r.Coefficient.StringFixed(2)), money(r.Net))...)
			deptGross, deptNet = deptGross.Add(provGross), deptNet.Add(r.Net)
		}
		if nprov > 1 || sc.department != "" {
			d.row(rowSub, subtotal("部门原价合计", money(deptGross))...)
			d.row(rowSub, subtotal("部门考核后合计", money(deptNet))...)
		}
	}
	if sc.department == "" {
		d.row(rowTotal, subtotal("县区原价合计", money(gross))...)
		d.row(rowTotal, subtotal("县区考核后合计", money(net))...)
	}
	d.endTable()

	if sc.department == "" {
		d.section("二、部门汇总")
		d.table(cols(
			column{Title: "部门代码", W: 22, Align: "L", Code: true}, column{Title: "部门", W: 46, Align: "L"}, column{Title: "服务商", W: 34, Align: "L"},
			column{Title: "原价金额（元）", W: 28, Align: "R", Code: true}, column{Title: "考核系数", W: 14, Align: "R", Code: true},
			column{Title: "考核后金额（元）", W: 28, Align: "R", Code: true}))
		for _, r := range deptRows {
			d.row(rowData, r.DepartmentCode, dir.departmentName(r.DepartmentCode), dir.providerName(r.ProviderCode),
				money(r.Gross), r.Coefficient.StringFixed(2), money(r.Net))
		}
		d.row(rowTotal, "", distName+"合计", "", money(gross), "", money(net))
		d.endTable()
	} else {
		d.section("二、按服务商汇总")
		d.table(cols(
			column{Title: "服务商", W: 80, Align: "L"}, column{Title: "原价金额（元）", W: 36, Align: "R", Code: true},
			column{Title: "考核系数", W: 20, Align: "R", Code: true}, column{Title: "考核后金额（元）", W: 36, Align: "R", Code: true}))
		for _, r := range deptRows {
			d.row(rowData, dir.providerName(r.ProviderCode), money(r.Gross), r.Coefficient.StringFixed(2), money(r.Net))
		}
		d.row(rowTotal, scopeName+"合计", money(gross), "", money(net))
		d.endTable()
	}

	d.section("三、资源使用评估发现（闲置资源、僵尸系统、超批复使用）")
	fs := billFindings(b, dir, sc)
	p := b.rules()
	if len(fs) == 0 {
		d.para(fmt.Sprintf("截至 %s，本%s未发现闲置资源、僵尸系统或超批复使用。", asOfText(b), scopeWord(sc)), sizeBody)
	} else {
		d.para(fmt.Sprintf("依据管理办法第二十七条，截至 %s 的评估发现如下。闲置与僵尸系统金额为该期间已计费的金额；超批复使用金额为按目录价格计算的超出部分，不予支付。"+
			"全市发现（含计量异常）见资源使用评估报告及 findings-%d.csv。", asOfText(b), st.Year), sizeSmall)
		d.gap(1)
		d.table(cols(
			column{Title: "类型", W: 16, Align: "L"}, column{Title: "部门 / 系统 / 资源", W: 50, Align: "L"},
			column{Title: "计费项", W: 14, Align: "L", Code: true}, column{Title: "起止日期", W: 20, Align: "C", Code: true},
			column{Title: "天数", W: 9, Align: "R", Code: true}, column{Title: "金额（元）", W: 20, Align: "R", Code: true},
			column{Title: "建议措施", W: 31, Align: "L"}))
		sums := map[evaluation.FindingKind]decimal.Decimal{}
		for _, f := range fs {
			what := dir.departmentName(f.DepartmentCode) + "\n" + f.SystemID + " " + dir.systemName(f.SystemID)
			if f.ResourceID != "" {
				what += "\n" + dir.resourceLabel(f.ResourceID)
			}
			d.row(rowData, kindName(string(f.Kind)), what, f.ItemCode, f.FirstDay.String()+"\n"+f.LastDay.String(),
				fmt.Sprint(f.Days), money(f.Amount), findingAction(f, p))
			sums[f.Kind] = sums[f.Kind].Add(f.Amount)
		}
		for _, k := range []evaluation.FindingKind{evaluation.FindingIdle, evaluation.FindingZombie, evaluation.FindingBeyondApproval} {
			if amt, ok := sums[k]; ok {
				label := kindName(string(k)) + "金额小计"
				if k == evaluation.FindingBeyondApproval {
					label += "（不予支付）"
				}
				d.row(rowSub, label, money(amt), "")
			}
		}
		d.endTable()
	}

	d.section("四、异议处理")
	d.para(objectionText(b), sizeBody)
	d.gap(2)

	parties := []string{itOffice(dir, sc.district)}
	if sc.department != "" {
		parties = []string{scopeName + "（使用部门）"}
	}
	for _, code := range billProviders(deptRows) {
		parties = append(parties, "服务商："+dir.providerName(code))
	}
	parties = append(parties, financeOffice(dir, sc.district))
	if sc.department == "" {
		d.setSeals(b.districtSignoff(sc.district), dir, "", "", sc.district)
	}
	if err := d.closing("五、结算金额", "考核后应付金额", net, []string{"付款单位", scopeName}, parties); err != nil {
		return nil, err
	}
	if sc.department == "" {
		d.signoffRecords(b.districtSignoff(sc.district), dir, sc.district)
		d.objectionAppendix(b.districtSignoff(sc.district), dir, sc.district)
	}
	return d.bytes()
}

func scopeWord(sc scope) string {
	if sc.department != "" {
		return "部门"
	}
	return "县区"
}

func asOfText(b *Bundle) string {
	if b.AsOf != 0 {
		return chineseDate(b.AsOf.Start())
	}
	return fmt.Sprintf("%d 年末", b.Statement.Year)
}

// billProviders lists the providers of a bill's department rows, sorted.
func billProviders(rows []billing.DepartmentRow) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.ProviderCode] {
			seen[r.ProviderCode] = true
			out = append(out, r.ProviderCode)
		}
	}
	sort.Strings(out)
	return out
}
