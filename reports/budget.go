package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/billing"
	"cloudbill/metering"
)

// BudgetBundle is what next year's budget proposal (预算建议) is made
// from; app.BudgetData gathers it as of 31 December of the year before.
type BudgetBundle struct {
	Year  int
	AsOf  metering.Date // 31 December of Year − 1
	Lines []BudgetLine  // per (resource, item), by district, department, category, item
	Names Names
	// PendingChanges and PendingExits count the changes and exits the
	// proposal expects; Unpriced lists the items approved on AsOf without
	// a price on some day of Year.
	PendingChanges, PendingExits int
	Unpriced                     []string
}

// BudgetLine is one resource's item for the whole proposed year: the
// quantity approved on 1 January, the quantity-days and days forecast,
// and the amount at the year's prices, rounded once.
type BudgetLine struct {
	billing.Placement
	ResourceID   string
	ItemCode     string
	Category     string
	Quantity     decimal.Decimal
	QuantityDays decimal.Decimal
	Days         int
	Amount       decimal.Decimal
}

// budgetRow is the proposal of one department and item: the rows of
// budget-Y.csv, each the sum of its resources' lines.
type budgetRow struct {
	district, department, category, item string
	resources                            int
	quantity, quantityDays, amount       decimal.Decimal
}

// rows sums the lines per (district, department, category, item), in
// that order.
func (b *BudgetBundle) rows() []budgetRow {
	var out []budgetRow
	for _, l := range b.Lines {
		n := len(out)
		if n == 0 || out[n-1].district != l.DistrictCode || out[n-1].department != l.DepartmentCode || out[n-1].category != l.Category || out[n-1].item != l.ItemCode {
			out = append(out, budgetRow{district: l.DistrictCode, department: l.DepartmentCode, category: l.Category, item: l.ItemCode})
			n++
		}
		r := &out[n-1]
		r.resources++
		r.quantity = r.quantity.Add(l.Quantity)
		r.quantityDays = r.quantityDays.Add(l.QuantityDays)
		r.amount = r.amount.Add(l.Amount)
	}
	return out
}

// BudgetCSVColumns are the columns of budget-Y.csv (docs/formats.md).
var BudgetCSVColumns = []string{"year", "district_code", "department_code", "category", "item_code", "resources", "quantity", "quantity_days", "amount"}

// WriteBudgetCSV writes one row per department and item of the proposal.
func WriteBudgetCSV(w io.Writer, b *BudgetBundle) error {
	cw := csv.NewWriter(w)
	cw.Write(BudgetCSVColumns)
	y := strconv.Itoa(b.Year)
	for _, r := range b.rows() {
		cw.Write([]string{y, r.district, r.department, r.category, r.item, strconv.Itoa(r.resources), r.quantity.String(), r.quantityDays.String(), r.amount.StringFixed(2)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteBudgetDocuments writes base.pdf and base.xlsx and returns their
// paths. The same bundle always gives the same bytes.
func WriteBudgetDocuments(base string, b *BudgetBundle, font Font) ([]string, error) {
	if font.cover == nil {
		return nil, errors.New("write budget proposal: no font loaded (use FindFont)")
	}
	dir := newDirectory(b.Names)
	var paths []string
	for _, j := range []struct {
		path   string
		render func() ([]byte, error)
	}{
		{base + ".pdf", func() ([]byte, error) { return renderBudget(b, dir, font) }},
		{base + ".xlsx", func() ([]byte, error) { return renderBudgetXLSX(b, dir) }},
	} {
		data, err := safely(j.render)
		if err != nil {
			return paths, fmt.Errorf("render %s: %w", j.path, err)
		}
		if err := writeAtomic(j.path, data); err != nil {
			return paths, err
		}
		paths = append(paths, j.path)
	}
	return paths, nil
}

// unitPrice prints the prices of item in force during year: "330.00
// 元/核/年", or several separated by "→" when the price changes.
func (dir *directory) unitPrice(item string, year int) string {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	var ps []string
	for _, v := range dir.items[item] {
		if v.EffectiveFrom < y1 && (!v.EffectiveTo.Valid || v.EffectiveTo.Date > y0) {
			ps = append(ps, fmt.Sprintf("%s 元/%s/%s", price(v.Price), v.Unit, orCode(cycleNames[string(v.Cycle)], string(v.Cycle))))
		}
	}
	if len(ps) == 0 {
		return "无价格"
	}
	return strings.Join(ps, " → ")
}

// sums keyed by a name, listed in key order.
type sums struct {
	keys []string
	by   map[string]decimal.Decimal
}

func (s *sums) add(k string, v decimal.Decimal) {
	if s.by == nil {
		s.by = map[string]decimal.Decimal{}
	}
	if _, ok := s.by[k]; !ok {
		s.keys = append(s.keys, k)
	}
	s.by[k] = s.by[k].Add(v)
}

func (s *sums) sorted() []string {
	out := append([]string(nil), s.keys...)
	sort.Strings(out)
	return out
}

func renderBudget(b *BudgetBundle, dir *directory, font Font) ([]byte, error) {
	title := "大同市政务云服务费用预算建议"
	d, err := newDoc(font, docMeta{Title: title, Running: fmt.Sprintf("%d 年度 · 按 %s 批复配置测算", b.Year, b.AsOf), Date: metering.YearStart(b.Year).Start()})
	if err != nil {
		return nil, err
	}
	rows := b.rows()
	var total decimal.Decimal
	var byDistrict, byCategory sums
	for _, r := range rows {
		total = total.Add(r.amount)
		byDistrict.add(r.district, r.amount)
		byCategory.add(r.category, r.amount)
	}
	d.title(title, fmt.Sprintf("（%d 年度 · 供各县区财政部门编制预算参考）", b.Year))
	d.kv("预算年度", fmt.Sprintf("%d 年 1 月 1 日至 12 月 31 日", b.Year), "测算依据", fmt.Sprintf("%s 日终批复配置", b.AsOf),
		"计费行", fmt.Sprintf("%d 个（资源 × 计费项）", len(b.Lines)), "建议总额", money(total)+" 元")
	d.setSize(sizeTable)
	d.para(fmt.Sprintf("测算方法（规则 §10）：%s 日终已确认交付、尚未释放的每项资源，按当日批复的配置，以 %d 年每日适用的目录价格计全年；"+
		"已批准尚未实施的变更（%d 项）自变更时限届满日起按新配置计；已批准退出尚未释放的资源（%d 项）计至退出时限届满日前一日；"+
		"尚未确认交付的资源不计。每项资源的每个计费项四舍五入至分，各级合计为其下各行之和。", b.AsOf, b.Year, b.PendingChanges, b.PendingExits), sizeTable)
	if len(b.Unpriced) > 0 {
		d.f.SetTextColor(170, 0, 0)
		d.para(fmt.Sprintf("注意：以下计费项在 %d 年部分或全部日期没有目录价格，无价格的日期未计入：%s。", b.Year, strings.Join(b.Unpriced, "、")), sizeTable)
		d.f.SetTextColor(0, 0, 0)
	}
	d.gap(2)
	d.section("一、各县区预算建议汇总")
	d.table(cols(col("区划代码", 20, "L"), col("县区", 50, "L"), codeCol("建议预算（元）", 40, "R")))
	for _, c := range byDistrict.sorted() {
		d.row(rowData, c, dir.districtName(c), money(byDistrict.by[c]))
	}
	d.row(rowTotal, "", "全市合计", money(total))
	d.endTable()
	d.section("二、按目录类别汇总")
	d.table(cols(col("类别", 70, "L"), codeCol("建议预算（元）", 40, "R")))
	for _, c := range byCategory.sorted() {
		d.row(rowData, orCode(c, "未分类"), money(byCategory.by[c]))
	}
	d.row(rowTotal, "全市合计", money(total))
	d.endTable()

	n := 2
	for i := 0; i < len(rows); {
		c := rows[i].district
		d.f.AddPage()
		n++
		d.section(fmt.Sprintf("%s、%s %s：%d 年度政务云服务费用预算建议（报该县区财政部门）", chineseNumber(n), c, dir.districtName(c), b.Year))
		d.table(cols(col("计费项", 40, "L"), col(fmt.Sprintf("单价（%d 年）", b.Year), 44, "L"), codeCol("资源数", 14, "R"), codeCol("批复数量（1 月 1 日）", 26, "R"), codeCol("建议预算（元）", 28, "R")))
		var district decimal.Decimal
		var cats sums
		for i < len(rows) && rows[i].district == c {
			dept := rows[i].department
			d.row(rowGroup, "部门："+dir.departmentName(dept))
			var sub decimal.Decimal
			for ; i < len(rows) && rows[i].district == c && rows[i].department == dept; i++ {
				r := rows[i]
				d.row(rowData, fmt.Sprintf("%s %s（%s）", r.item, dir.itemName(r.item), orCode(r.category, "未分类")), dir.unitPrice(r.item, b.Year), fmt.Sprint(r.resources), number(r.quantity), money(r.amount))
				sub = sub.Add(r.amount)
				cats.add(r.category, r.amount)
			}
			d.row(rowSub, "部门小计", "", "", "", money(sub))
			district = district.Add(sub)
		}
		d.row(rowTotal, "合计 "+c, "", "", "", money(district))
		d.endTable()
		d.para("按目录类别：", sizeBody)
		d.table(cols(col("类别", 70, "L"), codeCol("建议预算（元）", 40, "R")))
		for _, k := range cats.sorted() {
			d.row(rowData, orCode(k, "未分类"), money(cats.by[k]))
		}
		d.row(rowTotal, "合计 "+c, money(district))
		d.endTable()
		if err := d.amountBlock(dir.districtName(c)+"建议预算", district); err != nil {
			return nil, err
		}
	}
	return d.bytes()
}

func renderBudgetXLSX(b *BudgetBundle, dir *directory) ([]byte, error) {
	title := fmt.Sprintf("大同市政务云服务费用 %d 年度预算建议", b.Year)
	date := metering.YearStart(b.Year).Start()
	// the statements' workbook styles; the properties are the proposal's
	bk, err := newBook(&billing.Statement{Year: b.Year, CreatedAt: date}, title)
	if err != nil {
		return nil, err
	}
	stamp := date.UTC().Format("2006-01-02T15:04:05Z")
	if err := bk.x.SetDocProps(&excelize.DocProperties{Title: title, Subject: fmt.Sprintf("按 %s 日终批复配置测算", b.AsOf),
		Creator: "cloudbill", LastModifiedBy: "cloudbill", Created: stamp, Modified: stamp, Language: "zh-CN"}); err != nil {
		bk.x.Close()
		return nil, err
	}
	rows := b.rows()
	var total decimal.Decimal
	var byDistrict sums
	type dc struct{ district, department, category string }
	var byDept []dc
	deptSums := map[dc]decimal.Decimal{}
	for _, r := range rows {
		total = total.Add(r.amount)
		byDistrict.add(r.district, r.amount)
		k := dc{r.district, r.department, r.category}
		if _, ok := deptSums[k]; !ok {
			byDept = append(byDept, k)
		}
		deptSums[k] = deptSums[k].Add(r.amount)
	}
	s := bk.sheet("县区汇总", []float64{12, 24, 18}, "区划代码", "县区", "建议预算")
	for _, c := range byDistrict.sorted() {
		s.put(c, dir.districtName(c), moneyCell{byDistrict.by[c]})
	}
	s.total("", "全市合计", moneyCell{total})

	s = bk.sheet("部门类别", []float64{12, 14, 30, 16, 18}, "区划代码", "部门代码", "部门", "类别", "建议预算")
	for _, k := range byDept {
		s.put(k.district, k.department, dir.departmentName(k.department), k.category, moneyCell{deptSums[k]})
	}
	s.total("", "", "全市合计", "", moneyCell{total})

	s = bk.sheet("明细", []float64{8, 12, 14, 30, 14, 12, 24, 10, 14, 14, 16}, "年度", "区划代码", "部门代码", "部门", "类别", "计费项代码", "计费项", "资源数", "批复数量", "数量·天", "建议预算")
	for _, r := range rows {
		s.put(b.Year, r.district, r.department, dir.departmentName(r.department), r.category, r.item, dir.itemName(r.item), r.resources, r.quantity, r.quantityDays, moneyCell{r.amount})
	}
	s.total(nil, "", "", "全市合计", "", "", "", nil, nil, nil, moneyCell{total})
	return bk.finish()
}
