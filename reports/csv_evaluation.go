package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"cloudbill/evaluation"
)

// The columns of sla-Y.csv and findings-Y.csv are codes (refused at load
// when they start like a spreadsheet formula, metering.CheckCode),
// enumerated values, dates and numbers: no free text, so no value needs
// metering.SafeCell. A free-text column added here must go through it.

// SLAColumns are the columns of sla-Y.csv (docs/formats.md).
var SLAColumns = []string{"provider_code", "resource_id", "obligation", "started", "due", "done", "status", "late_working_days"}

// FindingColumns are the columns of findings-Y.csv (docs/formats.md).
var FindingColumns = []string{"kind", "department_code", "system_id", "resource_id", "item_code", "first_day", "last_day", "days", "amount"}

// WriteSLACSV writes one row per obligation, in the order given: dates as
// YYYY-MM-DD (done empty while not done), late_working_days a plain number
// (working days late, or past due when overdue; 0 otherwise).
func WriteSLACSV(w io.Writer, obs []evaluation.Obligation) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SLAColumns); err != nil {
		return fmt.Errorf("write sla csv: %w", err)
	}
	for _, o := range obs {
		rec := []string{o.ProviderCode, o.ResourceID, string(o.Kind), o.Started.String(), o.Due.String(), o.Done.String(), string(o.Status), strconv.Itoa(o.LateWorkingDays)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write sla csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write sla csv: %w", err)
	}
	return nil
}

// WriteFindingsCSV writes one row per finding, in the order given, the
// amount with two decimals and no grouping.
func WriteFindingsCSV(w io.Writer, fs []evaluation.Finding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(FindingColumns); err != nil {
		return fmt.Errorf("write findings csv: %w", err)
	}
	for _, f := range fs {
		rec := []string{string(f.Kind), f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode, f.FirstDay.String(), f.LastDay.String(), strconv.Itoa(f.Days), f.Amount.StringFixed(2)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write findings csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write findings csv: %w", err)
	}
	return nil
}
