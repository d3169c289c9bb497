package evaluation

import (
	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// ObligationKind is a deadline from docs/rules.md §7.
type ObligationKind string

const (
	ObligationProvision ObligationKind = "provision" // approved → provisioned, 2 working days, provider
	ObligationChange    ObligationKind = "change"    // change_approved → changed, 2, provider
	ObligationExit      ObligationKind = "exit"      // exit_approved → released, 2, provider
	ObligationGoLive    ObligationKind = "go_live"   // confirmed → live, 30, department
)

// ObligationStatus is an obligation's state as of a date.
type ObligationStatus string

const (
	ObligationOnTime  ObligationStatus = "on_time"
	ObligationLate    ObligationStatus = "late"
	ObligationOpen    ObligationStatus = "open"
	ObligationOverdue ObligationStatus = "overdue"
)

// Obligation is one deadline of one resource.
type Obligation struct {
	ProviderCode    string
	ResourceID      string
	Kind            ObligationKind
	Started         metering.Date
	Due             metering.Date
	Done            metering.NullDate
	Status          ObligationStatus
	LateWorkingDays int // working days late (late) or past due (overdue)
}

// FindingKind is a kind of resource-use finding (docs/rules.md §8).
type FindingKind string

const (
	FindingIdle           FindingKind = "idle"
	FindingZombie         FindingKind = "zombie"
	FindingBeyondApproval FindingKind = "beyond_approval"
	FindingGap            FindingKind = "gap"
	FindingUnconfirmed    FindingKind = "unconfirmed"
	FindingAfterRelease   FindingKind = "after_release"
	// FindingOverBudget is a budget the year's forecast exceeds
	// (docs/rules.md §10): not a run of metering but a finding of the
	// budget's department (or district) for the year, its amount the
	// forecast minus the budget.
	FindingOverBudget FindingKind = "over_budget"
)

// Finding is one run of consecutive days of one kind for one resource
// (and item), or for one system (zombie).
type Finding struct {
	Kind           FindingKind
	DistrictCode   string
	DepartmentCode string
	SystemID       string
	ResourceID     string // empty for zombie
	ItemCode       string // empty for idle and zombie
	FirstDay       metering.Date
	LastDay        metering.Date
	Days           int
	Amount         decimal.Decimal
	Action         Action // suggested action of idle and zombie findings
}
