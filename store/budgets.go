package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// budgetColumns are the columns of the budgets table (migration 0030),
// loaded with the reference set (LoadReference).
var budgetColumns = []string{"year", "district_code", "department_code", "amount", "approval_ref"}

func budgetRow(b billing.Budget) []any {
	return []any{b.Year, b.DistrictCode, b.DepartmentCode, Dec(b.Amount), b.ApprovalRef}
}

// Budgets returns the budgets of year (0: of every year), in (year,
// district, department) order; a district-wide budget has no department.
func (db *DB) Budgets(ctx context.Context, year int) ([]billing.Budget, error) {
	var out []billing.Budget
	err := db.pool.SelectContext(ctx, &out, db.pool.Rebind(`SELECT year, district_code, department_code, amount, approval_ref FROM budgets
	WHERE year = ? OR ? = 0 ORDER BY year, district_code, department_code`), year, year)
	if err != nil {
		return nil, fmt.Errorf("read budgets: %w", err)
	}
	return out, nil
}

// dropStaleBudgets deletes, for every year budgets name, the stored
// budgets of that year the file no longer holds: a budgets.csv is the
// whole of each year it names (a district's budget turned from per
// department to district-wide leaves no department rows behind), and
// years it does not name are left alone. It returns how many it deleted.
func (db *DB) dropStaleBudgets(ctx context.Context, tx *sqlx.Tx, budgets []billing.Budget) (int64, error) {
	type key struct {
		year                 int
		district, department string
	}
	keep := map[key]bool{}
	var years []int
	for _, b := range budgets {
		if !slices.Contains(years, b.Year) {
			years = append(years, b.Year)
		}
		keep[key{b.Year, b.DistrictCode, b.DepartmentCode}] = true
	}
	var n int64
	for _, y := range years {
		var stored []billing.Budget
		if err := tx.SelectContext(ctx, &stored, tx.Rebind(`SELECT year, district_code, department_code, amount, approval_ref FROM budgets WHERE year = ?`), y); err != nil {
			return n, fmt.Errorf("read budgets of %d: %w", y, err)
		}
		for _, b := range stored {
			if keep[key{b.Year, b.DistrictCode, b.DepartmentCode}] {
				continue
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM budgets WHERE year = ? AND district_code = ? AND department_code = ?`), b.Year, b.DistrictCode, b.DepartmentCode); err != nil {
				return n, fmt.Errorf("drop budget %d %s %s: %w", b.Year, b.DistrictCode, b.DepartmentCode, err)
			}
			n++
		}
	}
	return n, nil
}

// BudgetFinding is a budget the year's forecast exceeds: the forecast made
// as of AsOf (docs/rules.md §10).
type BudgetFinding struct {
	Year           int             `db:"year"`
	DistrictCode   string          `db:"district_code"`
	DepartmentCode string          `db:"department_code"` // "" for a district-wide budget
	Budget         decimal.Decimal `db:"budget"`
	Forecast       decimal.Decimal `db:"forecast"`
	AsOf           metering.Date   `db:"as_of"`
}

// Finding is the over_budget finding of f: the budget's year as its days,
// the forecast minus the budget as its amount. A district-wide budget's
// finding names the district in DepartmentCode too, so that the lists
// that show departments only (findings-Y.csv) still say whose it is.
func (f BudgetFinding) Finding() evaluation.Finding {
	dept := f.DepartmentCode
	if dept == "" {
		dept = f.DistrictCode
	}
	return evaluation.Finding{Kind: evaluation.FindingOverBudget, DistrictCode: f.DistrictCode, DepartmentCode: dept,
		FirstDay: metering.YearStart(f.Year), LastDay: metering.YearEnd(f.Year).AddDays(-1), Days: metering.DaysInYear(f.Year),
		Amount: f.Forecast.Sub(f.Budget)}
}

// ReplaceBudgetFindings stores fs as year's over_budget findings, as of the
// forecast's date asOf, in one transaction, unless a forecast of the year
// as of a later date is already stored (a report of an earlier period
// written afterwards): then nothing changes and it returns false.
func (db *DB) ReplaceBudgetFindings(ctx context.Context, year int, asOf metering.Date, fs []BudgetFinding) (bool, error) {
	replaced := false
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var stored []metering.Date
		if err := tx.SelectContext(ctx, &stored, db.pool.Rebind(`SELECT as_of FROM budget_forecasts WHERE year = ?`), year); err != nil {
			return err
		}
		if len(stored) > 0 && stored[0] > asOf {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`DELETE FROM budget_findings WHERE year = ?`), year); err != nil {
			return err
		}
		rows := make([][]any, len(fs))
		for i, f := range fs {
			rows[i] = []any{year, f.DistrictCode, f.DepartmentCode, Dec(f.Budget), Dec(f.Forecast), asOf}
		}
		if _, err := db.upsert(ctx, tx, "budget_findings", []string{"year", "district_code", "department_code", "budget", "forecast", "as_of"}, nil, false, rows); err != nil {
			return err
		}
		if _, err := db.upsert(ctx, tx, "budget_forecasts", []string{"year", "as_of"}, []string{"year"}, true, [][]any{{year, asOf}}); err != nil {
			return err
		}
		replaced = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store the over_budget findings of %d: %w", year, err)
	}
	return replaced, nil
}

// BudgetFindings returns the stored over_budget findings of the years
// that overlap [from, to], in (year, district, department) order.
func (db *DB) BudgetFindings(ctx context.Context, from, to metering.Date) ([]BudgetFinding, error) {
	var out []BudgetFinding
	err := db.pool.SelectContext(ctx, &out, db.pool.Rebind(`SELECT year, district_code, department_code, budget, forecast, as_of FROM budget_findings
	WHERE year >= ? AND year <= ? ORDER BY year, district_code, department_code`), from.Year(), to.Year())
	if err != nil {
		return nil, fmt.Errorf("read over_budget findings: %w", err)
	}
	return out, nil
}
