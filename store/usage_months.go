package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// monthKey is one row of usage_months: a (resource, item, month) and the
// quantity exactly as stored in usage.
type monthKey struct {
	res, item string
	month     metering.Date
	q         string
}

// monthBits gathers the usage_months bits of the usage rows one ingest
// transaction inserts; flush merges them into the table (an OR: the rows
// are new, so their bits are too). Updated and deleted usage rows move
// their bits through the triggers of migration 0008.
type monthBits struct {
	m map[monthKey]int32
}

func newMonthBits() *monthBits { return &monthBits{m: map[monthKey]int32{}} }

// add records a new usage row.
func (b *monthBits) add(res, item string, day metering.Date, q string) {
	k := monthKey{res, item, metering.NewDate(day.Year(), day.Month(), 1), q}
	b.m[k] |= 1 << (day.Day() - 1)
}

// addRecord records a new usage row read from a file (b may be nil: an
// activity file).
func (b *monthBits) addRecord(r *record) {
	if b != nil {
		b.add(r.vals[0], r.vals[1], r.day, r.vals[3])
	}
}

// reset forgets everything gathered (the rows were rolled back).
func (b *monthBits) reset() { clear(b.m) }

// flush merges the gathered bits into usage_months inside tx.
func (db *DB) flushMonthBits(ctx context.Context, tx *sqlx.Tx, b *monthBits) error {
	if len(b.m) == 0 {
		return nil
	}
	cols := []string{"resource_id", "item_code", "month", "quantity", "days"}
	rows := make([][]any, 0, len(b.m))
	for k, days := range b.m {
		rows = append(rows, []any{k.res, k.item, k.month, k.q, int64(days)})
	}
	clear(b.m)
	if db.Engine == EnginePostgres {
		// Quantities equal as numbers but not as text ("4", "4.0") are one
		// key of the NUMERIC primary key: group them before the upsert.
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS usage_months_new (LIKE usage_months) ON COMMIT DELETE ROWS`); err != nil {
			return fmt.Errorf("usage_months: %w", err)
		}
		if err := db.insertRows(ctx, tx, "usage_months_new", cols, rows); err != nil {
			return fmt.Errorf("usage_months: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usage_months AS m (resource_id, item_code, month, quantity, days)
			SELECT resource_id, item_code, month, quantity, bit_or(days) FROM usage_months_new GROUP BY 1, 2, 3, 4
			ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days`)
		if err == nil {
			_, err = tx.ExecContext(ctx, `TRUNCATE usage_months_new`)
		}
		if err != nil {
			return fmt.Errorf("usage_months: %w", err)
		}
		return nil
	}
	const batch = 200
	for i := 0; i < len(rows); i += batch {
		part := rows[i:min(i+batch, len(rows))]
		q := `INSERT INTO usage_months (resource_id, item_code, month, quantity, days) VALUES ` + valuesList(len(part), len(cols)) +
			` ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = days | excluded.days`
		args := make([]any, 0, len(part)*len(cols))
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("usage_months: %w", err)
		}
	}
	return nil
}

// valuesList is "(?, …), (?, …)" for n rows of c columns.
func valuesList(n, c int) string {
	row := inList(c)
	out := make([]byte, 0, n*(len(row)+2))
	for i := range n {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, row...)
	}
	return string(out)
}

// VerifyUsageMonths recomputes usage_months from every usage row and
// reports the first difference from the stored summary. It reads the
// whole usage table: a check for tests and for an operator in doubt, not
// for the nightly path.
func (db *DB) VerifyUsageMonths(ctx context.Context) error {
	want := map[monthKey]int32{}
	rows, err := db.QueryxContext(ctx, `SELECT resource_id, item_code, day, quantity FROM usage`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var res, item, q string
		var day metering.Date
		if err := rows.Scan(&res, &item, &day, &q); err != nil {
			return err
		}
		want[monthKey{res, item, metering.NewDate(day.Year(), day.Month(), 1), normalQuantity(q)}] |= 1 << (day.Day() - 1)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	got := map[monthKey]int32{}
	sums, err := db.QueryxContext(ctx, `SELECT resource_id, item_code, month, quantity, days FROM usage_months`)
	if err != nil {
		return err
	}
	defer sums.Close()
	for sums.Next() {
		var k monthKey
		var days int32
		if err := sums.Scan(&k.res, &k.item, &k.month, &k.q, &days); err != nil {
			return err
		}
		k.q = normalQuantity(k.q)
		if got[k]&days != 0 {
			return fmt.Errorf("usage_months: %s %s %s: a day counted twice", k.res, k.item, k.month)
		}
		got[k] |= days
	}
	if err := sums.Err(); err != nil {
		return err
	}
	for k, w := range want {
		if got[k] != w {
			return fmt.Errorf("usage_months: %s %s %s quantity %s: days %031b, want %031b", k.res, k.item, k.month, k.q, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("usage_months: %s %s %s quantity %s: days %031b without usage rows", k.res, k.item, k.month, k.q, g)
		}
	}
	return nil
}

// normalQuantity is q as a number ("4.0" and "4" alike).
func normalQuantity(q string) string {
	d, err := decimal.NewFromString(q)
	if err != nil {
		return q
	}
	return d.String()
}

// RebuildUsageMonths recomputes usage_months from every usage row in one
// transaction: the repair when VerifyUsageMonths finds a difference (usage
// rows inserted by hand in SQL, which no trigger sees).
func (db *DB) RebuildUsageMonths(ctx context.Context) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return db.rebuildUsageMonths(ctx, tx) })
}

func (db *DB) rebuildUsageMonths(ctx context.Context, tx *sqlx.Tx) error {
	q := `INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, date_trunc('month', day)::date, quantity, bit_or(1 << (extract(day FROM day)::int - 1))
		FROM usage GROUP BY 1, 2, 3, 4`
	if db.Engine != EnginePostgres {
		q = `INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, substr(day, 1, 8) || '01', quantity, sum(1 << (CAST(substr(day, 9, 2) AS INTEGER) - 1))
		FROM usage GROUP BY 1, 2, 3, 4`
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM usage_months`); err != nil {
		return fmt.Errorf("rebuild usage_months: %w", err)
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("rebuild usage_months: %w", err)
	}
	return nil
}
