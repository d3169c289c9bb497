package reports

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// Cell kinds of the workbooks, each stored with its exact value and shown
// with a number format: decimals are written as their exact decimal text
// in a number cell (never through float64).
type (
	moneyCell struct{ decimal.Decimal } // an amount: #,##0.00
	exactCell struct{ decimal.Decimal } // an exact run amount: all its decimals
	scoreCell struct{ decimal.Decimal } // a score or coefficient: 0.00, stored exactly
	dateCell  struct{ metering.Date }   // a civil date: yyyy-mm-dd (an Excel serial day)
)

// excelEpoch is metering.Date's day 0 (1970-01-01) as an Excel serial day
// (days since 1899-12-30).
const excelEpoch = 25569

// book is a workbook being written: its styles and sheets.
type book struct {
	x      *excelize.File
	styles map[string]int
	sheets []*sheet
}

// sheet writes one table: a bold header row, data rows, then total rows
// below the data. Its dimension is declared and the header and data rows
// carry an autofilter when it is finished.
type sheet struct {
	b       *book
	name    string
	row     int
	cols    int
	dataEnd int // last row under the autofilter
	styled  map[int]bool
	err     error
}

func newBook(st *billing.Statement, title string) (*book, error) {
	x := excelize.NewFile()
	date := statementDate(st).UTC().Format("2006-01-02T15:04:05Z")
	if err := x.SetDocProps(&excelize.DocProperties{
		Title:          title,
		Subject:        fmt.Sprintf("%d 年度第 %d 版（%s）", st.Year, st.Version, statusName(st)),
		Creator:        "cloudbill",
		LastModifiedBy: "cloudbill",
		Created:        date,
		Modified:       date,
		Identifier:     st.SHA256,
		Description:    "结算单指纹 SHA-256：" + st.SHA256,
		Language:       "zh-CN",
		Version:        fmt.Sprint(st.Version),
	}); err != nil {
		x.Close()
		return nil, err
	}
	b := &book{x: x, styles: map[string]int{}}
	// in a fixed order: style ids are part of the file's bytes
	for _, st := range []struct {
		name  string
		style *excelize.Style
	}{
		{"head", &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DEE2E8"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}}},
		{"money", &excelize.Style{CustomNumFmt: ptr("#,##0.00")}},
		{"exact", &excelize.Style{CustomNumFmt: ptr("#,##0.00############")}},
		{"score", &excelize.Style{CustomNumFmt: ptr("0.00")}},
		{"date", &excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")}},
		{"total", &excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: ptr("#,##0.00")}},
	} {
		id, err := x.NewStyle(st.style)
		if err != nil {
			x.Close()
			return nil, err
		}
		b.styles[st.name] = id
	}
	return b, nil
}

func ptr(s string) *string { return &s }

// sheet adds a worksheet with its header row and column widths.
func (b *book) sheet(name string, widths []float64, titles ...string) *sheet {
	s := &sheet{b: b, name: name, cols: len(titles), styled: map[int]bool{}}
	if len(b.sheets) == 0 {
		s.err = b.x.SetSheetName("Sheet1", name)
	} else {
		_, s.err = b.x.NewSheet(name)
	}
	b.sheets = append(b.sheets, s)
	cells := make([]any, len(titles))
	for i, t := range titles {
		cells[i] = t
	}
	s.put(cells...)
	last, _ := excelize.CoordinatesToCellName(len(titles), 1)
	s.check(b.x.SetCellStyle(name, "A1", last, b.styles["head"]))
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		s.check(b.x.SetColWidth(name, col, col, w))
	}
	s.check(b.x.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	return s
}

func (s *sheet) check(err error) {
	if s.err == nil {
		s.err = err
	}
}

// put writes a data row.
func (s *sheet) put(cells ...any) {
	s.write("", cells)
	s.dataEnd = s.row
}

// total writes a total row (bold amounts) below the data, outside the
// autofilter.
func (s *sheet) total(cells ...any) { s.write("total", cells) }

func (s *sheet) write(style string, cells []any) {
	if s.err != nil {
		return
	}
	s.row++
	x, st := s.b.x, s.b.styles
	for i, c := range cells {
		ref, err := excelize.CoordinatesToCellName(i+1, s.row)
		if err != nil {
			s.err = err
			return
		}
		// A data cell's number format is its column's style, set once
		// (far cheaper than a style per cell); a total cell has its own.
		styled := func(v, name string) {
			if style == "" && !s.styled[i] {
				col, _ := excelize.ColumnNumberToName(i + 1)
				head, _ := excelize.CoordinatesToCellName(i+1, 1)
				s.check(x.SetColStyle(s.name, col, st[name]))
				s.check(x.SetCellStyle(s.name, head, head, st["head"]))
				s.styled[i] = true
			}
			s.check(x.SetCellDefault(s.name, ref, v))
			if style != "" {
				s.check(x.SetCellStyle(s.name, ref, ref, st[style]))
			}
		}
		switch v := c.(type) {
		case moneyCell:
			styled(v.StringFixed(2), "money")
		case exactCell:
			styled(v.String(), "exact")
		case scoreCell:
			styled(v.String(), "score")
		case dateCell:
			styled(fmt.Sprint(int(v.Date)+excelEpoch), "date")
		case decimal.Decimal:
			s.check(x.SetCellDefault(s.name, ref, v.String()))
		case int:
			s.check(x.SetCellInt(s.name, ref, int64(v)))
		case string:
			s.check(x.SetCellStr(s.name, ref, v))
		case nil:
		default:
			s.check(fmt.Errorf("cell %s: unsupported %T", ref, c))
		}
		if s.err != nil {
			return
		}
	}
	if len(cells) > s.cols {
		s.cols = len(cells)
	}
}

// finish declares every sheet's dimension (readers in read-only mode rely
// on it) and puts an autofilter on its header and data rows, then returns
// the workbook's bytes.
func (b *book) finish() ([]byte, error) {
	defer b.x.Close()
	for _, s := range b.sheets {
		last, err := excelize.CoordinatesToCellName(s.cols, max(s.row, 1))
		s.check(err)
		s.check(b.x.SetSheetDimension(s.name, "A1:"+last))
		end, err := excelize.CoordinatesToCellName(s.cols, max(s.dataEnd, 1))
		s.check(err)
		s.check(b.x.AutoFilter(s.name, "A1:"+end, nil))
		if s.err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, s.err)
		}
	}
	buf, err := b.x.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// dateOrNil is a date cell, or an empty cell for a null date.
func dateOrNil(d metering.NullDate) any {
	if !d.Valid {
		return nil
	}
	return dateCell{d.Date}
}

// lineSheets writes the lines sheet (one row per line, with the resource's
// billing window and approval) and the runs sheet (one row per run, with
// every factor of its amount in its own cell).
func lineSheets(bk *book, b *Bundle, dir *directory, lines []billing.Line) {
	st := b.Statement
	s := bk.sheet("结算明细", []float64{10, 24, 10, 14, 24, 10, 26, 16, 22, 12, 18, 12, 12, 18, 12, 10, 28, 10, 12, 8, 14},
		"服务商代码", "服务商", "区划代码", "部门代码", "部门", "系统编号", "系统", "资源编号", "资源", "计费项代码", "计费项", "计价单位",
		"计费起始日", "交付确认函", "回收日期", "批复数量", "批复变更", "计费天数", "数量·天", "分段数", "原价金额")
	for _, l := range lines {
		unit, cycle := "", billing.Cycle("")
		if v, ok := dir.item(l.ItemCode, 0); ok {
			unit, cycle = v.Unit, v.Cycle
		}
		if len(l.Runs) > 0 {
			cycle = l.Runs[0].Cycle
		}
		w := b.Windows[l.ResourceID]
		var approved any
		changes := ""
		if as, _ := lineApprovals(b, l, st.Year); len(as) > 0 {
			approved = as[len(as)-1].Quantity
			if len(as) > 1 {
				changes = approvalText(b, l, orCode(unit, "单位"), st.Year)
			}
		}
		s.put(l.ProviderCode, dir.providerName(l.ProviderCode), l.DistrictCode, l.DepartmentCode, dir.departmentName(l.DepartmentCode),
			l.SystemID, dir.systemName(l.SystemID), l.ResourceID, orCode(dir.resource[l.ResourceID].Name, ""), l.ItemCode, dir.itemName(l.ItemCode),
			unitText(unit, cycle), dateOrNil(w.Confirmed), w.ConfirmRef, dateOrNil(w.Released), approved, changes,
			l.BillableDays, l.QuantityDays, len(l.Runs), moneyCell{l.Gross})
	}
	r := bk.sheet("计费分段", []float64{10, 10, 14, 10, 16, 12, 12, 12, 8, 8, 18, 8, 12, 8, 10, 20},
		"服务商代码", "区划代码", "部门代码", "系统编号", "资源编号", "计费项代码", "价格版本起始日", "单价（元）", "单位", "计价周期",
		"价格批复文号", "计费月份", "计费数量", "天数", "周期天数", "分段金额（元）")
	for _, l := range lines {
		for _, run := range l.Runs {
			unit := ""
			if v, ok := dir.item(l.ItemCode, run.EffectiveFrom); ok {
				unit = v.Unit
			}
			var month any
			if run.Month > 0 {
				month = run.Month
			}
			amount := billing.Round(runRat(run), 12)
			r.put(l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, l.ResourceID, l.ItemCode,
				dateCell{run.EffectiveFrom}, moneyCell{run.Price}, unit, orCode(cycleNames[string(run.Cycle)], string(run.Cycle)),
				run.ApprovalRef, month, run.Quantity, run.Days, run.CycleDays, exactCell{amount})
		}
	}
}

// findingsSheet writes findings, one row each.
func findingsSheet(bk *book, fs []evaluation.Finding, p evaluation.Policy) {
	s := bk.sheet("资源使用评估", []float64{12, 10, 14, 10, 16, 10, 12, 12, 8, 14, 26},
		"类型", "区划代码", "部门代码", "系统编号", "资源编号", "计费项", "起始日", "截止日", "天数", "金额", "建议措施")
	for _, f := range fs {
		s.put(kindName(string(f.Kind)), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode,
			dateCell{f.FirstDay}, dateCell{f.LastDay}, f.Days, moneyCell{f.Amount}, findingAction(f, p))
	}
}

func sortedDepartments(rows []billing.DepartmentRow) []billing.DepartmentRow {
	out := append([]billing.DepartmentRow(nil), rows...)
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.DistrictCode != c.DistrictCode {
			return a.DistrictCode < c.DistrictCode
		}
		if a.DepartmentCode != c.DepartmentCode {
			return a.DepartmentCode < c.DepartmentCode
		}
		return a.ProviderCode < c.ProviderCode
	})
	return out
}

// renderXLSX writes cloudbill-Y.xlsx: the documents' tables, one sheet each.
func renderXLSX(b *Bundle, dir *directory) ([]byte, error) {
	st := b.Statement
	bk, err := newBook(st, fmt.Sprintf("大同市政务云服务费用 %d 年度结算", st.Year))
	if err != nil {
		return nil, err
	}

	s := bk.sheet("县区汇总", []float64{12, 24, 18, 18}, "区划代码", "县区", "原价金额", "考核后金额")
	districts := append([]billing.DistrictRow(nil), st.Districts...)
	sort.Slice(districts, func(i, j int) bool { return districts[i].DistrictCode < districts[j].DistrictCode })
	for _, r := range districts {
		s.put(r.DistrictCode, dir.districtName(r.DistrictCode), moneyCell{r.Gross}, moneyCell{r.Net})
	}
	s.total("", "全市合计", moneyCell{st.Gross}, moneyCell{st.Net})

	s = bk.sheet("部门明细", []float64{12, 14, 30, 12, 30, 16, 10, 16}, "区划代码", "部门代码", "部门", "服务商代码", "服务商", "原价金额", "考核系数", "考核后金额")
	for _, r := range sortedDepartments(st.Departments) {
		s.put(r.DistrictCode, r.DepartmentCode, dir.departmentName(r.DepartmentCode), r.ProviderCode, dir.providerName(r.ProviderCode),
			moneyCell{r.Gross}, scoreCell{r.Coefficient}, moneyCell{r.Net})
	}
	s.total("", "", "全市合计", "", "", moneyCell{st.Gross}, nil, moneyCell{st.Net})

	lines := append([]billing.Line(nil), st.Lines...)
	billing.SortLinesByPlace(lines)
	lineSheets(bk, b, dir, lines)

	s = bk.sheet("类别汇总", []float64{16, 12, 12, 18}, "类别", "类别代码", "计费行数", "原价金额")
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
	var catTotal decimal.Decimal
	for _, c := range names {
		s.put(categoryName(c), c, count[c], moneyCell{cats[c]})
		catTotal = catTotal.Add(cats[c])
	}
	s.total("合计", "", len(st.Lines), moneyCell{catTotal})

	s = bk.sheet("考核得分", []float64{12, 30, 10, 12, 12, 12, 12, 12, 12}, "服务商代码", "服务商", "季度",
		"服务响应", "服务质量", "服务满意度", "安全管理", "季度得分", "响应取自SLA")
	provs := append([]billing.ProviderEvaluation(nil), st.Providers...)
	sort.Slice(provs, func(i, j int) bool { return provs[i].ProviderCode < provs[j].ProviderCode })
	for _, p := range provs {
		qs := append([]billing.QuarterScore(nil), p.Quarters...)
		sort.Slice(qs, func(i, j int) bool { return qs[i].Period < qs[j].Period })
		for _, q := range qs {
			cells := []any{p.ProviderCode, dir.providerName(p.ProviderCode), q.Period}
			for _, dim := range evaluation.Dimensions {
				if v, ok := q.Dimensions[string(dim)]; ok {
					cells = append(cells, scoreCell{v})
				} else {
					cells = append(cells, nil)
				}
			}
			sla := "否"
			if q.ResponseFromSLA {
				sla = "是"
			}
			s.put(append(cells, scoreCell{q.Score}, sla)...)
		}
	}
	s = bk.sheet("考核系数", []float64{12, 30, 10, 12, 12}, "服务商代码", "服务商", "季度数", "年度得分", "考核系数")
	for _, p := range provs {
		s.put(p.ProviderCode, dir.providerName(p.ProviderCode), len(p.Quarters), scoreCell{p.Annual}, scoreCell{p.Coefficient})
	}

	s = bk.sheet("SLA履约", []float64{12, 16, 10, 12, 12, 12, 12, 12, 10}, "服务商代码", "资源编号", "事项", "起算日", "到期日", "完成日", "状态", "逾期工作日", "季度")
	obs := append([]evaluation.Obligation(nil), b.Obligations...)
	sortObligations(obs)
	for _, o := range obs {
		s.put(o.ProviderCode, o.ResourceID, kindName(string(o.Kind)), dateCell{o.Started}, dateCell{o.Due}, dateOrNil(o.Done),
			kindName(string(o.Status)), o.LateWorkingDays, evaluation.Quarter(o.Due))
	}

	findingsSheet(bk, sortedFindings(b.Findings, dir), b.rules())
	return bk.finish()
}

// renderDistrictXLSX writes district-Y-CODE.xlsx: the district's lines and
// runs, its department rows and its findings.
func renderDistrictXLSX(b *Bundle, dir *directory, code string) ([]byte, error) {
	st := b.Statement
	bk, err := newBook(st, fmt.Sprintf("大同市政务云服务费用 %d 年度结算明细 · %s（%s）", st.Year, dir.districtName(code), code))
	if err != nil {
		return nil, err
	}
	var lines []billing.Line
	for _, l := range st.Lines {
		if l.DistrictCode == code {
			lines = append(lines, l)
		}
	}
	billing.SortLinesByPlace(lines)
	lineSheets(bk, b, dir, lines)

	s := bk.sheet("部门汇总", []float64{14, 30, 12, 30, 16, 10, 16}, "部门代码", "部门", "服务商代码", "服务商", "原价金额", "考核系数", "考核后金额")
	var dist billing.DistrictRow
	for _, r := range st.Districts {
		if r.DistrictCode == code {
			dist = r
		}
	}
	for _, r := range sortedDepartments(st.Departments) {
		if r.DistrictCode == code {
			s.put(r.DepartmentCode, dir.departmentName(r.DepartmentCode), r.ProviderCode, dir.providerName(r.ProviderCode),
				moneyCell{r.Gross}, scoreCell{r.Coefficient}, moneyCell{r.Net})
		}
	}
	s.total("", dir.districtName(code)+"合计", "", "", moneyCell{dist.Gross}, nil, moneyCell{dist.Net})

	var fs []evaluation.Finding
	for _, f := range sortedFindings(b.Findings, dir) {
		if f.DistrictCode == code {
			fs = append(fs, f)
		}
	}
	findingsSheet(bk, fs, b.rules())
	return bk.finish()
}
