package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// priceCell describes the price versions a line was billed at: unit price,
// unit and cycle, and the approval reference of each.
func priceCell(l billing.Line, dir *directory) string {
	type pv struct {
		from  metering.Date
		price decimal.Decimal
		ref   string
		cycle billing.Cycle
	}
	seen := map[string]bool{}
	var vs []pv
	for _, r := range l.Runs {
		key := fmt.Sprint(r.EffectiveFrom, r.Price.String(), r.ApprovalRef, r.Cycle)
		if !seen[key] {
			seen[key] = true
			vs = append(vs, pv{r.EffectiveFrom, r.Price, r.ApprovalRef, r.Cycle})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].from < vs[j].from })
	var parts []string
	for _, k := range vs {
		unit := "单位"
		if v, ok := dir.item(l.ItemCode, k.from); ok && v.Unit != "" {
			unit = v.Unit
		}
		parts = append(parts, fmt.Sprintf("%s 元/%s·%s\n%s", price(k.price), unit, orCode(cycleNames[string(k.cycle)], string(k.cycle)), k.ref))
	}
	return strings.Join(parts, "\n")
}

// renderDistrict lays out district-Y-CODE.pdf: departments → providers and
// systems → lines, with subtotals at every level.
func renderDistrict(b *Bundle, dir *directory, font Font, code string) ([]byte, error) {
	st := b.Statement
	name := dir.districtName(code)
	title := "大同市政务云服务费用结算明细"
	d, err := newDoc(font, b.meta(title+" · "+name))
	if err != nil {
		return nil, err
	}
	d.title(title, fmt.Sprintf("%s（%s） · %d 年度", name, code, st.Year))
	d.statusBlock(st)

	var lines []billing.Line
	for _, l := range st.Lines {
		if l.DistrictCode == code {
			lines = append(lines, l)
		}
	}
	billing.SortLinesByPlace(lines)
	type dk struct{ dept, prov string }
	rows := map[dk]billing.DepartmentRow{}
	var deptRows []billing.DepartmentRow
	for _, r := range st.Departments {
		if r.DistrictCode == code {
			rows[dk{r.DepartmentCode, r.ProviderCode}] = r
			deptRows = append(deptRows, r)
		}
	}
	sort.Slice(deptRows, func(i, j int) bool {
		if deptRows[i].DepartmentCode != deptRows[j].DepartmentCode {
			return deptRows[i].DepartmentCode < deptRows[j].DepartmentCode
		}
		return deptRows[i].ProviderCode < deptRows[j].ProviderCode
	})
	var dist billing.DistrictRow
	for _, r := range st.Districts {
		if r.DistrictCode == code {
			dist = r
		}
	}

	d.section("一、费用明细（部门 → 系统 → 计费项）", 25)
	d.table(cols(
		column{"资源", 40, "L"}, column{"服务项目", 30, "L"}, column{"单价（元）及批复文号", 46, "L"},
		column{"计费天数", 14, "R"}, column{"数量·天", 20, "R"}, column{"原价（元）", 30, "R"}))
	for i := 0; i < len(lines); {
		dept := lines[i].DepartmentCode
		d.row(rowGroup, fmt.Sprintf("部门：%s %s", dept, dir.departmentName(dept)))
		var deptGross, deptNet decimal.Decimal
		nprov := 0
		for i < len(lines) && lines[i].DepartmentCode == dept {
			prov := lines[i].ProviderCode
			nprov++
			var provGross decimal.Decimal
			for i < len(lines) && lines[i].DepartmentCode == dept && lines[i].ProviderCode == prov {
				sys := lines[i].SystemID
				d.row(rowGroup, fmt.Sprintf("系统：%s %s ｜ 服务商：%s", sys, dir.systemName(sys), dir.providerName(prov)))
				var sysGross decimal.Decimal
				for ; i < len(lines) && lines[i].DepartmentCode == dept && lines[i].ProviderCode == prov && lines[i].SystemID == sys; i++ {
					l := lines[i]
					d.row(rowData, dir.resourceLabel(l.ResourceID), l.ItemCode+" "+dir.itemName(l.ItemCode), priceCell(l, dir),
						fmt.Sprint(l.BillableDays), number(l.QuantityDays), money(l.Gross))
					sysGross = sysGross.Add(l.Gross)
				}
				d.row(rowSub, "", "系统小计", "", "", "", money(sysGross))
				provGross = provGross.Add(sysGross)
			}
			r := rows[dk{dept, prov}]
			d.row(rowSub, "", "部门原价小计", "服务商："+dir.providerName(prov), "", "", money(provGross))
			d.row(rowSub, "", "考核后金额", fmt.Sprintf("原价 × 考核系数 %s", r.Coefficient.StringFixed(2)), "", "", money(r.Net))
			deptGross, deptNet = deptGross.Add(provGross), deptNet.Add(r.Net)
		}
		if nprov > 1 {
			d.row(rowSub, "", "部门原价合计", "", "", "", money(deptGross))
			d.row(rowSub, "", "部门考核后合计", "", "", "", money(deptNet))
		}
	}
	d.row(rowTotal, "", "县区原价合计", "", "", "", money(dist.Gross))
	d.row(rowTotal, "", "县区考核后合计", "", "", "", money(dist.Net))
	d.endTable()

	d.section("二、部门汇总", 25)
	d.table(cols(
		column{"部门代码", 20, "L"}, column{"部门", 46, "L"}, column{"服务商", 32, "L"},
		column{"原价金额（元）", 28, "R"}, column{"考核系数", 16, "R"}, column{"考核后金额（元）", 28, "R"}))
	for _, r := range deptRows {
		d.row(rowData, r.DepartmentCode, dir.departmentName(r.DepartmentCode), dir.providerName(r.ProviderCode),
			money(r.Gross), r.Coefficient.StringFixed(2), money(r.Net))
	}
	d.row(rowTotal, "", name+"合计", "", money(dist.Gross), "", money(dist.Net))
	d.endTable()

	d.section("三、结算金额", 25)
	if err := d.amountBlock(name+" 考核后应付", dist.Net); err != nil {
		return nil, err
	}
	d.signatures([]string{name + "政务云主管部门", "大同市政府信息化中心"})
	return d.bytes()
}
