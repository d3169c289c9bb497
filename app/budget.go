package app

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/reports"
)

// BudgetInput names a budget proposal (预算建议): the year it is for, the
// folder for its documents and the CJK font ("" means $CLOUDBILL_FONT,
// else a standard place).
type BudgetInput struct {
	Year int
	Out  string
	Font string
}

// Validate checks the year and the folder.
func (in BudgetInput) Validate() error {
	if err := ValidateYear(in.Year); err != nil {
		return err
	}
	if in.Out == "" {
		return &InputError{Field: "out", Reason: "a folder for the documents is required"}
	}
	return nil
}

// BudgetFileBase is the documents' name without extension: budget-2025.
func BudgetFileBase(year int) string { return fmt.Sprintf("budget-%d", year) }

// Budget writes the budget proposal of in.Year into the folder:
// budget-Y.pdf, budget-Y.csv and budget-Y.xlsx (docs/reports.md), and
// returns their paths.
func (a *App) Budget(ctx context.Context, in BudgetInput) ([]string, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	b, err := a.BudgetData(ctx, in.Year)
	if err != nil {
		return nil, err
	}
	font, err := documentFolder(in.Font, in.Out)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(in.Out, BudgetFileBase(in.Year))
	var paths []string
	if err := writeFileAtomic(base+".csv", func(w *os.File) error { return reports.WriteBudgetCSV(w, b) }); err != nil {
		return paths, err
	}
	paths = append(paths, base+".csv")
	docs, err := reports.WriteBudgetDocuments(base, b, font)
	paths = append(paths, docs...)
	if err != nil {
		return paths, fmt.Errorf("budget proposal %d: %w", in.Year, err)
	}
	a.Log.Info("budget proposal written", "year", in.Year, "lines", len(b.Lines), "files", len(paths))
	return paths, nil
}

// BudgetData gathers the budget proposal of year (docs/rules.md §10): the
// forecast of the whole year made as of 31 December of the year before,
// with nothing accrued yet. The approved configuration in force at that
// day's end, of every resource in service, is priced at the year's
// prices for every day of the year; changes approved and not carried out
// count from their due date, exits approved and not released end on
// theirs.
func (a *App) BudgetData(ctx context.Context, year int) (*reports.BudgetBundle, error) {
	if err := ValidateYear(year); err != nil {
		return nil, err
	}
	db := a.DB
	asOf := metering.YearStart(year).AddDays(-1)
	policy, _, err := a.Policy()
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	known := make([]metering.Event, 0, len(events))
	for _, e := range events {
		if e.Day <= asOf {
			known = append(known, e)
		}
	}
	inv, err := db.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	days, err := db.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	obs, err := evaluation.Obligations(known, inv.Resources, evaluation.NewCalendar(days), policy, asOf)
	if err != nil {
		return nil, fmt.Errorf("budget %d: sla obligations as of %s: %w", year, asOf, err)
	}
	placement, err := db.Placements(ctx)
	if err != nil {
		return nil, err
	}
	changes, exits := pendingOf(known, obs, asOf)
	lifecycles := billing.Lifecycles(known)
	cat := billing.NewCatalogue(versions)
	remaining := billing.Remaining(year, asOf, lifecycles, changes, exits, cat)

	// the quantity approved on 1 January, per (resource, item)
	jan1 := metering.YearStart(year)
	onJan1 := map[lineItem]decimal.Decimal{}
	unpriced := map[string]bool{}
	for _, l := range lifecycles {
		from, to, ok := l.Window()
		if !ok || from > asOf || to <= jan1 {
			continue
		}
		for _, ap := range l.Approvals {
			if ap.From <= jan1 && jan1 < ap.To {
				onJan1[lineItem{l.ResourceID, ap.ItemCode}] = ap.Quantity
				if !priced(cat, ap.ItemCode, year) {
					unpriced[ap.ItemCode] = true
				}
			}
		}
	}
	b := &reports.BudgetBundle{Year: year, AsOf: asOf, Names: reports.Names{Inventory: inv, Catalogue: versions},
		PendingChanges: len(changes), PendingExits: len(exits), Unpriced: sortedSet(unpriced)}
	for _, r := range remaining {
		pl, ok := placement[r.ResourceID]
		if !ok {
			continue
		}
		category := ""
		for _, v := range cat.Versions(r.ItemCode) {
			category = v.Category // the latest version's
		}
		b.Lines = append(b.Lines, reports.BudgetLine{Placement: pl, ResourceID: r.ResourceID, ItemCode: r.ItemCode, Category: category,
			Quantity: onJan1[lineItem{r.ResourceID, r.ItemCode}], QuantityDays: r.QuantityDays, Days: r.Days, Amount: r.Amount})
	}
	// The documents group the lines by district, department, category and
	// item (evaluation.SortFindings orders findings by system and resource
	// before the item: not this order).
	slices.SortStableFunc(b.Lines, func(x, y reports.BudgetLine) int {
		return cmp.Or(strings.Compare(x.DistrictCode, y.DistrictCode), strings.Compare(x.DepartmentCode, y.DepartmentCode),
			strings.Compare(x.Category, y.Category), strings.Compare(x.ItemCode, y.ItemCode), strings.Compare(x.ResourceID, y.ResourceID))
	})
	return b, nil
}

// priced reports whether item has a price on every day of year.
func priced(cat *billing.Catalogue, item string, year int) bool {
	for d := metering.YearStart(year); d < metering.YearEnd(year); {
		v, ok := cat.At(item, d)
		if !ok {
			return false
		}
		if !v.EffectiveTo.Valid {
			return true
		}
		d = v.EffectiveTo.Date
	}
	return true
}
