package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/billing"
)

// openXLSX opens a workbook for reading back.
func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// checkSheets checks every sheet of a workbook: the declared dimension is
// the real extent of its rows and columns, and its header and data rows
// carry an autofilter.
func checkSheets(t *testing.T, x *excelize.File) {
	t.Helper()
	filters := map[string]bool{}
	for _, n := range x.GetDefinedName() {
		if n.Name == "_xlnm._FilterDatabase" {
			filters[n.Scope] = true
		}
	}
	for _, name := range x.GetSheetList() {
		rows, err := x.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		last, _ := excelize.CoordinatesToCellName(cols, len(rows))
		if dim, err := x.GetSheetDimension(name); err != nil || dim != "A1:"+last {
			t.Errorf("sheet %s declares dimension %q (%v), its cells span A1:%s", name, dim, err, last)
		}
		if !filters[name] {
			t.Errorf("sheet %s has no autofilter", name)
		}
	}
}

// cellType reads the type and number format of a cell.
func cellType(t *testing.T, x *excelize.File, sheet, ref string) (excelize.CellType, string) {
	t.Helper()
	typ, err := x.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	id, err := x.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	f := ""
	if st.CustomNumFmt != nil {
		f = *st.CustomNumFmt
	}
	return typ, f
}

// column finds a header's column letter in a sheet's first row.
func columnOf(t *testing.T, x *excelize.File, sheet, title string) string {
	t.Helper()
	rows, err := x.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	for i, h := range rows[0] {
		if h == title {
			c, _ := excelize.ColumnNumberToName(i + 1)
			return c
		}
	}
	t.Fatalf("sheet %s has no column %s", sheet, title)
	return ""
}

// wantCell checks that every data cell of a column is of a type, with a
// number format.
func wantCells(t *testing.T, x *excelize.File, sheet, title string, typ excelize.CellType, format string) {
	t.Helper()
	col := columnOf(t, x, sheet, title)
	rows, _ := x.GetRows(sheet)
	checked := 0
	for r := 2; r <= len(rows); r++ {
		ref := col + itoa(r)
		v, _ := x.GetCellValue(sheet, ref)
		if v == "" {
			continue
		}
		got, f := cellType(t, x, sheet, ref)
		if got != typ && !(typ == excelize.CellTypeNumber && got == excelize.CellTypeUnset) {
			t.Errorf("%s!%s (%s) = %q is of type %v, want %v", sheet, ref, title, v, got, typ)
		}
		if f != format {
			t.Errorf("%s!%s (%s) has number format %q, want %q", sheet, ref, title, f, format)
		}
		checked++
	}
	if checked == 0 {
		t.Errorf("%s: no cells in column %s", sheet, title)
	}
}

func itoa(n int) string {
	s, _ := excelize.CoordinatesToCellName(1, n)
	return strings.TrimPrefix(s, "A")
}

func TestXLSX(t *testing.T) {
	dir, _ := writeSample(t, billing.StatementStatusDraft)
	st := sampleBundle(billing.StatementStatusDraft).Statement
	x := openXLSX(t, filepath.Join(dir, "cloudbill-2024.xlsx"))
	want := []string{"县区汇总", "部门明细", "结算明细", "计费分段", "类别汇总", "考核得分", "考核系数", "SLA履约", "资源使用评估"}
	if got := x.GetSheetList(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	checkSheets(t, x)

	// numbers are stored as numbers, exactly; the total is the sum of the rows
	rows, err := x.GetRows("县区汇总", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var sum decimal.Decimal
	for _, r := range rows[1:] {
		v := decimal.RequireFromString(r[2])
		if r[1] == "全市合计" {
			if !v.Equal(sum) || !v.Equal(st.Gross) {
				t.Errorf("全市合计 %s, sum of rows %s, statement %s", v, sum, st.Gross)
			}
			continue
		}
		sum = sum.Add(v)
	}
	wantCells(t, x, "县区汇总", "原价金额", excelize.CellTypeNumber, "#,##0.00")
	wantCells(t, x, "部门明细", "考核系数", excelize.CellTypeNumber, "0.00")
	wantCells(t, x, "结算明细", "原价金额", excelize.CellTypeNumber, "#,##0.00")
	wantCells(t, x, "结算明细", "计费起始日", excelize.CellTypeNumber, "yyyy-mm-dd")
	wantCells(t, x, "结算明细", "计费天数", excelize.CellTypeNumber, "")
	wantCells(t, x, "结算明细", "资源编号", excelize.CellTypeSharedString, "")
	wantCells(t, x, "计费分段", "价格版本起始日", excelize.CellTypeNumber, "yyyy-mm-dd")
	wantCells(t, x, "计费分段", "单价（元）", excelize.CellTypeNumber, "#,##0.00")
	wantCells(t, x, "计费分段", "单位", excelize.CellTypeSharedString, "")
	wantCells(t, x, "计费分段", "价格批复文号", excelize.CellTypeSharedString, "")
	wantCells(t, x, "计费分段", "分段金额（元）", excelize.CellTypeNumber, "#,##0.00############")
	wantCells(t, x, "考核得分", "季度得分", excelize.CellTypeNumber, "0.00")
	wantCells(t, x, "考核系数", "年度得分", excelize.CellTypeNumber, "0.00")
	wantCells(t, x, "SLA履约", "到期日", excelize.CellTypeNumber, "yyyy-mm-dd")
	wantCells(t, x, "资源使用评估", "起始日", excelize.CellTypeNumber, "yyyy-mm-dd")

	// a date is the Excel serial day: 2024-07-01 is 45474
	lines, err := x.GetRows("计费分段", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, l := range st.Lines {
		runs += len(l.Runs)
	}
	if len(lines)-1 != runs {
		t.Errorf("计费分段 has %d rows, the statement %d runs", len(lines)-1, runs)
	}
	found := false
	for _, r := range lines[1:] {
		if r[6] == "45474" && r[7] == "330" {
			found = true
		}
	}
	if !found {
		t.Error("no run of the 2024-07-01 price version (serial 45474, 330 元) in 计费分段")
	}
	// a score keeps all its digits in the file (excelize rounds what it
	// reads back to 15 digits, so read the sheet's XML)
	if xml := sheetXML(t, filepath.Join(dir, "cloudbill-2024.xlsx"), x, "考核系数"); !strings.Contains(xml, "<v>86.3333333333333333</v>") {
		t.Errorf("考核系数: P2's annual score 86.3333333333333333 is not stored exactly")
	}
	ls, err := x.GetRows("结算明细", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls)-1 != len(st.Lines) {
		t.Errorf("结算明细 has %d rows, want %d", len(ls)-1, len(st.Lines))
	}

	// each district's workbook: its lines, runs, departments and findings
	for _, r := range st.Districts {
		t.Run("district "+r.DistrictCode, func(t *testing.T) {
			x := openXLSX(t, filepath.Join(dir, "district-2024-"+r.DistrictCode+".xlsx"))
			if got, want := strings.Join(x.GetSheetList(), " "), "结算明细 计费分段 部门汇总 资源使用评估"; got != want {
				t.Fatalf("sheets %s, want %s", got, want)
			}
			checkSheets(t, x)
			rows, _ := x.GetRows("结算明细", excelize.Options{RawCellValue: true})
			var sum decimal.Decimal
			n := 0
			for _, l := range rows[1:] {
				sum = sum.Add(decimal.RequireFromString(l[len(l)-1]))
				n++
			}
			want := 0
			for _, l := range st.Lines {
				if l.DistrictCode == r.DistrictCode {
					want++
				}
			}
			if n != want || !sum.Equal(r.Gross) {
				t.Errorf("%d lines worth %s, the statement has %d worth %s", n, sum, want, r.Gross)
			}
			wantCells(t, x, "计费分段", "单价（元）", excelize.CellTypeNumber, "#,##0.00")
		})
	}
}

// sheetXML is the worksheet XML of a sheet, as stored in the file.
func sheetXML(t *testing.T, path string, x *excelize.File, sheet string) string {
	t.Helper()
	id := 0
	for i, n := range x.GetSheetMap() {
		if n == sheet {
			id = i
		}
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	f, err := z.Open(fmt.Sprintf("xl/worksheets/sheet%d.xml", id))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
