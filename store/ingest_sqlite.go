package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"

	"cloudbill/metering"
)

const (
	// sqliteChunk rows are sorted in primary-key order (day first) before
	// they are written: a file in day order then appends to the B-tree.
	sqliteChunk = 32768
	// sqliteBatch rows go in one multi-row INSERT.
	sqliteBatch = 256
	// maxPendingMonths summary entries are merged into their table before
	// more rows are read.
	maxPendingMonths = 1 << 17
)

// chunkRow is one pending first-occurrence row of a chunk.
type chunkRow struct {
	vals  []string
	order uint64
	line  int
	day   metering.Date
	idle  bool
	// the resource's and item's numbers (metering.Known)
	resIdx, itemIdx int32
}

// ingestRows is the SQLite path: rows are gathered in chunks, sorted in
// key order and written with a prepared multi-row INSERT. When a batch
// meets an existing key SQLite backs that statement out and the batch is
// written row by row (read, compare, UPDATE only when the value differs),
// so the counts stay exact. Rows repeating a key of the
// file are applied after their chunk, in file order (the last value wins).
func (db *DB) ingestRows(ctx context.Context, tx *sqlx.Tx, sp *spec, known *metering.Known, in IngestInput, res *IngestResult, spool *rejectSpool, months *monthBits) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -16384`); err != nil {
		return err
	}
	w, err := db.newRowWriter(ctx, tx, sp, months)
	if err != nil {
		return err
	}
	defer w.close()
	ncol := len(sp.keys) + len(sp.vals)
	cols := sp.cols()
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
	batch, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) VALUES %s`,
		sp.table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat(row+", ", sqliteBatch), ", ")))
	if err != nil {
		return fmt.Errorf("prepare %s insert: %w", sp.table, err)
	}
	defer batch.Close()
	s, err := newScanner(sp, known, in, res, spool, months)
	if err != nil {
		return err
	}
	s.dayFirst = true
	defer s.close()
	res.Path = "upsert"

	var (
		args    = make([]any, sqliteBatch*ncol)
		one     = record{vals: make([]string, ncol), args: make([]any, ncol)}
		backoff int // batches to write row by row after one met existing keys
	)
	byRow := func(rows []chunkRow, first bool) error {
		for _, r := range rows {
			copy(one.vals, r.vals)
			for i, v := range r.vals {
				one.args[i] = v
			}
			one.first, one.line, one.day, one.idle, one.resIdx, one.itemIdx = first, r.line, r.day, r.idle, r.resIdx, r.itemIdx
			if err := w.write(ctx, &one, res); err != nil {
				return err
			}
		}
		return nil
	}
	flush := func(chunk, dups []chunkRow) error {
		for i := 0; i < len(chunk); i += sqliteBatch {
			part := chunk[i:min(i+sqliteBatch, len(chunk))]
			if len(part) < sqliteBatch || backoff > 0 {
				backoff = max(backoff-1, 0)
				if err := byRow(part, true); err != nil {
					return err
				}
				continue
			}
			for j, r := range part {
				for k, v := range r.vals {
					args[j*ncol+k] = v
				}
			}
			// A key that exists fails the plain INSERT; SQLite then backs out
			// that statement alone (no savepoint needed) and the batch goes
			// row by row.
			if _, err := batch.ExecContext(ctx, args...); err == nil {
				res.Accepted += int64(len(part))
				for _, r := range part {
					s.months.addRow(r.vals, r.resIdx, r.itemIdx, r.day, r.idle)
				}
				continue
			} else if !isSQLiteConstraint(err) {
				return fmt.Errorf("write %s: %w", sp.table, err)
			}
			backoff = 8
			if err := byRow(part, true); err != nil {
				return err
			}
		}
		if err := byRow(dups, false); err != nil {
			return err
		}
		// Bound the memory of a long file's summary bits: they are ORed
		// into the summary, so merging part of them early changes nothing.
		if s.months != nil && len(s.months.m) > maxPendingMonths {
			return db.flushMonthBits(ctx, tx, s.months)
		}
		return nil
	}
	// Reading, checking and sorting the rows runs beside the writes, one
	// chunk ahead: two cores instead of one.
	type chunkOf struct {
		chunk, dups []chunkRow
		err         error
	}
	work, stop := produce(func(send func(chunkOf) bool) {
		var chunk, dups []chunkRow
		for {
			rec, err := s.next()
			if err == io.EOF {
				send(chunkOf{chunk: sortRows(chunk), dups: dups})
				return
			}
			if err != nil {
				send(chunkOf{err: err})
				return
			}
			r := chunkRow{vals: slices.Clone(rec.vals), order: rec.order, line: rec.line, day: rec.day, idle: rec.idle, resIdx: rec.resIdx, itemIdx: rec.itemIdx}
			if rec.first {
				chunk = append(chunk, r)
			} else {
				dups = append(dups, r)
			}
			if len(chunk)+len(dups) >= sqliteChunk {
				if !send(chunkOf{chunk: sortRows(chunk), dups: dups}) {
					return
				}
				chunk, dups = make([]chunkRow, 0, sqliteChunk), nil
			}
		}
	})
	defer stop()
	for c := range work {
		if c.err != nil {
			return c.err
		}
		if err := flush(c.chunk, c.dups); err != nil {
			return err
		}
	}
	return nil
}

// sqliteConstraint is SQLITE_CONSTRAINT, the primary result code of a
// constraint violation.
const sqliteConstraint = 19

// isSQLiteConstraint reports a constraint violation (a primary key that
// exists).
func isSQLiteConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqliteConstraint
}

// sortRows sorts rows in primary-key order.
func sortRows(rows []chunkRow) []chunkRow {
	slices.SortFunc(rows, func(a, b chunkRow) int { return cmp.Compare(a.order, b.order) })
	return rows
}
