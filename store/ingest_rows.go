package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// rowWriter upserts one record at a time: INSERT … ON CONFLICT DO NOTHING,
// and only when the key exists, a read and an UPDATE when the value differs.
type rowWriter struct {
	sp            *spec
	months        *monthBits // usage: gathers the bits of inserted rows
	flushMonths   func() error
	ins, sel, upd *sql.Stmt
	// keptText, when set, hears of each row left unchanged whose stored
	// text differs from the file's (8.0 kept against 8.00)
	keptText func(rec *record)
	cur      []sql.NullString
	curArgs  []any
	updArgs  []any
}

func (db *DB) newRowWriter(ctx context.Context, tx *sqlx.Tx, sp *spec, months *monthBits) (*rowWriter, error) {
	cols := sp.cols()
	var where, set []string
	for _, k := range sp.keys {
		where = append(where, k+" = ?")
	}
	for _, v := range sp.vals {
		set = append(set, v+" = ?")
	}
	w := &rowWriter{sp: sp, months: months, flushMonths: func() error { return db.flushMonthBits(ctx, tx, months) }, cur: make([]sql.NullString, len(sp.vals)), updArgs: make([]any, len(cols))}
	for i := range w.cur {
		w.curArgs = append(w.curArgs, &w.cur[i])
	}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, db.pool.Rebind(q))
		return st
	}
	castVals := make([]string, len(sp.vals))
	for i, v := range sp.vals {
		castVals[i] = v + db.dialect.asText
	}
	w.ins = prep(fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING`, sp.table,
		strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "), strings.Join(sp.keys, ", ")))
	w.sel = prep(fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, strings.Join(castVals, ", "), sp.table, strings.Join(where, " AND ")))
	w.upd = prep(fmt.Sprintf(`UPDATE %s SET %s WHERE %s`, sp.table, strings.Join(set, ", "), strings.Join(where, " AND ")))
	if err != nil {
		w.close()
		return nil, fmt.Errorf("prepare %s upsert: %w", sp.table, err)
	}
	return w, nil
}

func (w *rowWriter) close() {
	for _, st := range []*sql.Stmt{w.ins, w.sel, w.upd} {
		if st != nil {
			st.Close()
		}
	}
}

// write stores rec; counts go to res (a repeated key counts as a duplicate).
func (w *rowWriter) write(ctx context.Context, rec *record, res *IngestResult) error {
	nk := len(w.sp.keys)
	if rec.first {
		r, err := w.ins.ExecContext(ctx, rec.args...)
		if err != nil {
			return fmt.Errorf("write %s: %w", w.sp.table, err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.Accepted++
			w.months.addRecord(rec)
			return nil
		}
	} else {
		res.Duplicates++
	}
	if err := w.sel.QueryRowContext(ctx, rec.args[:nk]...).Scan(w.curArgs...); err != nil {
		return fmt.Errorf("read %s: %w", w.sp.table, err)
	}
	old := make([]string, len(w.cur))
	same := true
	for i, c := range w.cur {
		old[i] = c.String
		if !sameValue(c.String, rec.vals[nk+i]) {
			same = false
		}
	}
	if rec.first {
		if same {
			res.Unchanged++
			if w.keptText != nil && !slices.Equal(old, rec.vals[nk:]) {
				w.keptText(rec)
			}
		} else {
			res.replaced(w.sp.replacement(rec.vals, strings.Join(old, ",")))
		}
	}
	if same {
		return nil
	}
	if w.months != nil && len(w.months.m) > 0 {
		// The UPDATE trigger moves the row's bit in usage_months: the bits
		// of rows inserted before it must be there first.
		if err := w.flushMonths(); err != nil {
			return err
		}
	}
	copy(w.updArgs, rec.args[nk:])
	copy(w.updArgs[len(w.sp.vals):], rec.args[:nk])
	if _, err := w.upd.ExecContext(ctx, w.updArgs...); err != nil {
		return fmt.Errorf("update %s: %w", w.sp.table, err)
	}
	return nil
}

// sameValue compares two stored values numerically (1.0 equals 1.00).
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := decimal.NewFromString(a)
	y, err2 := decimal.NewFromString(b)
	return err1 == nil && err2 == nil && x.Equal(y)
}
