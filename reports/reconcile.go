package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

// ReconcileBundle is what a provider reconciliation's documents are made
// from: the comparison, the statement version it was made against, the
// name of the provider's file and the names to print.
type ReconcileBundle struct {
	Result    billing.Reconciliation
	Statement *billing.Statement
	File      string // the provider's file, as named by the caller
	Names     Names
}

// ReconcileFileBase is the documents' name without extension:
// reconcile-2024-P01.
func ReconcileFileBase(year int, provider string) string {
	return fmt.Sprintf("reconcile-%d-%s", year, provider)
}

// ReconcileCSVColumns are the columns of reconcile-Y-CODE.csv
// (docs/audit.md): one row per line that disagrees; a side that lacks the
// line leaves its figures empty; differences are provider − statement.
var ReconcileCSVColumns = []string{"year", "version", "provider_code", "resource_id", "item_code", "status",
	"district_code", "department_code", "system_id",
	"statement_billable_days", "provider_billable_days", "statement_quantity_days", "provider_quantity_days",
	"statement_gross", "provider_gross", "gross_difference", "differing"}

// WriteReconcileCSV writes the lines that disagree, by resource and item.
func WriteReconcileCSV(w io.Writer, b *ReconcileBundle) error {
	dir := newDirectory(b.Names)
	r := b.Result
	cw := csv.NewWriter(w)
	cw.Write(ReconcileCSVColumns)
	for _, l := range r.Lines {
		district, department, system := dir.placeOf(l)
		row := []string{strconv.Itoa(r.Year), strconv.Itoa(r.Version), r.ProviderCode, l.ResourceID, l.ItemCode, string(l.Status),
			district, department, system, "", "", "", "", "", "", "", ""}
		if s := l.Statement; s != nil {
			row[9], row[11], row[13] = strconv.Itoa(s.BillableDays), s.QuantityDays.String(), s.Gross.StringFixed(2)
		}
		if p := l.Bill; p != nil {
			row[10], row[12], row[14] = strconv.Itoa(p.BillableDays), p.QuantityDays.String(), p.Gross.StringFixed(2)
		}
		_, _, diff := l.Gross()
		row[15] = diff.StringFixed(2)
		var fields []string
		for _, d := range l.Diffs {
			fields = append(fields, d.Field)
		}
		row[16] = strings.Join(fields, ";")
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// placeOf is where the line's resource sits: the statement's placement,
// else the inventory's.
func (d *directory) placeOf(l billing.ReconcileLine) (district, department, system string) {
	if s := l.Statement; s != nil {
		return s.DistrictCode, s.DepartmentCode, s.SystemID
	}
	res := d.resource[l.ResourceID]
	sys := d.system[res.SystemID]
	return d.department[sys.DepartmentCode].DistrictCode, sys.DepartmentCode, res.SystemID
}

// WriteReconcilePDF writes the reconciliation as a PDF at path. The same
// bundle always gives the same bytes.
func WriteReconcilePDF(path string, b *ReconcileBundle, font Font) error {
	if font.cover == nil {
		return errors.New("write reconciliation: no font loaded (use FindFont)")
	}
	data, err := safely(func() ([]byte, error) { return renderReconcile(b, newDirectory(b.Names), font) })
	if err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// reconcileStatusNames are the sections of the document, in order.
var reconcileSections = []struct {
	status billing.ReconcileStatus
	title  string
}{
	{billing.ReconcileMissingInBill, "结算单有、服务商账单无的计费行"},
	{billing.ReconcileMissingInStatement, "服务商账单有、结算单无的计费行"},
	{billing.ReconcileDiffers, "双方数值不一致的计费行"},
}

// days prints a figure of both sides: "21", or "21 → 20" when they differ.
func bothSides(statement, provider string) string {
	if statement == provider {
		return statement
	}
	return statement + " → " + provider
}

func renderReconcile(b *ReconcileBundle, dir *directory, font Font) ([]byte, error) {
	r, st := b.Result, b.Statement
	title := "大同市政务云服务费用对账差异表"
	d, err := newDoc(font, docMeta{Title: title, Running: running(st), SHA256: st.SHA256,
		Draft: st.Status != billing.StatementStatusIssued, Date: statementDate(st), SupersededBy: st.SupersededBy})
	if err != nil {
		return nil, err
	}
	provider := dir.providerName(r.ProviderCode)
	d.title(title, fmt.Sprintf("（%s · %d 年度 · 结算单第 %d 版）", provider, r.Year, r.Version))
	d.kv("服务商", r.ProviderCode+" "+provider, "结算版本", fmt.Sprintf("第 %d 版（%s）", r.Version, statusName(st)),
		"服务商账单", b.File, "对账结果", reconcileVerdict(r),
		"结算单计费行", fmt.Sprintf("%d 行，金额 %s 元", r.StatementLines, money(r.StatementGross)),
		"服务商账单行", fmt.Sprintf("%d 行，金额 %s 元", r.BillLines, money(r.BillGross)),
		"一致", fmt.Sprintf("%d 行", r.Matched),
		"差异", fmt.Sprintf("%d 行（结算单独有 %d，服务商独有 %d，数值不一致 %d）", len(r.Lines), r.MissingInBill, r.MissingInStatement, r.Differing))
	d.setSize(sizeTable)
	d.para("逐行比对服务商自报账单与结算单的计费行（资源 × 计费项）：计费天数、数量×天与金额（精确到分）均相同为一致。"+
		"差额为服务商账单减结算单；各表合计为其所列各行之和，三表差额之和等于服务商账单金额合计减结算单金额合计。", sizeTable)
	d.gap(2)

	var total decimal.Decimal
	for i, sec := range reconcileSections {
		d.section(fmt.Sprintf("%s、%s", chineseNumber(i+1), sec.title))
		var lines []billing.ReconcileLine
		for _, l := range r.Lines {
			if l.Status == sec.status {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			d.para("无。", sizeTable)
			continue
		}
		d.table(cols(
			col("县区 / 部门", 34, "L"), col("系统 / 资源", 44, "L"), col("计费项", 22, "L"),
			codeCol("天数", 14, "R"), codeCol("数量×天", 18, "R"),
			codeCol("结算单（元）", 20, "R"), codeCol("服务商（元）", 20, "R"), codeCol("差额（元）", 18, "R")))
		var sums [3]decimal.Decimal
		for _, l := range lines {
			district, department, system := dir.placeOf(l)
			var sd, pd, sq, pq string
			if s := l.Statement; s != nil {
				sd, sq = strconv.Itoa(s.BillableDays), number(s.QuantityDays)
			}
			if p := l.Bill; p != nil {
				pd, pq = strconv.Itoa(p.BillableDays), number(p.QuantityDays)
			}
			days, qty := sd+pd, sq+pq
			if l.Status == billing.ReconcileDiffers {
				days, qty = bothSides(sd, pd), bothSides(sq, pq)
			}
			sg, pg, diff := l.Gross()
			sums[0], sums[1], sums[2] = sums[0].Add(sg), sums[1].Add(pg), sums[2].Add(diff)
			where := dir.districtName(district) + "\n" + dir.departmentName(department)
			what := system + " " + dir.systemName(system) + "\n" + dir.resourceLabel(l.ResourceID)
			d.row(rowData, where, what, l.ItemCode+"\n"+dir.itemName(l.ItemCode), days, qty, money(sg), money(pg), money(diff))
		}
		d.row(rowTotal, fmt.Sprintf("合计（%d 行）", len(lines)), money(sums[0]), money(sums[1]), money(sums[2]))
		d.endTable()
		total = total.Add(sums[2])
	}
	d.section(fmt.Sprintf("%s、差额合计", chineseNumber(len(reconcileSections)+1)))
	d.kv("差额合计", money(total)+" 元", "核对", fmt.Sprintf("%s - %s = %s 元", money(r.BillGross), money(r.StatementGross), money(r.BillGross.Sub(r.StatementGross))))
	return d.bytes()
}

// reconcileVerdict is the result in one phrase.
func reconcileVerdict(r billing.Reconciliation) string {
	if r.Agrees() {
		return "双方一致"
	}
	return fmt.Sprintf("存在 %d 行差异，请核实后再确认", len(r.Lines))
}
