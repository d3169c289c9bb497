package billing

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// BillColumns are the columns of a provider's own bill, in any order
// (docs/audit.md, Provider reconciliation).
var BillColumns = []string{"resource_id", "item_code", "billable_days", "quantity_days", "gross"}

// BillLine is one line of a provider's own bill for a year: what the
// provider says one (resource, item) comes to.
type BillLine struct {
	ResourceID   string
	ItemCode     string
	BillableDays int
	QuantityDays decimal.Decimal
	Gross        decimal.Decimal
	Line         int // in the provider's file
}

// ReadBill reads a provider's bill (CSV or JSON Lines, UTF-8 or GB18030,
// gzipped or not) named name. It is all or nothing: every bad row is a
// metering.Problem (file:line: column: reason), and the returned error is
// then the metering.Problems, in file order.
func ReadBill(name string, r io.Reader) ([]BillLine, error) {
	t, err := metering.NewTable(name, r)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if err := t.Require(BillColumns...); err != nil {
		return nil, err
	}
	var out []BillLine
	var problems metering.Problems
	seen := map[[2]string]int{}
	zero, maxDays := decimal.Zero, decimal.NewFromInt(366)
	for {
		row, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var p metering.Problem
		if errors.As(err, &p) {
			problems = append(problems, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		f := metering.Fields{Row: row}
		l := BillLine{ResourceID: f.Code("resource_id", true), ItemCode: f.Code("item_code", true), Line: row.Line}
		days := f.Decimal("billable_days", &zero, &maxDays)
		if !days.IsInteger() {
			f.Fail("billable_days", "%s is not a whole number of days", days)
		}
		l.BillableDays = int(days.IntPart())
		l.QuantityDays = f.Decimal("quantity_days", &zero, nil)
		l.Gross = f.Decimal("gross", nil, nil)
		if !l.Gross.Equal(l.Gross.Round(2)) {
			f.Fail("gross", "%s is not exact to the fen (two decimals at most)", row.Get("gross"))
		}
		key := [2]string{l.ResourceID, l.ItemCode}
		if first, ok := seen[key]; ok && f.OK() {
			f.Fail("item_code", "%s/%s is already on line %d: one line per resource and item", l.ResourceID, l.ItemCode, first)
		}
		if !f.OK() {
			problems = append(problems, f.Problems...)
			continue
		}
		seen[key] = row.Line
		out = append(out, l)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// ReconcileStatus says how a line of the statement and the provider's
// bill compare.
type ReconcileStatus string

const (
	// ReconcileMissingInBill: the statement has the line, the provider's
	// bill does not.
	ReconcileMissingInBill ReconcileStatus = "missing_in_bill"
	// ReconcileMissingInStatement: the provider bills a line the
	// statement does not have.
	ReconcileMissingInStatement ReconcileStatus = "missing_in_statement"
	// ReconcileDiffers: both have the line, with different figures.
	ReconcileDiffers ReconcileStatus = "differs"
)

// FieldDiff is one figure of a line on which the two sides differ;
// Difference is Provider − Statement, exact (gross to the fen).
type FieldDiff struct {
	Field                           string // billable_days, quantity_days or gross
	Statement, Provider, Difference decimal.Decimal
}

// ReconcileLine is one (resource, item) on which the statement and the
// provider's bill disagree. Statement is nil when the statement lacks the
// line, Bill when the bill does.
type ReconcileLine struct {
	ResourceID string
	ItemCode   string
	Status     ReconcileStatus
	Statement  *Line
	Bill       *BillLine
	Diffs      []FieldDiff // ReconcileDiffers only, in BillColumns order
}

// Reconciliation is a provider's bill compared with one version of the
// year's statement, line by line.
type Reconciliation struct {
	Year, Version int
	ProviderCode  string
	// Lines are the lines that disagree, by resource and item.
	Lines []ReconcileLine
	// StatementLines and BillLines count the provider's lines on each
	// side; Matched those equal on both, the others the Lines of each
	// status.
	StatementLines, BillLines                             int
	Matched, MissingInBill, MissingInStatement, Differing int
	// StatementGross and BillGross are the provider's totals on each side.
	StatementGross, BillGross decimal.Decimal
}

// Agrees reports whether the bill and the statement say the same.
func (r *Reconciliation) Agrees() bool { return len(r.Lines) == 0 }

// Reconcile compares the provider's lines of st with its bill
// (docs/audit.md, Provider reconciliation): a line is matched when both
// sides have it with the same billable days, quantity-days and gross
// (decimals compared as numbers: 4 = 4.00), else it is missing on one side or differs, with each differing figure.
func Reconcile(st *Statement, provider string, bill []BillLine) Reconciliation {
	r := Reconciliation{Year: st.Year, Version: st.Version, ProviderCode: provider, BillLines: len(bill)}
	type key struct{ resource, item string }
	ours := map[key]*Line{}
	for i := range st.Lines {
		l := &st.Lines[i]
		if l.ProviderCode != provider {
			continue
		}
		ours[key{l.ResourceID, l.ItemCode}] = l
		r.StatementLines++
		r.StatementGross = r.StatementGross.Add(l.Gross)
	}
	theirs := map[key]bool{}
	for i := range bill {
		b := &bill[i]
		r.BillGross = r.BillGross.Add(b.Gross)
		k := key{b.ResourceID, b.ItemCode}
		theirs[k] = true
		l, ok := ours[k]
		if !ok {
			r.Lines = append(r.Lines, ReconcileLine{ResourceID: b.ResourceID, ItemCode: b.ItemCode, Status: ReconcileMissingInStatement, Bill: b})
			r.MissingInStatement++
			continue
		}
		var diffs []FieldDiff
		for _, f := range []FieldDiff{
			{Field: "billable_days", Statement: decimal.NewFromInt(int64(l.BillableDays)), Provider: decimal.NewFromInt(int64(b.BillableDays))},
			{Field: "quantity_days", Statement: l.QuantityDays, Provider: b.QuantityDays},
			{Field: "gross", Statement: l.Gross, Provider: b.Gross},
		} {
			if !f.Statement.Equal(f.Provider) {
				f.Difference = f.Provider.Sub(f.Statement)
				diffs = append(diffs, f)
			}
		}
		if len(diffs) == 0 {
			r.Matched++
			continue
		}
		r.Lines = append(r.Lines, ReconcileLine{ResourceID: b.ResourceID, ItemCode: b.ItemCode, Status: ReconcileDiffers, Statement: l, Bill: b, Diffs: diffs})
		r.Differing++
	}
	for k, l := range ours {
		if !theirs[k] {
			r.Lines = append(r.Lines, ReconcileLine{ResourceID: k.resource, ItemCode: k.item, Status: ReconcileMissingInBill, Statement: l})
			r.MissingInBill++
		}
	}
	sort.Slice(r.Lines, func(i, j int) bool {
		a, b := r.Lines[i], r.Lines[j]
		if a.ResourceID != b.ResourceID {
			return a.ResourceID < b.ResourceID
		}
		return a.ItemCode < b.ItemCode
	})
	return r
}

// Gross returns the line's gross on each side (zero for a missing side)
// and the difference, bill − statement.
func (l ReconcileLine) Gross() (statement, bill, difference decimal.Decimal) {
	if l.Statement != nil {
		statement = l.Statement.Gross
	}
	if l.Bill != nil {
		bill = l.Bill.Gross
	}
	return statement, bill, bill.Sub(statement)
}

// String names the line for messages: RES/ITEM status.
func (l ReconcileLine) String() string {
	return fmt.Sprintf("%s/%s %s", l.ResourceID, l.ItemCode, l.Status)
}
