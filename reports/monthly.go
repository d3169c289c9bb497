package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// The monthly and quarterly reports (月报, 季报): per district and
// department, the gross accrued in the period and to date, the estimated
// net, the year-end forecast against the budgets, resources, approved
// against metered quantity, findings and SLA obligations; a quarter adds
// the providers' scores. Every printed total is the sum of the rows
// printed above it (check, and the tests read it back with pdftotext).

var quarterNames = []string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// periodTitle is "2024 年 7 月" or "2024 年第三季度".
func periodTitle(p billing.Period) string {
	if p.Quarter {
		return fmt.Sprintf("%d 年%s", p.Year, quarterNames[p.To/3])
	}
	return fmt.Sprintf("%d 年 %d 月", p.Year, p.From)
}

// periodWord is 本月 or 本季度.
func periodWord(p billing.Period) string {
	if p.Quarter {
		return "本季度"
	}
	return "本月"
}

// check verifies that the rows are the sums of the lines: the period's
// gross and the gross to date per (department, provider).
func (b *PeriodBundle) check() error {
	type key struct{ prov, dept string }
	gross, toDate := map[key]decimal.Decimal{}, map[key]decimal.Decimal{}
	for _, l := range b.Lines {
		k := key{l.ProviderCode, l.DepartmentCode}
		gross[k] = gross[k].Add(l.Gross(b.Period.From, b.Period.To))
		toDate[k] = toDate[k].Add(l.ToDate(b.Period.To))
	}
	for _, r := range b.Rows {
		k := key{r.ProviderCode, r.DepartmentCode}
		if !gross[k].Equal(r.Gross) || !toDate[k].Equal(r.ToDate) {
			return fmt.Errorf("department %s provider %s: %s / %s are not the sums of its lines (%s / %s)", r.DepartmentCode, r.ProviderCode, r.Gross, r.ToDate, gross[k], toDate[k])
		}
		delete(gross, k)
	}
	for k, v := range gross {
		if !v.IsZero() || !toDate[k].IsZero() {
			return fmt.Errorf("department %s provider %s: lines worth %s have no row", k.dept, k.prov, toDate[k])
		}
	}
	return nil
}

// periodTotals is a subtotal of period rows.
type periodTotals struct{ gross, toDate, net, forecast decimal.Decimal }

func (t *periodTotals) add(r billing.PeriodRow) {
	t.gross, t.toDate, t.net, t.forecast = t.gross.Add(r.Gross), t.toDate.Add(r.ToDate), t.net.Add(r.Net), t.forecast.Add(r.Forecast())
}

func (t *periodTotals) addAll(o periodTotals) {
	t.gross, t.toDate, t.net, t.forecast = t.gross.Add(o.gross), t.toDate.Add(o.toDate), t.net.Add(o.net), t.forecast.Add(o.forecast)
}

// districtCodes lists every district of the inventory and of the rows.
func (b *PeriodBundle) districtCodes() []string {
	seen := map[string]bool{}
	for _, d := range b.Names.Districts {
		seen[d.Code] = true
	}
	for _, r := range b.Rows {
		seen[r.DistrictCode] = true
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func renderPeriod(b *PeriodBundle, font Font) ([]byte, error) {
	p := b.Period
	dir := newDirectory(b.Names)
	title := "大同市政务云服务费用月度报告"
	if p.Quarter {
		title = "大同市政务云服务费用季度报告"
	}
	asOf := p.Last()
	d, err := newDoc(font, docMeta{Title: title, Running: periodTitle(p) + " · 截至 " + asOf.String(),
		Date: p.End().Start().In(time.UTC)})
	if err != nil {
		return nil, err
	}
	d.title(title, "（"+periodTitle(p)+" · 计提、预算执行与年末预测）")
	var city periodTotals
	for _, r := range b.Rows {
		city.add(r)
	}
	d.kv("报告期间", fmt.Sprintf("%s 至 %s", p.Start(), asOf), "截至日期", asOf.String(),
		periodWord(p)+"计提", money(city.gross)+" 元", "累计计提", money(city.toDate)+" 元",
		"全年预测", money(city.forecast)+" 元", "计提明细", fmt.Sprintf("%d 行（%s.csv）", len(b.Lines), periodBase(p)))
	d.setSize(sizeTable)
	d.para("计提按日计费、按月累计：每一计费行某月的计提额 = 截至该月末的精确累计金额四舍五入至分，减去截至上月末的同一金额四舍五入至分（规则 §10），"+
		"故各月计提之和恰为年度结算单该行的金额。“预估”考核后金额按各服务商期末前最近一个已结束季度的评分对应的考核系数估算，不作为付款依据。", sizeTable)
	d.gap(2)

	n := 0
	next := func(s string) string {
		n++
		return fmt.Sprintf("%s、%s", chineseNumber(n), s)
	}
	codes := b.districtCodes()
	byDistrict := map[string]periodTotals{}
	for _, r := range b.Rows {
		t := byDistrict[r.DistrictCode]
		t.add(r)
		byDistrict[r.DistrictCode] = t
	}
	word := periodWord(p)
	d.section(next("各县区汇总"))
	d.table(cols(col("县区", 40, "L"), codeCol(word+"计提（元）", 28, "R"), codeCol("累计计提（元）", 30, "R"),
		codeCol("预估考核后累计（元）", 32, "R"), codeCol("全年预测（元）", 30, "R")))
	var sum periodTotals
	for _, c := range codes {
		t := byDistrict[c]
		d.row(rowData, c+" "+dir.districtName(c), money(t.gross), money(t.toDate), money(t.net), money(t.forecast))
		sum.addAll(t)
	}
	d.row(rowTotal, "全市合计", money(sum.gross), money(sum.toDate), money(sum.net), money(sum.forecast))
	d.endTable()

	// charts
	var ss []series
	for _, c := range codes {
		s := series{label: dir.districtName(c)}
		for _, l := range b.Lines {
			if l.DistrictCode == c {
				for m := 0; m < p.To; m++ {
					s.months[m] = s.months[m].Add(l.Months[m].Gross)
				}
			}
		}
		ss = append(ss, s)
	}
	d.monthlyBars(next(fmt.Sprintf("%d 年各县区月度计提", p.Year)), ss, p.To)

	d.section(next("预算执行情况"))
	if len(b.Budgets) == 0 {
		d.para(fmt.Sprintf("%d 年度未载入预算（budgets.csv 无该年度的行）。", p.Year), sizeBody)
	} else {
		b.budgetTable(d, dir)
		var bars []budgetBar
		for i := 0; i < len(b.Budgets); {
			c := b.Budgets[i].DistrictCode
			bar := budgetBar{label: dir.districtName(c)}
			for ; i < len(b.Budgets) && b.Budgets[i].DistrictCode == c; i++ {
				r := b.Budgets[i]
				bar.budget, bar.accrued, bar.forecast = bar.budget.Add(r.Amount), bar.accrued.Add(r.Accrued), bar.forecast.Add(r.Forecast)
				bar.over = bar.over || r.Over()
			}
			bars = append(bars, bar)
		}
		d.budgetBars(next("各县区预算与全年预测"), bars)
	}

	d.section(next("各部门计提与预测"))
	b.departmentTable(d, dir)

	d.section(next("资源情况"))
	b.resourceTables(d, dir)

	d.section(next("批复量与计量量"))
	b.usageTable(d, dir)

	d.section(next("资源使用发现"))
	b.findingsTable(d, dir)

	d.section(next("SLA 时限事项"))
	b.slaTables(d, dir)

	if p.Quarter {
		d.section(next("本季度服务商考核"))
		b.quarterScores(d, dir)
	}

	d.section(next("预测与估算依据"))
	b.basis(d, dir)
	return d.bytes()
}

// periodBase is month-2024-07 or quarter-2024Q3.
func periodBase(p billing.Period) string {
	if p.Quarter {
		return "quarter-" + p.Name()
	}
	return "month-" + p.Name()
}

// chineseNumber is 一 … 十九 for section numbers.
func chineseNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n-10]
	}
	return fmt.Sprint(n)
}

// rate prints an execution rate: two decimals and %, or — without one.
func rate(r decimal.Decimal, ok bool) string {
	if !ok {
		return "—"
	}
	return r.StringFixed(2) + "%"
}

func (b *PeriodBundle) budgetTable(d *doc, dir *directory) {
	d.table(cols(col("预算单位", 44, "L"), codeCol("预算（元）", 26, "R"), codeCol("累计计提（元）", 26, "R"), codeCol("执行率", 14, "R"),
		codeCol("全年预测（元）", 26, "R"), codeCol("预测与预算差额", 26, "R"), codeCol("预警", 12, "C")))
	var city struct{ budget, accrued, forecast decimal.Decimal }
	for i := 0; i < len(b.Budgets); {
		c := b.Budgets[i].DistrictCode
		d.row(rowGroup, c+" "+dir.districtName(c))
		var sub struct{ budget, accrued, forecast decimal.Decimal }
		rows := 0
		for ; i < len(b.Budgets) && b.Budgets[i].DistrictCode == c; i++ {
			r := b.Budgets[i]
			who := "全区（县）统筹预算"
			if r.DepartmentCode != "" {
				who = dir.departmentName(r.DepartmentCode)
			}
			flag := ""
			if r.Over() {
				flag = "超支"
			}
			d.row(rowData, who+"\n"+r.ApprovalRef, money(r.Amount), money(r.Accrued), rate(r.Rate, r.HasRate), money(r.Forecast), money(r.Excess()), flag)
			sub.budget, sub.accrued, sub.forecast = sub.budget.Add(r.Amount), sub.accrued.Add(r.Accrued), sub.forecast.Add(r.Forecast)
			rows++
		}
		sr, ok := billing.ExecutionRate(sub.accrued, sub.budget)
		d.row(rowSub, "小计 "+c, money(sub.budget), money(sub.accrued), rate(sr, ok), money(sub.forecast), money(sub.forecast.Sub(sub.budget)), "")
		city.budget, city.accrued, city.forecast = city.budget.Add(sub.budget), city.accrued.Add(sub.accrued), city.forecast.Add(sub.forecast)
	}
	cr, ok := billing.ExecutionRate(city.accrued, city.budget)
	d.row(rowTotal, "全市合计", money(city.budget), money(city.accrued), rate(cr, ok), money(city.forecast), money(city.forecast.Sub(city.budget)), "")
	d.endTable()
	d.setSize(sizeSmall)
	d.para("执行率 = 累计计提 ÷ 预算 × 100%，四舍五入保留两位小数。部门预算只与该部门比较，全区（县）统筹预算与该县区全部部门比较；全年预测超出预算即列为 over_budget（预算超支预警）发现。", sizeSmall)
	d.gap(2)
}

func (b *PeriodBundle) departmentTable(d *doc, dir *directory) {
	word := periodWord(b.Period)
	d.table(cols(col("部门", 44, "L"), col("服务商", 10, "L"), codeCol(word+"计提", 24, "R"), codeCol("累计计提", 26, "R"), codeCol("预估系数", 14, "R"),
		codeCol("预估考核后累计", 28, "R"), codeCol("全年预测", 26, "R")))
	var city periodTotals
	for i := 0; i < len(b.Rows); {
		c := b.Rows[i].DistrictCode
		d.row(rowGroup, c+" "+dir.districtName(c))
		var sub periodTotals
		for ; i < len(b.Rows) && b.Rows[i].DistrictCode == c; i++ {
			r := b.Rows[i]
			coef, net := "—", "—"
			if r.HasCoefficient {
				coef, net = r.Coefficient.StringFixed(2), money(r.Net)
			}
			d.row(rowData, dir.departmentName(r.DepartmentCode), r.ProviderCode, money(r.Gross), money(r.ToDate), coef, net, money(r.Forecast()))
			sub.add(r)
		}
		d.row(rowSub, "小计 "+c, "", money(sub.gross), money(sub.toDate), "", money(sub.net), money(sub.forecast))
		city.addAll(sub)
	}
	d.row(rowTotal, "全市合计", "", money(city.gross), money(city.toDate), "", money(city.net), money(city.forecast))
	d.endTable()
}

// deptOf returns the department and district of a resource.
func (dir *directory) deptOf(resource string) (dept, district string) {
	dept = dir.system[dir.resource[resource].SystemID].DepartmentCode
	return dept, dir.department[dept].DistrictCode
}

func (b *PeriodBundle) resourceTables(d *doc, dir *directory) {
	p := b.Period
	start, last := p.Start(), p.Last()
	type counts struct {
		inService, confirmed, released int
		kinds                          map[metering.Kind]int
	}
	type key struct{ district, dept string }
	by := map[key]*counts{}
	var keys []key
	var moved []ResourceState
	for _, r := range b.Resources {
		k := key{r.DistrictCode, r.DepartmentCode}
		c := by[k]
		if c == nil {
			c = &counts{kinds: map[metering.Kind]int{}}
			by[k] = c
			keys = append(keys, k)
		}
		if r.InService(last) {
			c.inService++
			c.kinds[r.Kind]++
		}
		in := func(x metering.Date) bool { return start <= x && x <= last }
		if in(r.Confirmed) {
			c.confirmed++
		}
		if r.Released.Valid && in(r.Released.Date) {
			c.released++
		}
		if in(r.Confirmed) || r.Released.Valid && in(r.Released.Date) {
			moved = append(moved, r)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].district != keys[j].district {
			return keys[i].district < keys[j].district
		}
		return keys[i].dept < keys[j].dept
	})
	word := periodWord(p)
	d.table(cols(col("部门", 40, "L"), col("期末在用资源（按类型）", 70, "L"), codeCol("在用", 14, "R"), codeCol(word+"确认", 14, "R"), codeCol(word+"释放", 14, "R")))
	var city [3]int
	for i := 0; i < len(keys); {
		dist := keys[i].district
		d.row(rowGroup, dist+" "+dir.districtName(dist))
		var sub [3]int
		for ; i < len(keys) && keys[i].district == dist; i++ {
			c := by[keys[i]]
			kinds := make([]string, 0, len(c.kinds))
			for k := range c.kinds {
				kinds = append(kinds, string(k))
			}
			sort.Strings(kinds)
			for j, k := range kinds {
				kinds[j] = fmt.Sprintf("%s %d", k, c.kinds[metering.Kind(k)])
			}
			d.row(rowData, dir.departmentName(keys[i].dept), strings.Join(kinds, " · "), fmt.Sprint(c.inService), fmt.Sprint(c.confirmed), fmt.Sprint(c.released))
			sub[0], sub[1], sub[2] = sub[0]+c.inService, sub[1]+c.confirmed, sub[2]+c.released
		}
		d.row(rowSub, "小计 "+dist, "", fmt.Sprint(sub[0]), fmt.Sprint(sub[1]), fmt.Sprint(sub[2]))
		city[0], city[1], city[2] = city[0]+sub[0], city[1]+sub[1], city[2]+sub[2]
	}
	d.row(rowTotal, "全市合计", "", fmt.Sprint(city[0]), fmt.Sprint(city[1]), fmt.Sprint(city[2]))
	d.endTable()

	if len(moved) == 0 {
		return
	}
	sort.SliceStable(moved, func(i, j int) bool {
		a, c := moved[i], moved[j]
		if a.DistrictCode != c.DistrictCode {
			return a.DistrictCode < c.DistrictCode
		}
		if a.DepartmentCode != c.DepartmentCode {
			return a.DepartmentCode < c.DepartmentCode
		}
		return a.ResourceID < c.ResourceID
	})
	d.setSize(sizeBody)
	d.para(word+"确认交付与释放的资源：", sizeBody)
	d.table(cols(col("资源", 56, "L"), col("类型", 16, "L"), col("部门", 50, "L"), codeCol("确认日期", 20, "C"), codeCol("释放日期", 20, "C")))
	for _, r := range moved {
		d.row(rowData, dir.resourceLabel(r.ResourceID), string(r.Kind), dir.departmentName(r.DepartmentCode), r.Confirmed.String(), r.Released.String())
	}
	d.endTable()
}

func (b *PeriodBundle) usageTable(d *doc, dir *directory) {
	if len(b.Usage) == 0 {
		d.para("本期无批复或计量。", sizeBody)
		return
	}
	d.setSize(sizeSmall)
	d.para("批复量·天：计费窗口内批复数量按日累计；计量量·天：全部计量数据按日累计（含超批复部分）；计费量·天：逐日取两者较小值累计。不同计费项单位不同，不作合计。", sizeSmall)
	d.table(cols(col("计费项", 44, "L"), col("单位", 16, "L"), codeCol("批复量·天", 28, "R"), codeCol("计量量·天", 28, "R"), codeCol("计费量·天", 28, "R"), codeCol("计量/批复", 18, "R")))
	for i := 0; i < len(b.Usage); {
		dept := b.Usage[i].DepartmentCode
		d.row(rowGroup, fmt.Sprintf("%s · %s", dir.districtName(b.Usage[i].DistrictCode), dir.departmentName(dept)))
		for ; i < len(b.Usage) && b.Usage[i].DepartmentCode == dept; i++ {
			u := b.Usage[i]
			unit := ""
			if v, ok := dir.item(u.ItemCode, 0); ok {
				unit = v.Unit
			}
			r, ok := billing.ExecutionRate(u.Metered, u.Approved) // the same percentage rule
			share := rate(r, ok)
			d.row(rowData, u.ItemCode+" "+dir.itemName(u.ItemCode), unit, number(u.Approved), number(u.Metered), number(u.Billable), share)
		}
	}
	d.endTable()
}

func (b *PeriodBundle) findingsTable(d *doc, dir *directory) {
	p := b.Period
	start, last := p.Start(), p.Last()
	type tally struct {
		opened, closed int
		openedAmt      decimal.Decimal
		closedAmt      decimal.Decimal
	}
	type key struct{ district, dept string }
	by := map[key]*tally{}
	var keys []key
	for _, f := range b.Findings {
		opened := start <= f.FirstDay && f.FirstDay <= last
		closed := start <= f.LastDay && f.LastDay <= last && f.LastDay < b.FindingsAsOf
		if !opened && !closed {
			continue
		}
		district := f.DistrictCode
		if district == "" {
			district = dir.department[f.DepartmentCode].DistrictCode
		}
		k := key{district, f.DepartmentCode}
		t := by[k]
		if t == nil {
			t = &tally{}
			by[k] = t
			keys = append(keys, k)
		}
		if opened {
			t.opened++
			t.openedAmt = t.openedAmt.Add(f.Amount)
		}
		if closed {
			t.closed++
			t.closedAmt = t.closedAmt.Add(f.Amount)
		}
	}
	d.setSize(sizeSmall)
	asOf := "尚未计算"
	if b.FindingsAsOf != 0 {
		asOf = "截至 " + b.FindingsAsOf.String()
	}
	word := periodWord(p)
	d.para(fmt.Sprintf("资源使用发现（闲置、僵尸系统、超批复使用、计量缺失等，规则 §8）取最近一次计算结果（%s）：%s新发现 = 起始日在%s内；%s结束 = 截止日在%s内且早于计算截止日。金额为发现涉及的金额，不是计提。",
		asOf, word, word, word, word), sizeSmall)
	if len(keys) == 0 {
		d.para(word+"无新发现或结束的发现。", sizeBody)
		return
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].district != keys[j].district {
			return keys[i].district < keys[j].district
		}
		return keys[i].dept < keys[j].dept
	})
	d.table(cols(col("部门", 56, "L"), codeCol(word+"新发现（项）", 22, "R"), codeCol("涉及金额（元）", 30, "R"), codeCol(word+"结束（项）", 22, "R"), codeCol("涉及金额（元）", 30, "R")))
	var city tally
	for i := 0; i < len(keys); {
		dist := keys[i].district
		d.row(rowGroup, dist+" "+dir.districtName(dist))
		var sub tally
		for ; i < len(keys) && keys[i].district == dist; i++ {
			t := by[keys[i]]
			d.row(rowData, dir.departmentName(keys[i].dept), fmt.Sprint(t.opened), money(t.openedAmt), fmt.Sprint(t.closed), money(t.closedAmt))
			sub.opened, sub.closed = sub.opened+t.opened, sub.closed+t.closed
			sub.openedAmt, sub.closedAmt = sub.openedAmt.Add(t.openedAmt), sub.closedAmt.Add(t.closedAmt)
		}
		d.row(rowSub, "小计 "+dist, fmt.Sprint(sub.opened), money(sub.openedAmt), fmt.Sprint(sub.closed), money(sub.closedAmt))
		city.opened, city.closed = city.opened+sub.opened, city.closed+sub.closed
		city.openedAmt, city.closedAmt = city.openedAmt.Add(sub.openedAmt), city.closedAmt.Add(sub.closedAmt)
	}
	d.row(rowTotal, "全市合计", fmt.Sprint(city.opened), money(city.openedAmt), fmt.Sprint(city.closed), money(city.closedAmt))
	d.endTable()
}

var obligationStatuses = []evaluation.ObligationStatus{evaluation.ObligationOnTime, evaluation.ObligationLate, evaluation.ObligationOpen, evaluation.ObligationOverdue}

func (b *PeriodBundle) slaTables(d *doc, dir *directory) {
	word := periodWord(b.Period)
	d.setSize(sizeSmall)
	d.para(fmt.Sprintf("%s到期的开通、变更、退出（服务商）与上线（部门）时限事项，状态截至 %s（规则 §7）。", word, b.Period.Last()), sizeSmall)
	if len(b.Obligations) == 0 {
		d.para(word+"无到期事项。", sizeBody)
		return
	}
	type key struct{ district, dept string }
	by := map[key]*[4]int{}
	var keys []key
	for _, o := range b.Obligations {
		dept, dist := dir.deptOf(o.ResourceID)
		k := key{dist, dept}
		c := by[k]
		if c == nil {
			c = &[4]int{}
			by[k] = c
			keys = append(keys, k)
		}
		for i, s := range obligationStatuses {
			if o.Status == s {
				c[i]++
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].district != keys[j].district {
			return keys[i].district < keys[j].district
		}
		return keys[i].dept < keys[j].dept
	})
	d.table(cols(col("部门", 56, "L"), codeCol("到期（项）", 18, "R"), codeCol("按时", 16, "R"), codeCol("逾期完成", 18, "R"), codeCol("未到期", 16, "R"), codeCol("逾期未完成", 20, "R")))
	var city [4]int
	row := func(kind rowKind, label string, c [4]int) {
		d.row(kind, label, fmt.Sprint(c[0]+c[1]+c[2]+c[3]), fmt.Sprint(c[0]), fmt.Sprint(c[1]), fmt.Sprint(c[2]), fmt.Sprint(c[3]))
	}
	for i := 0; i < len(keys); {
		dist := keys[i].district
		d.row(rowGroup, dist+" "+dir.districtName(dist))
		var sub [4]int
		for ; i < len(keys) && keys[i].district == dist; i++ {
			c := *by[keys[i]]
			row(rowData, dir.departmentName(keys[i].dept), c)
			for j := range sub {
				sub[j] += c[j]
			}
		}
		row(rowSub, "小计 "+dist, sub)
		for j := range city {
			city[j] += sub[j]
		}
	}
	row(rowTotal, "全市合计", city)
	d.endTable()

	var late []evaluation.Obligation
	for _, o := range b.Obligations {
		if o.Status == evaluation.ObligationLate || o.Status == evaluation.ObligationOverdue {
			late = append(late, o)
		}
	}
	if len(late) == 0 {
		return
	}
	d.para("逾期事项：", sizeBody)
	d.table(cols(col("资源", 46, "L"), col("服务商", 26, "L"), col("事项", 12, "L"), codeCol("起算日", 20, "C"), codeCol("到期日", 20, "C"),
		codeCol("完成日", 20, "C"), col("状态", 18, "L"), codeCol("逾期工作日", 14, "R")))
	for _, o := range late {
		d.row(rowData, dir.resourceLabel(o.ResourceID), dir.providerName(o.ProviderCode), kindName(string(o.Kind)), o.Started.String(), o.Due.String(),
			o.Done.String(), kindName(string(o.Status)), fmt.Sprint(o.LateWorkingDays))
	}
	d.endTable()
}

func (b *PeriodBundle) quarterScores(d *doc, dir *directory) {
	q := b.Period.Name()
	quarter := map[string]billing.ProviderEvaluation{}
	for _, e := range b.Quarter {
		quarter[e.ProviderCode] = e
	}
	heading := map[string]billing.ProviderEvaluation{}
	for _, e := range b.Heading {
		heading[e.ProviderCode] = e
	}
	d.table(cols(col("服务商", 40, "L"), codeCol("服务响应", 14, "R"), codeCol("服务质量", 14, "R"), codeCol("服务满意度", 16, "R"), codeCol("安全管理", 14, "R"),
		codeCol(q+" 得分", 16, "R"), codeCol("SLA 按时", 20, "R"), codeCol("本季系数", 14, "R"), codeCol("年内得分", 16, "R"), codeCol("预计年度系数", 18, "R")))
	provs := make([]string, 0, len(b.SLA))
	for prov := range b.SLA {
		provs = append(provs, prov)
	}
	sort.Strings(provs)
	for _, prov := range provs {
		cells := []string{dir.providerName(prov)}
		e, ok := quarter[prov]
		if ok && len(e.Quarters) == 1 {
			qs := e.Quarters[0]
			for _, dim := range evaluation.Dimensions {
				v := score(qs.Dimensions[string(dim)])
				if dim == evaluation.DimensionResponse && qs.ResponseFromSLA {
					v += "*"
				}
				cells = append(cells, v)
			}
			cells = append(cells, score(qs.Score))
		} else {
			cells = append(cells, "—", "—", "—", "—", "无评分")
		}
		s := b.SLA[prov]
		cells = append(cells, fmt.Sprintf("%d / %d", s.OnTime, s.Due))
		if ok {
			cells = append(cells, e.Coefficient.StringFixed(2))
		} else {
			cells = append(cells, "—")
		}
		if h, ok := heading[prov]; ok {
			cells = append(cells, score(h.Annual), h.Coefficient.StringFixed(2))
		} else {
			cells = append(cells, "—", "—")
		}
		d.row(rowData, cells...)
	}
	d.endTable()
	d.setSize(sizeSmall)
	d.para(fmt.Sprintf("* 该季度无服务响应评分，按 SLA 按时率折算（规则 §6）。SLA 按时 = 本季度到期的开通、变更、退出事项中按时完成的项数 / 到期项数。"+
		"本季系数为本季度得分所在档次；年内得分为 %d 年已有评分季度的平均分，预计年度系数为其所在档次：若其余季度得分不变，全年即按此系数结算。", b.Period.Year), sizeSmall)
	d.gap(2)
}

func (b *PeriodBundle) basis(d *doc, dir *directory) {
	p := b.Period
	asOf := p.Last()
	d.setSize(sizeTable)
	d.para(fmt.Sprintf("全年预测 = 截至 %s 的累计计提 + 期末在用资源的剩余金额（规则 §10）：每项在用资源（%s 及以前已确认交付、尚未释放）按 %s 时批复的数量，"+
		"以每日适用的目录价格（含已公布的未来价格）计至 %d 年 12 月 31 日；已批准尚未实施的变更（%d 项）自变更时限届满日与 %s 两者较晚者起按新数量计；"+
		"已批准退出尚未释放的资源（%d 项）计至退出时限届满日与 %s 两者较晚者的前一日；截至期末尚未确认交付的资源不计入预测。剩余金额按计费行四舍五入至分。",
		asOf, asOf, asOf, p.Year, b.PendingChanges, asOf.AddDays(1), b.PendingExits, asOf.AddDays(1)), sizeTable)
	d.gap(1)
	d.table(cols(col("服务商", 58, "L"), col("预估系数依据", 72, "L"), codeCol("得分", 20, "R"), codeCol("预估系数", 20, "R")))
	for _, e := range b.Estimates {
		who := e.ProviderCode + " " + dir.providerName(e.ProviderCode)
		if e.Period == "" {
			d.row(rowData, who, "无预估："+e.Note, "—", "—")
			continue
		}
		d.row(rowData, who, fmt.Sprintf("%s 季度评分（期末前最近一个已结束的季度）", e.Period), score(e.Score), e.Coefficient.StringFixed(2))
	}
	d.endTable()
}
