package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"

	"cloudbill/metering"
)

// sqliteSizes are the SQLite ingest's chunk and batch sizes (DB.sqlite);
// tests make them small.
type sqliteSizes struct {
	// chunkRows rows are sorted in primary-key order (day first) before
	// they are written: a file in day order then appends to the B-tree.
	chunkRows int
	// batch rows go in one multi-row INSERT.
	batch int
	// pendingMonths summary entries are merged into their table before
	// more rows are read.
	pendingMonths int
	// keptText rows left unchanged but written differently make the
	// reader hand its summary bits over at its next chunk, so that their
	// corrections need not wait for the end of a long file.
	keptText int
}

var defaultSQLiteSizes = sqliteSizes{chunkRows: 32768, batch: 256, pendingMonths: 1 << 17, keptText: 1 << 15}

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
// so the counts stay exact. Rows repeating a key of the file are applied
// after their chunk, in file order (the last value wins). A goroutine
// reads, checks and sorts the next chunk, gathers its summary bits and
// builds its arguments while this one writes the chunk before it.
func (db *DB) ingestRows(ctx context.Context, tx *sqlx.Tx, sp *spec, known *metering.Known, in IngestInput, t closeTable, res *IngestResult, spool *rejectSpool, months *monthBits) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -16384`); err != nil {
		return err
	}
	// The rows' summary bits are gathered as they are read (chunker).
	w, err := db.newRowWriter(ctx, tx, sp, nil)
	if err != nil {
		return err
	}
	defer w.close()
	ncol := len(sp.keys) + len(sp.vals)
	sizes := db.sqlite
	// Two statements of sizes.batch rows: one binds the day once (the
	// batches of a file in day order, but for one a day), the other every
	// value of every row.
	cols, dayCol := sp.cols(), len(sp.keys)-1
	rest := slices.Delete(slices.Clone(cols), dayCol, dayCol+1)
	var pick []string
	for i := range rest {
		pick = append(pick, fmt.Sprintf("v.column%d", i+1))
	}
	batch, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) VALUES %s`,
		sp.table, strings.Join(cols, ", "), valuesList(sizes.batch, ncol)))
	if err != nil {
		return fmt.Errorf("prepare %s insert: %w", sp.table, err)
	}
	defer batch.Close()
	batchDay, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (day, %s) SELECT d.day, %s FROM (SELECT ? AS day) AS d, (VALUES %s) AS v`,
		sp.table, strings.Join(rest, ", "), strings.Join(pick, ", "), valuesList(sizes.batch, ncol-1)))
	if err != nil {
		return fmt.Errorf("prepare %s insert: %w", sp.table, err)
	}
	defer batchDay.Close()
	s := db.newScanner(sp, known, in, t, res, spool, months)
	s.bare = true
	defer s.close()
	res.Path = "upsert"

	// The bit of a row left unchanged but written differently (8.00 for
	// the 8.0 stored) was gathered under the file's text: it is taken out
	// again before its summary bits are merged.
	type kept struct {
		resIdx, itemIdx int32
		day             metering.Date
		q               string
	}
	var (
		keptText  []kept
		mergeSoon atomic.Bool // set by the writer, read by the reader
	)
	if sp.kind == RecordUsage {
		w.keptText = func(rec *record) {
			keptText = append(keptText, kept{rec.resIdx, rec.itemIdx, rec.day, rec.vals[len(sp.keys)]})
			if len(keptText) >= sizes.keptText {
				mergeSoon.Store(true)
			}
		}
	}
	var (
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
	flush := func(c *sqliteChunk) error {
		for b, args := range c.batches {
			part := c.rows[b*sizes.batch : (b+1)*sizes.batch]
			if backoff > 0 {
				backoff--
				if err := byRow(part, true); err != nil {
					return err
				}
				continue
			}
			st := batch
			if c.oneDay[b] {
				st = batchDay
			}
			// A key that exists fails the plain INSERT; SQLite then backs out
			// that statement alone (no savepoint needed) and the batch goes
			// row by row.
			if _, err := st.ExecContext(ctx, args...); err == nil {
				res.Accepted += int64(len(part))
				continue
			} else if !isSQLiteConstraint(err) {
				return fmt.Errorf("write %s: %w", sp.table, err)
			}
			backoff = 8
			if err := byRow(part, true); err != nil {
				return err
			}
		}
		if err := byRow(c.rows[len(c.batches)*sizes.batch:], true); err != nil {
			return err
		}
		// The summary bits of the rows so far go in before any repeated
		// key is written: the UPDATE trigger moves the bit of the row.
		if c.months != nil {
			for _, k := range keptText {
				c.months.unset(k.resIdx, k.itemIdx, k.day, k.q)
			}
			keptText = keptText[:0]
		}
		if err := db.flushMonthBits(ctx, tx, c.months); err != nil {
			return err
		}
		return byRow(c.dups, false)
	}
	// Reading, checking, sorting the rows and gathering their summary bits
	// run beside the writes, one chunk ahead: two cores instead of one.
	work, stop := produce(func(send func(*sqliteChunk) bool) {
		g := newChunker(sp, s.months, sizes)
		g.mergeSoon = &mergeSoon
		for {
			rec, err := s.next()
			if err != nil {
				if err != io.EOF {
					send(&sqliteChunk{err: err})
				} else {
					send(g.take(true))
				}
				return
			}
			if g.add(rec) >= sizes.chunkRows && !send(g.take(false)) {
				return
			}
		}
	})
	defer stop()
	for c := range work {
		if c.err != nil {
			return c.err
		}
		if err := flush(c); err != nil {
			return err
		}
	}
	return nil
}

// sqliteChunk is a chunk of a file's valid rows, ready to write.
type sqliteChunk struct {
	rows []chunkRow // first occurrences, in primary-key order
	// the arguments of each full batch of rows: when oneDay, the day and
	// then the other values of each row, else every value of each row
	batches [][]any
	oneDay  []bool
	dups    []chunkRow // rows repeating a key of the file, in file order
	// months, when set, holds the summary bits of every first occurrence
	// up to this chunk, merged after its rows and before its dups
	months *monthBits
	err    error
}

// chunker gathers the rows of a chunk. The summary bits of each first
// occurrence are gathered as it is read: the row ends up stored with that
// value whether it is new, unchanged or replaces another (whose trigger
// moves the old bit), and ORing a bit already set changes nothing.
type chunker struct {
	mergeSoon *atomic.Bool // the writer asks for the summary bits
	ncol      int
	months    *monthBits
	c         *sqliteChunk
	slab      []string
	boxes     *boxer
	sizes     sqliteSizes
}

func newChunker(sp *spec, months *monthBits, sizes sqliteSizes) *chunker {
	g := &chunker{ncol: len(sp.keys) + len(sp.vals), months: months, boxes: newBoxer(sp), sizes: sizes}
	g.reset()
	return g
}

func (g *chunker) reset() {
	g.c = &sqliteChunk{rows: make([]chunkRow, 0, g.sizes.chunkRows)}
	g.slab = make([]string, 0, g.sizes.chunkRows*g.ncol)
}

// add gathers rec and returns the number of rows in the chunk.
func (g *chunker) add(rec *record) int {
	g.slab = append(g.slab, rec.vals...)
	r := chunkRow{vals: g.slab[len(g.slab)-g.ncol:], order: rec.order, line: rec.line, day: rec.day, idle: rec.idle, resIdx: rec.resIdx, itemIdx: rec.itemIdx}
	if rec.first {
		g.c.rows = append(g.c.rows, r)
		g.months.addRow(r.vals, r.resIdx, r.itemIdx, r.day, r.idle)
	} else {
		g.c.dups = append(g.c.dups, r)
	}
	return len(g.c.rows) + len(g.c.dups)
}

// take returns the chunk gathered, sorted, with its arguments; the summary
// bits go with it when it has repeated keys, when they grow large, and at
// the end of the file.
func (g *chunker) take(last bool) *sqliteChunk {
	c := g.c
	slices.SortFunc(c.rows, func(a, b chunkRow) int { return cmp.Compare(a.order, b.order) })
	args := make([]any, 0, len(c.rows)*g.ncol)
	batch := g.sizes.batch
	for i := 0; i+batch <= len(c.rows); i += batch {
		part := c.rows[i : i+batch]
		// The rows are in key order, day first.
		oneDay := part[0].day == part[len(part)-1].day
		start := len(args)
		if oneDay {
			day := g.boxes.dayCol
			args = append(args, g.boxes.box(day, part[0].vals[day], part[0].resIdx, part[0].itemIdx, part[0].day))
		}
		for _, r := range part {
			for j, v := range r.vals {
				if !oneDay || j != g.boxes.dayCol {
					args = append(args, g.boxes.box(j, v, r.resIdx, r.itemIdx, r.day))
				}
			}
		}
		c.batches = append(c.batches, args[start:len(args):len(args)])
		c.oneDay = append(c.oneDay, oneDay)
	}
	if last || len(c.dups) > 0 || g.mergeSoon.Swap(false) || (g.months != nil && len(g.months.m) > g.sizes.pendingMonths) {
		c.months = g.months
		g.months = g.months.fresh()
	}
	g.reset()
	return c
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
