package reports

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

func init() {
	// The over_budget finding (docs/rules.md §10) on the findings lists.
	kindNames[string(evaluation.FindingOverBudget)] = "预算超支"
	kindOrder[evaluation.FindingOverBudget] = len(kindOrder)
}

// PeriodBundle is everything a monthly or quarterly report (月报, 季报) is
// made from; app.PeriodReport gathers it as of the period's last day.
type PeriodBundle struct {
	Period billing.Period
	// Lines are the year's accrual lines from January to the period's end
	// (docs/rules.md §10), in canonical order.
	Lines []billing.AccrualLine
	// Rows sum Lines and the forecast per (department, provider).
	Rows []billing.PeriodRow
	// Budgets compares the year's budgets with Rows (none: no budgets.csv
	// rows for the year).
	Budgets []billing.BudgetRow
	// Estimates say where each provider's estimated coefficient came from.
	Estimates []CoefficientEstimate
	// Quarter and Heading are the quarterly report's evaluations: the
	// quarter's own scores, and the year's quarters so far (the
	// coefficient the year is heading for).
	Quarter, Heading []billing.ProviderEvaluation
	// SLA is the quarter's SLA compliance per provider (quarterly).
	SLA map[string]evaluation.SLAShare
	// Obligations are the SLA obligations due in the period, with their
	// status as of its last day.
	Obligations []evaluation.Obligation
	// Findings are the stored findings whose run overlaps the period, as
	// of FindingsAsOf (the last refresh).
	Findings     []evaluation.Finding
	FindingsAsOf metering.Date
	// Resources are the resources confirmed on or before the period's end.
	Resources []ResourceState
	// Usage is approved against metered quantity per department and item.
	Usage []ItemUsage
	// Pending counts the changes and exits the forecast expects.
	PendingChanges, PendingExits int
	Names                        Names
	Policy                       evaluation.Policy
}

// CoefficientEstimate is a provider's estimated coefficient for the
// estimated net (预估): the tier of its latest scored quarter that ended
// by the period's end. Period is "" when there is none (Note says why).
type CoefficientEstimate struct {
	ProviderCode string
	Period       string
	Score        decimal.Decimal
	Coefficient  decimal.Decimal
	Note         string
}

// ResourceState is a resource as of a period's end: where it sits, its
// kind, its first confirmed date and its first released date (if known).
type ResourceState struct {
	ResourceID     string
	DistrictCode   string
	DepartmentCode string
	Kind           metering.Kind
	Confirmed      metering.Date
	Released       metering.NullDate
}

// InService reports whether the resource is in service on day d.
func (r ResourceState) InService(d metering.Date) bool {
	return r.Confirmed <= d && (!r.Released.Valid || d < r.Released.Date)
}

// ItemUsage is one department's item over a period: the approved
// quantity-days inside the billing windows, the metered ones (every
// metered day) and the billable ones (min of the two, day by day).
type ItemUsage struct {
	DistrictCode   string
	DepartmentCode string
	ItemCode       string
	Approved       decimal.Decimal
	Metered        decimal.Decimal
	Billable       decimal.Decimal
}

// WritePeriodPDF renders the period's report into path (temporary name,
// then renamed). The same bundle always gives the same bytes.
func WritePeriodPDF(path string, b *PeriodBundle, font Font) error {
	if font.cover == nil {
		return errors.New("write period report: no font loaded (use FindFont)")
	}
	if err := b.check(); err != nil {
		return fmt.Errorf("period report %s is inconsistent: %w", b.Period.Name(), err)
	}
	data, err := safely(func() ([]byte, error) { return renderPeriod(b, font) })
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}
