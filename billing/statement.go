package billing

import (
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// StatementStatus is draft until issued; an issued statement never changes.
type StatementStatus string

const (
	StatementStatusDraft  StatementStatus = "draft"
	StatementStatusIssued StatementStatus = "issued"
	// StatementStatusSuperseded is an issued version a later issued
	// version replaces. It is never stored: an issued version's row never
	// changes, and Superseded derives this status from the list.
	StatementStatusSuperseded StatementStatus = "superseded"
)

// Run is a stretch of billable days of one line with one billable quantity
// and one price version: amount = quantity × price × days ÷ cycle days,
// exact (not rounded). Runs are the trace from a line back to the catalogue.
type Run struct {
	ResourceID    string          `db:"resource_id"`
	ItemCode      string          `db:"item_code"`
	EffectiveFrom metering.Date   `db:"effective_from"` // the price version
	Price         decimal.Decimal `db:"price"`
	Cycle         Cycle           `db:"cycle"`
	ApprovalRef   string          `db:"approval_ref"`
	Quantity      decimal.Decimal `db:"quantity"`   // billable quantity per day
	Days          int             `db:"days"`       // days in the run
	CycleDays     int             `db:"cycle_days"` // 365/366, days of the month, or 1
	Month         int             `db:"month"`      // 1–12 for month-cycle items, else 0
	Amount        decimal.Decimal `db:"amount"`     // exact
}

// Line is one (resource, item) of a provider for the year.
type Line struct {
	ProviderCode   string          `db:"provider_code"`
	DistrictCode   string          `db:"district_code"`
	DepartmentCode string          `db:"department_code"`
	SystemID       string          `db:"system_id"`
	ResourceID     string          `db:"resource_id"`
	ItemCode       string          `db:"item_code"`
	BillableDays   int             `db:"billable_days"` // days with a positive billable quantity
	QuantityDays   decimal.Decimal `db:"quantity_days"` // Σ billable quantity over them
	Gross          decimal.Decimal `db:"gross"`         // Σ run amounts, rounded once to 0.01
	Runs           []Run           `db:"-"`
}

// DepartmentRow is one department's total with one provider.
type DepartmentRow struct {
	ProviderCode   string          `db:"provider_code"`
	DistrictCode   string          `db:"district_code"`
	DepartmentCode string          `db:"department_code"`
	Gross          decimal.Decimal `db:"gross"`       // Σ lines
	Coefficient    decimal.Decimal `db:"coefficient"` // the provider's
	Net            decimal.Decimal `db:"net"`         // gross × coefficient, rounded once
}

// DistrictRow is one district's total over its department rows.
type DistrictRow struct {
	DistrictCode string          `db:"district_code"`
	Gross        decimal.Decimal `db:"gross"`
	Net          decimal.Decimal `db:"net"`
}

// QuarterScore is a provider's evaluation for one quarter.
type QuarterScore struct {
	Period          string                     `json:"period"`     // 2024Q1
	Dimensions      map[string]decimal.Decimal `json:"dimensions"` // mean over evaluator groups
	ResponseFromSLA bool                       `json:"response_from_sla"`
	Score           decimal.Decimal            `json:"score"` // Σ weight × dimension
}

// ProviderEvaluation is how a provider's coefficient was derived for a year.
type ProviderEvaluation struct {
	ProviderCode string          `json:"provider_code"`
	Quarters     []QuarterScore  `json:"quarters"`
	Annual       decimal.Decimal `json:"annual"` // mean of the quarters, unrounded
	Coefficient  decimal.Decimal `json:"coefficient"`
}

// Statement is one version of a year's settlement.
type Statement struct {
	Year        int
	Version     int
	Status      StatementStatus
	CreatedAt   time.Time
	IssuedAt    time.Time // zero while draft
	SHA256      string    // of the canonical CSV (settlement lines)
	Policy      string    // the evaluation policy in force, as text
	Lines       []Line
	Departments []DepartmentRow
	Districts   []DistrictRow
	Providers   []ProviderEvaluation
	Gross       decimal.Decimal // city total, Σ districts
	Net         decimal.Decimal
	// SupersededBy is the issued version that replaces this issued one (0:
	// none). It is derived when the statement is read (Superseded), never
	// stored, and the documents of a superseded version say so.
	SupersededBy int
}

// Superseded returns, for the issued version v of a year whose issued
// versions are issued (any order), the issued version that replaces it:
// the first issued after it; 0 when none does.
func Superseded(v int, issued []int) int {
	next := 0
	for _, w := range issued {
		if w > v && (next == 0 || w < next) {
			next = w
		}
	}
	return next
}
