package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
)

// statementDate is the date the documents carry: the issue date of an
// issued statement, else its creation date.
func statementDate(st *billing.Statement) time.Time {
	if st.Status == billing.StatementStatusIssued && !st.IssuedAt.IsZero() {
		return st.IssuedAt
	}
	return st.CreatedAt
}

func statusName(st *billing.Statement) string {
	if st.SupersededBy > 0 {
		return fmt.Sprintf("已被第 %d 版取代", st.SupersededBy)
	}
	if st.Status == billing.StatementStatusIssued {
		return "已签发"
	}
	return "草稿"
}

func running(st *billing.Statement) string {
	return fmt.Sprintf("%d 年度 · 第 %d 版 · %s", st.Year, st.Version, statusName(st))
}

func (b *Bundle) meta(title string) docMeta {
	st := b.Statement
	return docMeta{
		Title:   title,
		Running: running(st),
		SHA256:  st.SHA256,
		Draft:   st.Status != billing.StatementStatusIssued,
		Date:    statementDate(st),

		SupersededBy: st.SupersededBy,
	}
}

// statusLines are the version/status lines under a title.
func (d *doc) statusBlock(st *billing.Statement, extra ...string) {
	pairs := []string{
		"结算年度", fmt.Sprintf("%d 年 1 月 1 日至 12 月 31 日", st.Year),
		"版本", fmt.Sprintf("第 %d 版", st.Version),
		"状态", statusName(st),
		"生成日期", chineseDate(st.CreatedAt),
	}
	if st.Status == billing.StatementStatusIssued {
		pairs = append(pairs, "签发日期", chineseDate(st.IssuedAt))
	}
	pairs = append(pairs, extra...)
	d.kv(pairs...)
	if st.Status != billing.StatementStatusIssued {
		d.f.SetTextColor(170, 0, 0)
		d.para("本结算单为草稿，尚未签发，不得作为付款依据。", sizeBody)
		d.f.SetTextColor(0, 0, 0)
	}
	d.gap(2)
}

// amountLines are the lines of an amount block: the amount in figures
// (wrapping after a long label) and in 大写.
func (d *doc) amountLines(label string, amount decimal.Decimal) ([]string, error) {
	capital, err := Capital(amount)
	if err != nil {
		return nil, err
	}
	w := contentW - 2
	lines := d.wrap(fmt.Sprintf("%s（小写）：%s%s 元", label, d.yuan(), money(amount)), w, sizeBody+1)
	return append(lines, d.wrap("人民币（大写）："+capital, w, sizeBody+1)...), nil
}

// amountH is the height of an amount block.
func (d *doc) amountH(label string, amount decimal.Decimal) float64 {
	lines, _ := d.amountLines(label, amount)
	return float64(len(lines))*(lineH(sizeBody+1)+1) + 2 + 3
}

// amountBlock prints a total in figures and in capital numerals, boxed.
func (d *doc) amountBlock(label string, amount decimal.Decimal) error {
	lines, err := d.amountLines(label, amount)
	if err != nil {
		return err
	}
	lh := lineH(sizeBody+1) + 1
	h := float64(len(lines))*lh + 2
	d.reserve(h)
	d.ensure(h)
	y := d.f.GetY()
	d.f.SetDrawColor(0, 0, 0)
	d.f.SetLineWidth(0.4)
	d.f.Rect(marginL, y, contentW, h, "D")
	d.setSize(sizeBody + 1)
	d.bold(true)
	for i, l := range lines {
		d.text(marginL+1, y+1+float64(i)*lh, contentW-2, lh, l, "L")
	}
	d.bold(false)
	d.f.SetY(y + h)
	d.gap(3)
	return nil
}

// yuan is the currency sign ￥ (full width), when the font has it.
func (d *doc) yuan() string {
	if d.font.Has('￥') {
		return "￥ "
	}
	return ""
}

// Signature and seal blocks: three boxes to a row.
const sigBoxW, sigBoxH, sigGapW = 56.0, 40.0, 6.0

// sigRowH is the height of one row of signature boxes: the box grows with
// a party's name beyond two lines.
func (d *doc) sigRowH(parties []string) float64 {
	n, notes := 2, 0
	for _, p := range parties {
		n = max(n, len(d.wrap(p, sigBoxW, sizeBody)))
		notes = max(notes, len(d.sealLines(p)))
	}
	return sigBoxH + float64(n-2)*lineH(sizeBody) + float64(notes)*lineH(sizeSmall)
}

// sealLines are the sign-off records printed in party's block, wrapped.
func (d *doc) sealLines(party string) []string {
	var out []string
	for _, s := range d.seals[party] {
		out = append(out, d.wrap(s, sigBoxW-3, sizeSmall)...)
	}
	return out
}

// signaturesH is the height of the signature and seal blocks with their
// heading.
func (d *doc) signaturesH(parties []string) float64 {
	h := headingH(false)
	for i := 0; i < len(parties); i += 3 {
		h += d.sigRowH(parties[i:min(i+3, len(parties))]) + 4
	}
	return h
}

// signatures draws the signature and seal blocks, three to a row, under
// the heading 签章; the caller keeps them with the amount above (closing).
func (d *doc) signatures(parties []string) {
	d.section("签章")
	for i := 0; i < len(parties); i += 3 {
		row := parties[i:min(i+3, len(parties))]
		boxH := d.sigRowH(row)
		d.reserve(boxH + 4)
		d.ensure(boxH + 4)
		y := d.f.GetY()
		for k, party := range row {
			x := marginL + float64(k)*(sigBoxW+sigGapW)
			d.f.SetDrawColor(80, 80, 80)
			d.f.SetLineWidth(0.3)
			d.f.Rect(x, y, sigBoxW, boxH, "D")
			d.setSize(sizeBody)
			d.bold(true)
			name := d.wrap(party, sigBoxW, sizeBody)
			for j, l := range name {
				d.text(x, y+2+float64(j)*lineH(sizeBody), sigBoxW, lineH(sizeBody), l, "C")
			}
			d.bold(false)
			d.setSize(sizeSmall)
			for j, l := range d.sealLines(party) {
				d.text(x+1.5, y+2.5+float64(max(2, len(name)))*lineH(sizeBody)+float64(j)*lineH(sizeSmall), sigBoxW-3, lineH(sizeSmall), l, "L")
			}
			d.setSize(sizeTable)
			for j, l := range []string{"负责人：", "经办人：", "日期：      年    月    日"} {
				d.text(x+1, y+boxH-19+float64(j)*5.5, sigBoxW-2, 5, l, "L")
			}
			d.f.SetTextColor(150, 150, 150)
			d.text(x, y+boxH-23, sigBoxW-2, 4, "（盖章）", "R")
			d.f.SetTextColor(0, 0, 0)
		}
		d.f.SetY(y + boxH + 4)
	}
}

// closing prints a document's last section: its heading, label/value
// pairs, the amount payable in figures and 大写, and the signature and
// seal blocks, all on one page (on a new page together if they do not fit
// here): a seal is never separated from the amount it attests.
func (d *doc) closing(heading, label string, amount decimal.Decimal, pairs, parties []string) error {
	h := d.amountH(label, amount) + d.signaturesH(parties)
	if len(pairs) > 0 {
		h += d.kvHeight(pairs...) + 2
	}
	d.section(heading)
	d.reserve(h)
	if len(pairs) > 0 {
		d.kv(pairs...)
		d.gap(2)
	}
	if err := d.amountBlock(label, amount); err != nil {
		return err
	}
	d.signatures(parties)
	return nil
}

// renderStatement lays out statement-Y.pdf for the finance bureau.
func renderStatement(b *Bundle, dir *directory, font Font) ([]byte, error) {
	st := b.Statement
	title := "大同市政务云服务费用年度结算单"
	d, err := newDoc(font, b.meta(title))
	if err != nil {
		return nil, err
	}
	d.title(title, fmt.Sprintf("（%d 年度）", st.Year))
	d.statusBlock(st)
	d.signoffNotice(b.Signoff)
	d.setSize(sizeSmall)
	d.para("结算单指纹（结算明细规范 CSV 的 SHA-256）："+st.SHA256, sizeSmall)
	d.gap(2)
	if err := d.amountBlock("考核后应付总额", st.Net); err != nil {
		return nil, err
	}

	// 一、县区汇总
	d.section("一、各县区费用汇总")
	d.table(cols(
		codeCol("区划代码", 22, "L"), col("县区", 50, "L"),
		codeCol("原价金额（元）", 36, "R"), codeCol("考核后金额（元）", 36, "R")))
	districts := append([]billing.DistrictRow(nil), st.Districts...)
	sort.Slice(districts, func(i, j int) bool { return districts[i].DistrictCode < districts[j].DistrictCode })
	for _, r := range districts {
		d.row(rowData, r.DistrictCode, dir.districtName(r.DistrictCode), money(r.Gross), money(r.Net))
	}
	d.row(rowTotal, "", "全市合计", money(st.Gross), money(st.Net))
	d.endTable()

	// 二、部门明细
	d.section("二、各部门费用明细（按服务商）")
	d.table(cols(
		codeCol("部门代码", 18, "L"), col("部门", 44, "L"), col("服务商", 34, "L"),
		codeCol("原价金额（元）", 28, "R"), codeCol("考核系数", 16, "R"), codeCol("考核后金额（元）", 28, "R")))
	depts := append([]billing.DepartmentRow(nil), st.Departments...)
	sort.Slice(depts, func(i, j int) bool {
		a, c := depts[i], depts[j]
		if a.DistrictCode != c.DistrictCode {
			return a.DistrictCode < c.DistrictCode
		}
		if a.DepartmentCode != c.DepartmentCode {
			return a.DepartmentCode < c.DepartmentCode
		}
		return a.ProviderCode < c.ProviderCode
	})
	for i := 0; i < len(depts); {
		code := depts[i].DistrictCode
		d.row(rowGroup, fmt.Sprintf("%s %s", code, dir.districtName(code)))
		var g, n decimal.Decimal
		for ; i < len(depts) && depts[i].DistrictCode == code; i++ {
			r := depts[i]
			d.row(rowData, r.DepartmentCode, dir.departmentName(r.DepartmentCode), dir.providerName(r.ProviderCode),
				money(r.Gross), r.Coefficient.StringFixed(2), money(r.Net))
			g, n = g.Add(r.Gross), n.Add(r.Net)
		}
		d.row(rowSub, "", dir.districtName(code)+" 小计", "", money(g), "", money(n))
	}
	d.row(rowTotal, "", "全市合计", "", money(st.Gross), "", money(st.Net))
	d.endTable()
	d.para(fmt.Sprintf("每一计费行的计价分段（价格版本、单价、价格批复文号、计费数量、天数、周期天数、分段金额）、资源的计费起止与批复数量，"+
		"见各县区结算明细（district-%[1]d-县区代码.pdf，电子表格 district-%[1]d-县区代码.xlsx）与各部门账单（department-%[1]d-部门代码.pdf）；"+
		"全部计费行见结算明细规范 CSV（settlement-%[1]d.csv，其 SHA-256 即本结算单指纹）与电子表格 cloudbill-%[1]d.xlsx。", st.Year), sizeSmall)
	d.gap(2)

	// 三、类别汇总
	d.section("三、按服务目录类别汇总（原价）")
	d.table(cols(
		col("类别", 60, "L"), codeCol("计费行数", 30, "R"), codeCol("原价金额（元）", 40, "R")))
	cats := map[string]decimal.Decimal{}
	count := map[string]int{}
	for _, l := range st.Lines {
		c := dir.category(l.ItemCode)
		cats[c] = cats[c].Add(l.Gross)
		count[c]++
	}
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	var catTotal decimal.Decimal
	for _, c := range names {
		d.row(rowData, categoryName(c), fmt.Sprint(count[c]), money(cats[c]))
		catTotal = catTotal.Add(cats[c])
	}
	d.row(rowTotal, "合计", fmt.Sprint(len(st.Lines)), money(catTotal))
	d.endTable()

	// 四、服务商考核
	d.section("四、服务商考核得分与考核系数")
	d.scoreSummary(b, dir)
	d.para("考核办法：季度得分 = Σ 权重 × 维度得分；年度得分 = 各季度得分的平均值；考核系数按年度得分所在档位确定；"+
		"部门考核后金额 = 原价金额 × 考核系数，四舍五入至分。得分显示保留两位小数，判定按精确值。", sizeTable)
	d.gap(1)
	if pol := policySummary(b); pol != "" {
		d.para("所用考核政策（全文见考核报告）："+pol, sizeTable)
	}

	// 五、结算金额
	parties := []string{"大同市政府信息化中心", "大同市财政局"}
	for _, p := range providerCodes(st) {
		parties = append(parties, "服务商："+dir.providerName(p))
	}
	d.setSeals(b.Signoff, dir, parties[0], parties[1], "")
	if err := d.closing("五、结算金额", "应付总额", st.Net,
		[]string{"原价合计", d.yuan() + money(st.Gross) + " 元", "考核后合计", d.yuan() + money(st.Net) + " 元"}, parties); err != nil {
		return nil, err
	}
	d.signoffRecords(b.Signoff, dir, "")
	d.objectionAppendix(b.Signoff, dir, "")
	if b.Replaces != nil {
		d.changeList(b.Replaces, st)
	}
	return d.bytes()
}

// changeList is the appendix of a version issued after another: per line
// that changed, its gross before and after and the difference, and the
// totals of both versions.
func (d *doc) changeList(old, st *billing.Statement) {
	changes := billing.Diff(old, st)
	d.section(fmt.Sprintf("附录：与第 %d 版相比的变更清单", old.Version))
	d.para(fmt.Sprintf("本版（第 %d 版）取代第 %d 版（签发于 %s，指纹 %s）。下表列出金额或计费天数有变化的明细行；未列出的明细行两版相同。",
		st.Version, old.Version, chineseDate(old.IssuedAt), old.SHA256), sizeTable)
	d.table(cols(
		codeCol("变更", 10, "C"), codeCol("资源", 26, "L"), codeCol("计费项", 18, "L"),
		codeCol("原计费天数", 14, "R"), codeCol("现计费天数", 14, "R"),
		codeCol("原金额（元）", 20, "R"), codeCol("现金额（元）", 20, "R"), codeCol("差额（元）", 20, "R")))
	kind := map[billing.ChangeKind]string{billing.ChangeAdded: "新增", billing.ChangeRemoved: "删除", billing.ChangeChanged: "变更"}
	var before, after, delta decimal.Decimal
	for _, c := range changes {
		l := c.New
		if c.Kind == billing.ChangeRemoved {
			l = c.Old
		}
		d.row(rowData, kind[c.Kind], l.ResourceID, l.ItemCode, fmt.Sprint(c.Old.BillableDays), fmt.Sprint(c.New.BillableDays),
			money(c.Old.Gross), money(c.New.Gross), money(c.Delta()))
		before, after, delta = before.Add(c.Old.Gross), after.Add(c.New.Gross), delta.Add(c.Delta())
	}
	d.row(rowTotal, "合计", fmt.Sprintf("%d 行", len(changes)), "", "", "", money(before), money(after), money(delta))
	d.endTable()
	d.kv("原版原价合计", money(old.Gross)+" 元", "本版原价合计", money(st.Gross)+" 元",
		"原版考核后合计", money(old.Net)+" 元", "本版考核后合计", money(st.Net)+" 元")
}

// providerCodes lists the statement's providers, sorted.
func providerCodes(st *billing.Statement) []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, p := range st.Providers {
		add(p.ProviderCode)
	}
	for _, r := range st.Departments {
		add(r.ProviderCode)
	}
	sort.Strings(out)
	return out
}

func (b *Bundle) policy() string {
	if strings.TrimSpace(b.Policy) != "" {
		return strings.TrimRight(b.Policy, "\n")
	}
	return strings.TrimRight(b.Statement.Policy, "\n")
}

// policySummary is the part of the statement's policy that decides the
// coefficient, in Chinese: the weights and the tiers; the stored text
// itself when it is not a policy file.
func policySummary(b *Bundle) string {
	p, ok := b.parsedPolicy()
	if !ok {
		return b.policy()
	}
	var w []string
	for _, dim := range evaluation.Dimensions {
		w = append(w, dimensionName(string(dim))+" "+atLeast2(p.Weights[dim]))
	}
	var t []string
	for _, x := range p.Tiers {
		t = append(t, "≥ "+x.Min.String()+" → "+x.Coefficient.StringFixed(2))
	}
	t = append(t, "低于 "+p.Tiers[len(p.Tiers)-1].Min.String()+" → "+p.Below.StringFixed(2))
	return "维度权重 " + strings.Join(w, "、") + "；考核系数档位（年度得分）" + strings.Join(t, "、") + "。"
}

// quarters lists the periods of the year's evaluations, sorted.
func quarters(st *billing.Statement) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range st.Providers {
		for _, q := range p.Quarters {
			if !seen[q.Period] {
				seen[q.Period] = true
				out = append(out, q.Period)
			}
		}
	}
	sort.Strings(out)
	return out
}

// scoreSummary is the table of quarterly and annual scores per provider.
func (d *doc) scoreSummary(b *Bundle, dir *directory) {
	st := b.Statement
	qs := quarters(st)
	spec := []column{col("服务商", 40, "L")}
	for _, q := range qs {
		spec = append(spec, codeCol(q, 18, "R"))
	}
	spec = append(spec, codeCol("年度得分", 20, "R"), codeCol("考核系数", 18, "R"))
	d.table(cols(spec...))
	provs := append([]billing.ProviderEvaluation(nil), st.Providers...)
	sort.Slice(provs, func(i, j int) bool { return provs[i].ProviderCode < provs[j].ProviderCode })
	for _, p := range provs {
		cells := []string{dir.providerName(p.ProviderCode)}
		for _, q := range qs {
			s := "—"
			for _, x := range p.Quarters {
				if x.Period == q {
					s = score(x.Score)
				}
			}
			cells = append(cells, s)
		}
		cells = append(cells, score(p.Annual), p.Coefficient.StringFixed(2))
		d.row(rowData, cells...)
	}
	d.endTable()
}
