package billing

import (
	"math/big"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Budget is one row of budgets.csv: the amount a county finance office
// budgeted for the government cloud in a year, for one department or,
// with DepartmentCode empty, for the whole district (docs/formats.md).
type Budget struct {
	Year           int             `db:"year"`
	DistrictCode   string          `db:"district_code"`
	DepartmentCode string          `db:"department_code"` // "" for a district-wide budget
	Amount         decimal.Decimal `db:"amount"`
	ApprovalRef    string          `db:"approval_ref"`
}

// BudgetColumns are the columns of budgets.csv.
var BudgetColumns = []string{"year", "district_code", "department_code", "amount", "approval_ref"}

// ParseBudget reads one budgets.csv row: year 2000–2100, district_code
// required, department_code optional, amount a decimal ≥ 0, approval_ref
// (the budget's approval document) required.
func ParseBudget(r *metering.Row) (Budget, []metering.Problem) {
	f := metering.Fields{Row: r}
	year := f.Count("year")
	if f.OK() && r.Get("year") != "" && (year < 2000 || year > 2100) {
		f.Fail("year", "%d is not a year from 2000 to 2100", year)
	}
	b := Budget{
		Year:           int(year),
		DistrictCode:   f.Text("district_code", true),
		DepartmentCode: f.Text("department_code", false),
		Amount:         f.Decimal("amount", &decimal.Zero, nil),
		ApprovalRef:    f.Text("approval_ref", true),
	}
	return b, f.Problems
}

// ExecutionRate is 执行率, accrued ÷ budget as a percentage, rounded once
// half away from zero to two decimals (Round): 1,234.56 of 10,000.00 is
// 12.35 (%). ok is false for a zero budget (no rate).
func ExecutionRate(accrued, budget decimal.Decimal) (rate decimal.Decimal, ok bool) {
	if !budget.IsPositive() {
		return decimal.Zero, false
	}
	r := new(big.Rat).Mul(accrued.Rat(), big.NewRat(100, 1))
	r.Quo(r, budget.Rat())
	return Round(r, 2), true
}
