package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/billing"
	"cloudbill/evaluation"
)

// sheet writes one table into a worksheet: a bold header row, then rows
// whose decimal cells are stored as numbers (exact text, number type).
type sheet struct {
	x           *excelize.File
	name        string
	row         int
	money, head int // style ids
	err         error
}

// moneyCell is an amount shown with two decimals and separators; other
// decimals (scores, coefficients, quantities) are plain numbers.
type moneyCell struct{ decimal.Decimal }

func (s *sheet) put(cells ...any) {
	if s.err != nil {
		return
	}
	s.row++
	for i, c := range cells {
		ref, err := excelize.CoordinatesToCellName(i+1, s.row)
		if err != nil {
			s.err = err
			return
		}
		switch v := c.(type) {
		case moneyCell:
			s.err = s.x.SetCellDefault(s.name, ref, v.StringFixed(2))
			if s.err == nil {
				s.err = s.x.SetCellStyle(s.name, ref, ref, s.money)
			}
		case decimal.Decimal:
			s.err = s.x.SetCellDefault(s.name, ref, v.String())
		case int:
			s.err = s.x.SetCellInt(s.name, ref, int64(v))
		case string:
			s.err = s.x.SetCellStr(s.name, ref, v)
		case nil:
		default:
			s.err = fmt.Errorf("cell %s: unsupported %T", ref, c)
		}
		if s.err != nil {
			return
		}
	}
}

func (s *sheet) header(widths []float64, titles ...string) {
	cells := make([]any, len(titles))
	for i, t := range titles {
		cells[i] = t
	}
	s.put(cells...)
	if s.err != nil {
		return
	}
	last, _ := excelize.CoordinatesToCellName(len(titles), 1)
	s.err = s.x.SetCellStyle(s.name, "A1", last, s.head)
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if s.err == nil {
			s.err = s.x.SetColWidth(s.name, col, col, w)
		}
	}
	if s.err == nil {
		s.err = s.x.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
}

// renderXLSX writes cloudbill-Y.xlsx: the documents' tables, one sheet each.
func renderXLSX(b *Bundle, dir *directory) ([]byte, error) {
	st := b.Statement
	x := excelize.NewFile()
	defer x.Close()
	date := statementDate(st).UTC().Format("2006-01-02T15:04:05Z")
	if err := x.SetDocProps(&excelize.DocProperties{
		Title:   fmt.Sprintf("大同市政务云服务费用 %d 年度结算（第 %d 版，%s）", st.Year, st.Version, statusName(st)),
		Creator: "cloudbill", Created: date, Modified: date, Identifier: st.SHA256,
	}); err != nil {
		return nil, err
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DEE2E8"}}})
	if err != nil {
		return nil, err
	}
	moneyFmt := "#,##0.00"
	mstyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt})
	if err != nil {
		return nil, err
	}
	var sheets []*sheet
	newSheet := func(name string) *sheet {
		s := &sheet{x: x, name: name, money: mstyle, head: head}
		if len(sheets) == 0 {
			s.err = x.SetSheetName("Sheet1", name)
		} else {
			_, s.err = x.NewSheet(name)
		}
		sheets = append(sheets, s)
		return s
	}

	s := newSheet("县区汇总")
	s.header([]float64{12, 24, 18, 18}, "区划代码", "县区", "原价金额", "考核后金额")
	districts := append([]billing.DistrictRow(nil), st.Districts...)
	sort.Slice(districts, func(i, j int) bool { return districts[i].DistrictCode < districts[j].DistrictCode })
	for _, r := range districts {
		s.put(r.DistrictCode, dir.districtName(r.DistrictCode), moneyCell{r.Gross}, moneyCell{r.Net})
	}
	s.put("", "全市合计", moneyCell{st.Gross}, moneyCell{st.Net})

	s = newSheet("部门明细")
	s.header([]float64{12, 12, 30, 12, 24, 16, 10, 16}, "区划代码", "部门代码", "部门", "服务商代码", "服务商", "原价金额", "考核系数", "考核后金额")
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
	for _, r := range depts {
		s.put(r.DistrictCode, r.DepartmentCode, dir.departmentName(r.DepartmentCode), r.ProviderCode, dir.providerName(r.ProviderCode),
			moneyCell{r.Gross}, r.Coefficient, moneyCell{r.Net})
	}

	s = newSheet("结算明细")
	s.header([]float64{10, 10, 12, 12, 26, 14, 12, 24, 30, 10, 12, 14},
		"服务商代码", "区划代码", "部门代码", "系统编号", "系统", "资源编号", "计费项代码", "计费项", "单价及批复文号", "计费天数", "数量·天", "原价金额")
	lines := append([]billing.Line(nil), st.Lines...)
	billing.SortLinesByPlace(lines)
	for _, l := range lines {
		s.put(l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, dir.systemName(l.SystemID), l.ResourceID,
			l.ItemCode, dir.itemName(l.ItemCode), strings.ReplaceAll(priceCell(l, dir), "\n", " "), l.BillableDays, l.QuantityDays, moneyCell{l.Gross})
	}

	s = newSheet("类别汇总")
	s.header([]float64{24, 12, 18}, "类别", "计费行数", "原价金额")
	cats, count := map[string]decimal.Decimal{}, map[string]int{}
	for _, l := range st.Lines {
		c := dir.category(l.ItemCode)
		cats[c] = cats[c].Add(l.Gross)
		count[c]++
	}
	var names []string
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		s.put(c, count[c], moneyCell{cats[c]})
	}

	s = newSheet("考核得分")
	s.header([]float64{12, 24, 10, 12, 12, 12, 12, 12, 10, 12}, "服务商代码", "服务商", "季度",
		"服务响应", "服务质量", "服务满意度", "安全管理", "季度得分", "响应取自SLA", "年度得分/系数")
	provs := append([]billing.ProviderEvaluation(nil), st.Providers...)
	sort.Slice(provs, func(i, j int) bool { return provs[i].ProviderCode < provs[j].ProviderCode })
	for _, p := range provs {
		qs := append([]billing.QuarterScore(nil), p.Quarters...)
		sort.Slice(qs, func(i, j int) bool { return qs[i].Period < qs[j].Period })
		for _, q := range qs {
			cells := []any{p.ProviderCode, dir.providerName(p.ProviderCode), q.Period}
			for _, dim := range evaluation.Dimensions {
				if v, ok := q.Dimensions[string(dim)]; ok {
					cells = append(cells, v)
				} else {
					cells = append(cells, nil)
				}
			}
			sla := "否"
			if q.ResponseFromSLA {
				sla = "是"
			}
			s.put(append(cells, q.Score, sla)...)
		}
		s.put(p.ProviderCode, dir.providerName(p.ProviderCode), "年度得分", nil, nil, nil, nil, nil, nil, p.Annual)
		s.put(p.ProviderCode, dir.providerName(p.ProviderCode), "考核系数", nil, nil, nil, nil, nil, nil, p.Coefficient)
	}

	s = newSheet("SLA履约")
	s.header([]float64{12, 14, 10, 12, 12, 12, 12, 12, 10}, "服务商代码", "资源编号", "事项", "起算日", "到期日", "完成日", "状态", "逾期工作日", "季度")
	obs := append([]evaluation.Obligation(nil), b.Obligations...)
	sortObligations(obs)
	for _, o := range obs {
		done := ""
		if o.Done.Valid {
			done = o.Done.Date.String()
		}
		s.put(o.ProviderCode, o.ResourceID, kindName(string(o.Kind)), o.Started.String(), o.Due.String(), done,
			kindName(string(o.Status)), o.LateWorkingDays, evaluation.Quarter(o.Due))
	}

	s = newSheet("资源使用评估")
	p := b.rules()
	s.header([]float64{10, 12, 12, 12, 14, 10, 12, 12, 8, 14, 22}, "类型", "区划代码", "部门代码", "系统编号", "资源编号", "计费项", "起始日", "截止日", "天数", "金额", "建议措施")
	for _, f := range sortedFindings(b.Findings, dir) {
		s.put(kindName(string(f.Kind)), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode,
			f.FirstDay.String(), f.LastDay.String(), f.Days, moneyCell{f.Amount}, findingAction(f, p))
	}

	for _, s := range sheets {
		if s.err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, s.err)
		}
	}
	buf, err := x.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
