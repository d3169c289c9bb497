package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/metering"
	"cloudbill/reference"
)

// LoadCounts says, per table, how many rows a load inserted or changed,
// and under BudgetsDropped how many budgets it deleted (dropStaleBudgets).
type LoadCounts map[string]int64

// BudgetsDropped is the LoadCounts key of the budgets a load deleted: those
// of a year its budgets.csv names that the file no longer holds.
const BudgetsDropped = "budgets dropped"

// LoadReference writes a validated reference data set in one transaction:
// new rows are inserted, changed rows updated, identical rows left alone
// (loading the same set twice changes nothing). Events are append-only.
func (db *DB) LoadReference(ctx context.Context, ref *reference.Set) (LoadCounts, error) {
	counts := LoadCounts{}
	err := db.inTxDetached(ctx, func(tx *sqlx.Tx) error { // COPY: see inTxDetached
		type table struct {
			name   string
			cols   []string
			key    []string
			update bool
			rows   [][]any
		}
		var tables []table
		add := func(name string, cols, key []string, update bool, n int, row func(i int) []any) {
			t := table{name: name, cols: cols, key: key, update: update, rows: make([][]any, n)}
			for i := range n {
				t.rows[i] = row(i)
			}
			tables = append(tables, t)
		}
		add("districts", []string{"code", "name"}, []string{"code"}, true, len(ref.Districts), func(i int) []any {
			d := ref.Districts[i]
			return []any{d.Code, d.Name}
		})
		add("departments", []string{"code", "name", "district_code"}, []string{"code"}, true, len(ref.Departments), func(i int) []any {
			d := ref.Departments[i]
			return []any{d.Code, d.Name, d.DistrictCode}
		})
		add("providers", []string{"code", "name"}, []string{"code"}, true, len(ref.Providers), func(i int) []any {
			p := ref.Providers[i]
			return []any{p.Code, p.Name}
		})
		add("systems", []string{"id", "department_code", "name", "protection_level"}, []string{"id"}, true, len(ref.Systems), func(i int) []any {
			s := ref.Systems[i]
			return []any{s.ID, s.DepartmentCode, s.Name, s.ProtectionLevel}
		})
		add("resources", []string{"id", "system_id", "provider_code", "kind", "name"}, []string{"id"}, true, len(ref.Resources), func(i int) []any {
			r := ref.Resources[i]
			return []any{r.ID, r.SystemID, r.ProviderCode, string(r.Kind), r.Name}
		})
		add("catalogue", []string{"item_code", "effective_from", "effective_to", "category", "name", "unit", "cycle", "price", "approval_ref"}, []string{"item_code", "effective_from"}, true, len(ref.Catalogue), func(i int) []any {
			v := ref.Catalogue[i]
			return []any{v.ItemCode, v.EffectiveFrom, v.EffectiveTo, v.Category, v.Name, v.Unit, string(v.Cycle), Dec(v.Price), v.ApprovalRef}
		})
		add("events", []string{"resource_id", "event", "at", "day", "item_code", "quantity", "ref"}, []string{"resource_id", "event", "at", "item_code"}, false, len(ref.Events), func(i int) []any {
			e := ref.Events[i]
			var q any
			if e.Kind.CarriesItem() {
				q = Dec(e.Quantity)
			}
			return []any{e.ResourceID, string(e.Kind), db.dialect.instant(e.At), e.Day, e.ItemCode, q, e.Ref}
		})
		add("scores", []string{"provider_code", "period", "dimension", "evaluator", "score"}, []string{"provider_code", "period", "dimension", "evaluator"}, true, len(ref.Scores), func(i int) []any {
			s := ref.Scores[i]
			return []any{s.ProviderCode, s.Period, s.Dimension, s.Evaluator, Dec(s.Score)}
		})
		add("calendar", []string{"day", "kind", "name"}, []string{"day"}, true, len(ref.Calendar), func(i int) []any {
			c := ref.Calendar[i]
			return []any{c.Day, string(c.Kind), c.Name}
		})
		add("budgets", budgetColumns, []string{"year", "district_code", "department_code"}, true, len(ref.Budgets), func(i int) []any {
			return budgetRow(ref.Budgets[i])
		})
		for _, t := range tables {
			n, err := db.upsert(ctx, tx, t.name, t.cols, t.key, t.update, t.rows)
			if err != nil {
				return err
			}
			counts[t.name] = n
		}
		n, err := db.dropStaleBudgets(ctx, tx, ref.Budgets)
		if err != nil {
			return err
		}
		counts[BudgetsDropped] = n
		for _, f := range ref.Files {
			if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO files (sha256, name, kind, rows_read, accepted, processed_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (sha256) DO NOTHING`), f.SHA256, f.Name, f.Kind, f.Rows, f.Rows, db.dialect.instant(db.now())); err != nil {
				return fmt.Errorf("record %s: %w", f.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// Dec renders a decimal for storage without losing its scale ("0.10" stays
// "0.10"); decimal.Decimal.Value would drop trailing zeros.
func Dec(d decimal.Decimal) string {
	if d.Exponent() >= 0 {
		return d.StringFixed(0)
	}
	return d.StringFixed(-d.Exponent())
}

// ReadReference reads the whole reference data set back, in key order.
func (db *DB) ReadReference(ctx context.Context) (*reference.Set, error) {
	ref := &reference.Set{}
	for _, q := range []struct {
		dst   any
		query string
	}{
		{&ref.Districts, `SELECT code, name FROM districts ORDER BY code`},
		{&ref.Departments, `SELECT code, name, district_code FROM departments ORDER BY code`},
		{&ref.Providers, `SELECT code, name FROM providers ORDER BY code`},
		{&ref.Systems, `SELECT id, department_code, name, protection_level FROM systems ORDER BY id`},
		{&ref.Resources, `SELECT id, system_id, provider_code, kind, name FROM resources ORDER BY id`},
		{&ref.Catalogue, `SELECT item_code, category, name, unit, cycle, price, effective_from, effective_to, approval_ref FROM catalogue ORDER BY item_code, effective_from`},
		{&ref.Scores, `SELECT provider_code, period, dimension, evaluator, score FROM scores ORDER BY provider_code, period, dimension, evaluator`},
		{&ref.Calendar, `SELECT day, kind, name FROM calendar ORDER BY day`},
	} {
		if err := db.pool.SelectContext(ctx, q.dst, q.query); err != nil {
			return nil, fmt.Errorf("read reference: %w", err)
		}
	}
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	ref.Events = events
	if ref.Budgets, err = db.Budgets(ctx, 0); err != nil {
		return nil, err
	}
	return ref, nil
}

// ConflictingEvents returns the indexes of events whose key (resource,
// event, instant, item) is already stored with a different quantity or
// reference: events are append-only, so a correction must be a new event.
func (db *DB) ConflictingEvents(ctx context.Context, evs []metering.Event) ([]int, error) {
	type key struct {
		resource, kind, item string
		at                   int64
	}
	rows, err := db.pool.QueryxContext(ctx, `SELECT resource_id, event, at, item_code, quantity, ref FROM events`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type val struct {
		q   decimal.NullDecimal
		ref string
	}
	stored := map[key]val{}
	for rows.Next() {
		var r, k, item, ref string
		var at Instant
		var q decimal.NullDecimal
		if err := rows.Scan(&r, &k, &at, &item, &q, &ref); err != nil {
			return nil, err
		}
		stored[key{r, k, item, at.UnixNano()}] = val{q, ref}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []int
	for i, e := range evs {
		v, ok := stored[key{e.ResourceID, string(e.Kind), e.ItemCode, e.At.UnixNano()}]
		if !ok {
			continue
		}
		if v.ref != e.Ref || (e.Kind.CarriesItem() && (!v.q.Valid || !v.q.Decimal.Equal(e.Quantity))) {
			out = append(out, i)
		}
	}
	return out, nil
}
