package store

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// EvaluationScores returns the scores of year's quarters.
func (db *DB) EvaluationScores(ctx context.Context, year int) ([]evaluation.Score, error) {
	var out []evaluation.Score
	err := db.pool.SelectContext(ctx, &out, db.pool.Rebind(`SELECT provider_code, period, dimension, evaluator, score FROM scores
		WHERE period LIKE ? ORDER BY provider_code, period, dimension, evaluator`), fmt.Sprintf("%dQ_", year))
	if err != nil {
		return nil, fmt.Errorf("read scores of %d: %w", year, err)
	}
	return out, nil
}

// CalendarDays returns every calendar row.
func (db *DB) CalendarDays(ctx context.Context) ([]evaluation.CalendarDay, error) {
	var out []evaluation.CalendarDay
	if err := db.pool.SelectContext(ctx, &out, `SELECT day, kind, name FROM calendar ORDER BY day`); err != nil {
		return nil, fmt.Errorf("read calendar: %w", err)
	}
	return out, nil
}

// LifecycleEvents returns every lifecycle event in time order.
func (db *DB) LifecycleEvents(ctx context.Context) ([]metering.Event, error) {
	return db.queryEvents(ctx, `SELECT `+db.eventColumns()+` FROM events ORDER BY resource_id, at, event, item_code`)
}

// eventColumns selects what queryEvents reads.
func (db *DB) eventColumns() string {
	return `resource_id, event, ` + db.dialect.instantMicros("at") + `, ` + db.dialect.dayNumber("day") + `, item_code, quantity, ref`
}

// queryEvents runs a query selecting eventColumns and reads the events.
func (db *DB) queryEvents(ctx context.Context, query string, args ...any) ([]metering.Event, error) {
	rows, err := db.pool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []metering.Event
	for rows.Next() {
		var e metering.Event
		var at Instant
		var q decimal.NullDecimal
		if err := rows.Scan(&e.ResourceID, &e.Kind, &at, &e.Day, &e.ItemCode, &q, &e.Ref); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e.At, e.Quantity = at.Time, q.Decimal
		out = append(out, e)
	}
	return out, rows.Err()
}

// ResourcesAll returns every resource.
func (db *DB) ResourcesAll(ctx context.Context) ([]metering.Resource, error) {
	var out []metering.Resource
	if err := db.pool.SelectContext(ctx, &out, `SELECT id, system_id, provider_code, kind, name FROM resources ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	return out, nil
}

// ResourcePlaces returns where every resource sits: system, department,
// district, provider, kind.
func (db *DB) ResourcePlaces(ctx context.Context) ([]evaluation.Place, error) {
	var out []evaluation.Place
	err := db.pool.SelectContext(ctx, &out, `SELECT r.id AS resource_id, r.system_id, s.department_code, d.district_code, r.provider_code, r.kind
		FROM resources r JOIN systems s ON s.id = r.system_id JOIN departments d ON d.code = s.department_code ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("read resource places: %w", err)
	}
	return out, nil
}
