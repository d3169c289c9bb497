package reports

import (
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/billing"
)

func TestXLSX(t *testing.T) {
	dir, _ := writeSample(t, billing.StatementStatusDraft)
	st := sampleBundle(billing.StatementStatusDraft).Statement
	x, err := excelize.OpenFile(filepath.Join(dir, "cloudbill-2024.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := []string{"县区汇总", "部门明细", "结算明细", "类别汇总", "考核得分", "SLA履约", "资源使用评估"}
	got := x.GetSheetList()
	if len(got) != len(want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sheet %d = %s, want %s", i, got[i], want[i])
		}
	}
	// numbers are stored as numbers, exactly
	rows, err := x.GetRows("县区汇总", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var sum decimal.Decimal
	for i, r := range rows[1:] {
		cell, _ := excelize.CoordinatesToCellName(3, i+2)
		typ, err := x.GetCellType("县区汇总", cell)
		if err != nil {
			t.Fatal(err)
		}
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s is of type %v, want a number", cell, typ)
		}
		v := decimal.RequireFromString(r[2])
		if r[1] == "全市合计" {
			if !v.Equal(sum) || !v.Equal(st.Gross) {
				t.Errorf("全市合计 %s, sum of rows %s, statement %s", v, sum, st.Gross)
			}
			continue
		}
		sum = sum.Add(v)
	}
	lines, err := x.GetRows("结算明细", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines)-1 != len(st.Lines) {
		t.Errorf("结算明细 has %d rows, want %d", len(lines)-1, len(st.Lines))
	}
}
