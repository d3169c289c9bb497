package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

const (
	// sqliteChunk rows are sorted in primary-key order before they are
	// written, so that inserts walk the B-tree instead of jumping about
	// (nightly files come day by day, the key is resource first).
	sqliteChunk = 65536
	// sqliteBatch rows go in one multi-row INSERT … ON CONFLICT DO NOTHING.
	sqliteBatch = 256
)

// chunkRow is one pending first-occurrence row of a chunk.
type chunkRow struct {
	vals  []string
	order uint64
	line  int
	day   metering.Date
	idle  bool
}

// ingestRows is the SQLite path: rows are gathered in chunks, sorted in
// key order and written with a prepared multi-row INSERT … ON CONFLICT DO
// NOTHING inside a savepoint. When a batch meets an existing key it is
// rolled back and written row by row (read, compare, UPDATE only when the
// value differs), so the counts stay exact. Rows repeating a key of the
// file are applied after their chunk, in file order (the last value wins).
func (db *DB) ingestRows(ctx context.Context, tx *sqlx.Tx, sp *spec, known *metering.Known, in IngestInput, res *IngestResult, spool *rejectSpool, months *monthBits) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -32768`); err != nil {
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
	batch, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO NOTHING`,
		sp.table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat(row+", ", sqliteBatch), ", "), strings.Join(sp.keys, ", ")))
	if err != nil {
		return fmt.Errorf("prepare %s insert: %w", sp.table, err)
	}
	defer batch.Close()
	s, err := newScanner(sp, known, in, res, spool, months)
	if err != nil {
		return err
	}
	defer s.close()
	res.Path = "upsert"

	var (
		chunk   []chunkRow
		dups    []chunkRow
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
			one.first, one.line, one.day, one.idle = first, r.line, r.day, r.idle
			if err := w.write(ctx, &one, res); err != nil {
				return err
			}
		}
		return nil
	}
	flush := func() error {
		slices.SortFunc(chunk, func(a, b chunkRow) int {
			switch {
			case a.order < b.order:
				return -1
			case a.order > b.order:
				return 1
			}
			return 0
		})
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
			if _, err := tx.ExecContext(ctx, `SAVEPOINT ingest_batch`); err != nil {
				return err
			}
			r, err := batch.ExecContext(ctx, args...)
			if err != nil {
				return fmt.Errorf("write %s: %w", sp.table, err)
			}
			if n, _ := r.RowsAffected(); n == int64(len(part)) {
				res.Accepted += n
				for _, r := range part {
					s.months.addRow(r.vals, r.day, r.idle)
				}
				if _, err := tx.ExecContext(ctx, `RELEASE ingest_batch`); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO ingest_batch; RELEASE ingest_batch`); err != nil {
				return err
			}
			backoff = 8
			if err := byRow(part, true); err != nil {
				return err
			}
		}
		if err := byRow(dups, false); err != nil {
			return err
		}
		chunk, dups = chunk[:0], dups[:0]
		return nil
	}
	for {
		rec, err := s.next()
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
		r := chunkRow{vals: slices.Clone(rec.vals), order: rec.order, line: rec.line, day: rec.day, idle: rec.idle}
		if rec.first {
			chunk = append(chunk, r)
		} else {
			dups = append(dups, r)
		}
		if len(chunk)+len(dups) >= sqliteChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
