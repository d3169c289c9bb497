package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// upsert writes rows into table in multi-row INSERT statements. A row whose
// key exists is updated only when a value differs (update=true) or left
// alone (update=false). It returns how many rows were inserted or changed.
func (db *DB) upsert(ctx context.Context, tx *sqlx.Tx, table string, cols, key []string, update bool, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	isKey := map[string]bool{}
	for _, k := range key {
		isKey[k] = true
	}
	var set, differs []string
	for _, c := range cols {
		if isKey[c] {
			continue
		}
		set = append(set, fmt.Sprintf("%s = excluded.%s", c, c))
		differs = append(differs, fmt.Sprintf("%s.%s %s excluded.%s", table, c, db.dialect.isDistinct, c))
	}
	conflict := ""
	if len(key) > 0 {
		conflict = fmt.Sprintf(" ON CONFLICT (%s) DO NOTHING", strings.Join(key, ", "))
	}
	if len(key) > 0 && update && len(set) > 0 {
		conflict = fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s WHERE %s",
			strings.Join(key, ", "), strings.Join(set, ", "), strings.Join(differs, " OR "))
	}
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	batch := 8000 / len(cols)
	var total int64
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, (end-start)*len(cols))
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(placeholder)
			args = append(args, r...)
		}
		b.WriteString(conflict)
		res, err := tx.ExecContext(ctx, db.pool.Rebind(b.String()), args...)
		if err != nil {
			return total, fmt.Errorf("write %s: %w", table, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// insertRows inserts rows: COPY on PostgreSQL, multi-row INSERT
// statements on SQLite.
func (db *DB) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	if !db.dialect.copyIn || len(rows) == 0 {
		_, err := db.upsert(ctx, tx, table, cols, nil, false, rows)
		return err
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s) FROM STDIN`, table, strings.Join(cols, ", ")))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		for i, v := range r {
			if d, ok := v.(metering.Date); ok {
				r[i] = d.String()
			}
		}
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return stmt.Close()
}
