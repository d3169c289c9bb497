package store

import (
	"context"
	"fmt"
	"time"

	"cloudbill/billing"
	"cloudbill/metering"
)

// UsageMonthsThrough streams the usage_months rows of year's months from
// January to month through (1–12), in no particular order: the facts the
// accruals of a monthly or quarterly report rate (billing.NewMonthlyTally),
// as UsageMonths streams the whole year's for the settlement.
func (db *DB) UsageMonthsThrough(ctx context.Context, year, through int, fn func(billing.UsageMonth) error) error {
	y0, end := metering.YearStart(year), metering.NewDate(year, time.Month(through)+1, 1)
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, `+db.dialect.dayNumber("month")+`, quantity, days FROM usage_months WHERE month >= ? AND month < ?`), y0, end)
	if err != nil {
		return fmt.Errorf("usage of %d to month %d: %w", year, through, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m billing.UsageMonth
		var days int64
		if err := rows.Scan(&m.ResourceID, &m.ItemCode, &m.Month, &m.Quantity, &days); err != nil {
			return fmt.Errorf("usage of %d to month %d: %w", year, through, err)
		}
		m.Days = uint32(days)
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage of %d to month %d: %w", year, through, err)
	}
	return nil
}
