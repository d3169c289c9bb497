package store

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/metering"
)

// YearSegments reads the events and the catalogue and cuts year into
// billing segments (billing.Segments).
func (db *DB) YearSegments(ctx context.Context, year int) ([]billing.Segment, error) {
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, err
	}
	return billing.Segments(year, events, versions), nil
}

// UsageMonths streams the year's usage_months rows to fn, in no
// particular order: the facts settlement rates (billing.Tally matches them
// with the billing segments and counts their days).
func (db *DB) UsageMonths(ctx context.Context, year int, fn func(billing.UsageMonth) error) error {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, `+db.dialect.dayNumber("month")+`, quantity, days FROM usage_months WHERE month >= ? AND month < ?`), y0, y1)
	if err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m billing.UsageMonth
		var days int64
		if err := rows.Scan(&m.ResourceID, &m.ItemCode, &m.Month, &m.Quantity, &days); err != nil {
			return fmt.Errorf("usage of %d: %w", year, err)
		}
		m.Days = uint32(days)
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	return nil
}

// firstOfMonth is the first day of d's month.
func firstOfMonth(d metering.Date) metering.Date { return metering.NewDate(d.Year(), d.Month(), 1) }

// Placements maps every resource to its provider, district, department and system.
func (db *DB) Placements(ctx context.Context) (map[string]billing.Placement, error) {
	rows, err := db.pool.QueryxContext(ctx, `
SELECT r.id, r.provider_code, d.district_code, s.department_code, r.system_id
FROM resources r JOIN systems s ON s.id = r.system_id JOIN departments d ON d.code = s.department_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]billing.Placement{}
	for rows.Next() {
		var id string
		var p billing.Placement
		if err := rows.Scan(&id, &p.ProviderCode, &p.DistrictCode, &p.DepartmentCode, &p.SystemID); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

// PriceVersions returns the whole catalogue.
func (db *DB) PriceVersions(ctx context.Context) ([]billing.PriceVersion, error) {
	var vs []billing.PriceVersion
	err := db.pool.SelectContext(ctx, &vs, `SELECT item_code, category, name, unit, cycle, price, effective_from, effective_to, approval_ref FROM catalogue ORDER BY item_code, effective_from`)
	return vs, err
}
