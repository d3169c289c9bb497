package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// RecordKind names the kind of a nightly metering file.
type RecordKind string

const (
	RecordUsage    RecordKind = "usage"
	RecordActivity RecordKind = "activity"
)

// FileError means a file cannot be read at all: not a metering file, bad
// compression, an I/O error part-way. Nothing of it was applied.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// errInjected is the failure injected by tests through failAfterRows.
var errInjected = errors.New("injected failure")

// failAfterRows, when positive, makes ingestion fail after that many valid
// rows of a file have been written (tests prove nothing is then applied).
var failAfterRows int64

// InjectFailureAfterRows makes every ingest fail after n valid rows of a
// file, for tests of crash safety; the returned func restores normal work.
func InjectFailureAfterRows(n int64) (restore func()) {
	old := failAfterRows
	failAfterRows = n
	return func() { failAfterRows = old }
}

// IngestInput is one metering file to ingest.
type IngestInput struct {
	Name   string // as reported in summaries, rejects and the ledger
	SHA256 string // hex digest of the file's bytes
	// Open returns the file's bytes from the start; it may be called twice
	// (PostgreSQL retries a failed direct COPY through the staging table).
	Open func() (io.ReadCloser, error)
	// Progress, when set, is told the rows read so far, now and then.
	Progress func(rows int64)
}

// Replacement is a stored value that a file changed.
type Replacement struct {
	ResourceID, ItemCode, Day string
	Old, New                  string // value columns joined with ","
}

// maxReplacements bounds how many replacements a result lists (all are counted).
const maxReplacements = 100

// IngestResult says what one file did. Read = Accepted + Replaced +
// Unchanged + Duplicates + Rejected; NotYetBillable counts the valid rows
// (each key once) dated before their resource's confirmation or for a
// resource never confirmed.
type IngestResult struct {
	File            string
	SHA256          string
	Kind            RecordKind
	AlreadyIngested bool
	Read            int64 // data rows read
	Accepted        int64 // new keys stored
	Replaced        int64 // existing keys given a different value
	Unchanged       int64 // existing keys with the same value
	Duplicates      int64 // rows repeating a key seen earlier in the file (the last value wins)
	Rejected        int64 // rows kept in rejects
	NotYetBillable  int64
	Replacements    []Replacement // the first maxReplacements
	Path            string        // how it was written: "copy", "staging", "staging+dedupe", "upsert"
}

func (r *IngestResult) reset() {
	*r = IngestResult{File: r.File, SHA256: r.SHA256, Kind: r.Kind}
}

func (r *IngestResult) replaced(rp Replacement) {
	r.Replaced++
	if len(r.Replacements) < maxReplacements {
		r.Replacements = append(r.Replacements, rp)
	}
}

// spec describes the table a record kind lands in.
type spec struct {
	kind    RecordKind
	table   string
	keys    []string // resource_id first, day last
	vals    []string
	columns []string // the file's columns
	staging string   // PostgreSQL staging table DDL
}

var specs = map[RecordKind]*spec{
	RecordUsage: {
		kind: RecordUsage, table: "usage",
		keys: []string{"resource_id", "item_code", "day"}, vals: []string{"quantity"},
		columns: metering.UsageColumns,
		staging: `CREATE TEMP TABLE IF NOT EXISTS ingest_usage (
			resource_id TEXT NOT NULL, item_code TEXT NOT NULL, day DATE NOT NULL,
			quantity NUMERIC NOT NULL, line BIGINT NOT NULL) ON COMMIT DELETE ROWS`,
	},
	RecordActivity: {
		kind: RecordActivity, table: "activity",
		keys:    []string{"resource_id", "day"},
		vals:    []string{"cpu_avg_pct", "cpu_max_pct", "mem_avg_pct", "disk_used_pct", "net_in_bytes", "net_out_bytes"},
		columns: metering.ActivityColumns,
		staging: `CREATE TEMP TABLE IF NOT EXISTS ingest_activity (
			resource_id TEXT NOT NULL, day DATE NOT NULL,
			cpu_avg_pct NUMERIC NOT NULL, cpu_max_pct NUMERIC NOT NULL, mem_avg_pct NUMERIC NOT NULL,
			disk_used_pct NUMERIC NOT NULL, net_in_bytes BIGINT NOT NULL, net_out_bytes BIGINT NOT NULL,
			line BIGINT NOT NULL) ON COMMIT DELETE ROWS`,
	},
}

func (sp *spec) cols() []string { return append(append([]string{}, sp.keys...), sp.vals...) }

func (sp *spec) replacement(vals []string, old string) Replacement {
	rp := Replacement{ResourceID: vals[0], Day: vals[len(sp.keys)-1], Old: old, New: strings.Join(vals[len(sp.keys):], ",")}
	if len(sp.keys) == 3 {
		rp.ItemCode = vals[1]
	}
	return rp
}

// LoadKnown reads what ingestion validates against: every resource with
// its first confirmation day, and every catalogue item code.
func (db *DB) LoadKnown(ctx context.Context) (*metering.Known, error) {
	k := &metering.Known{Resources: map[string]metering.KnownResource{}, Items: map[string]int32{}}
	var rs []struct {
		ID   string        `db:"id"`
		Kind metering.Kind `db:"kind"`
	}
	if err := db.SelectContext(ctx, &rs, `SELECT id, kind FROM resources ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	for i, r := range rs {
		f, _ := r.Kind.Family()
		k.Resources[r.ID] = metering.KnownResource{Index: int32(i + 1), Confirmed: metering.NeverConfirmed, Family: f}
	}
	var confirmed []struct {
		ID  string        `db:"resource_id"`
		Day metering.Date `db:"day"`
	}
	if err := db.SelectContext(ctx, &confirmed, `SELECT resource_id, min(day) AS day FROM events WHERE event = 'confirmed' GROUP BY resource_id`); err != nil {
		return nil, fmt.Errorf("read confirmations: %w", err)
	}
	for _, c := range confirmed {
		if r, ok := k.Resources[c.ID]; ok {
			r.Confirmed = c.Day
			k.Resources[c.ID] = r
		}
	}
	var items []string
	if err := db.SelectContext(ctx, &items, `SELECT DISTINCT item_code FROM catalogue ORDER BY item_code`); err != nil {
		return nil, fmt.Errorf("read catalogue items: %w", err)
	}
	for i, it := range items {
		k.Items[it] = int32(i + 1)
	}
	return k, nil
}

// FileIngested reports whether a file with this SHA-256 is in the ledger.
func (db *DB) FileIngested(ctx context.Context, sha string) (bool, error) {
	var n int
	err := db.GetContext(ctx, &n, db.Rebind(`SELECT count(*) FROM files WHERE sha256 = ?`), sha)
	return n > 0, err
}

// IngestFile ingests one usage or activity file in one transaction: valid
// rows are upserted, bad rows kept in rejects, the file recorded in the
// ledger. A file whose SHA-256 is already in the ledger changes nothing
// (AlreadyIngested). Two processes ingesting the same file serialise on it
// and the second finds it in the ledger.
func (db *DB) IngestFile(ctx context.Context, known *metering.Known, in IngestInput) (IngestResult, error) {
	res := IngestResult{File: in.Name, SHA256: in.SHA256}
	sp, err := detectKind(in)
	if err != nil {
		return res, err
	}
	res.Kind = sp.kind
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if db.Engine == EnginePostgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, shaLockKey(in.SHA256)); err != nil {
				return fmt.Errorf("claim %s: %w", in.Name, err)
			}
		}
		var n int
		if err := tx.GetContext(ctx, &n, db.Rebind(`SELECT count(*) FROM files WHERE sha256 = ?`), in.SHA256); err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		if n > 0 {
			res.AlreadyIngested = true
			return nil
		}
		spool := &rejectSpool{}
		defer spool.close()
		months, err := db.newFileBits(ctx, tx, sp.kind)
		if err != nil {
			return err
		}
		if db.Engine == EnginePostgres {
			err = db.ingestPostgres(ctx, tx, sp, known, in, &res, spool, months)
		} else {
			err = db.ingestRows(ctx, tx, sp, known, in, &res, spool, months)
		}
		if err != nil {
			return err
		}
		if err := db.flushMonthBits(ctx, tx, months); err != nil {
			return err
		}
		if err := db.writeRejects(ctx, tx, in, sp.kind, spool); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO files (sha256, name, kind, rows_read, accepted, replaced, unchanged, rejected, not_billable, processed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), in.SHA256, in.Name, string(sp.kind), res.Read, res.Accepted, res.Replaced, res.Unchanged, res.Rejected, res.NotYetBillable, db.Instant(nowUTC()))
		if err != nil {
			return fmt.Errorf("record %s in the ledger: %w", in.Name, err)
		}
		return nil
	})
	return res, err
}

// shaLockKey turns a file digest into a PostgreSQL advisory lock key.
func shaLockKey(sha string) int64 {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) < 8 {
		b = append([]byte(sha), make([]byte, 8)...)
	}
	return int64(binary.BigEndian.Uint64(b[:8]))
}

// detectKind opens the file and tells usage from activity by its header.
func detectKind(in IngestInput) (*spec, error) {
	t, err := openTable(in)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	for _, k := range []RecordKind{RecordUsage, RecordActivity} {
		if t.HasColumns(specs[k].columns...) {
			return specs[k], nil
		}
	}
	return nil, &FileError{metering.Problem{File: in.Name, Line: 1, Reason: fmt.Sprintf(
		"not a usage or activity file: columns %s (usage has %s; activity has %s)",
		strings.Join(t.Header(), ", "), strings.Join(metering.UsageColumns, ", "), strings.Join(metering.ActivityColumns, ", "))}}
}

type closeTable struct {
	*metering.Table
	rc io.ReadCloser
}

func (t closeTable) Close() error {
	t.Table.Close()
	return t.rc.Close()
}

func openTable(in IngestInput) (closeTable, error) {
	rc, err := in.Open()
	if err != nil {
		return closeTable{}, &FileError{metering.Problem{File: in.Name, Reason: err.Error()}}
	}
	t, err := metering.NewTable(in.Name, rc)
	if err != nil {
		rc.Close()
		var p metering.Problem
		if errors.As(err, &p) {
			return closeTable{}, &FileError{p}
		}
		return closeTable{}, &FileError{metering.Problem{File: in.Name, Reason: err.Error()}}
	}
	return closeTable{t, rc}, nil
}

// record is one valid row, its values as text in spec.cols() order.
type record struct {
	vals  []string
	args  []any
	first bool // the first row of the file with this key
	line  int
	order uint64 // sorts like the table's primary key
	day   metering.Date
	idle  bool // activity: an idle day by the thresholds of the idle summary
	// the resource's and item's numbers (metering.Known)
	resIdx, itemIdx int32
}

// scanner streams the valid rows of one file, spooling rejects.
type scanner struct {
	sp      *spec
	known   *metering.Known
	in      IngestInput
	t       closeTable
	keys    *keySet
	months  *monthBits // the summary bits of the rows written as new
	bare    bool       // the caller reads rec.vals only: rec.args stays unset
	res     *IngestResult
	spool   *rejectSpool
	days    map[metering.Date]string
	dayText map[string]metering.Date
	// the last day and resource fastUsage looked up
	lastDayText, lastResID string
	lastDay                metering.Date
	lastRes                metering.KnownResource
	valid                  int64
	lastBad                int
	rec                    record
	csvLine                strings.Builder
	csvWrite               *csv.Writer
}

func newScanner(sp *spec, known *metering.Known, in IngestInput, res *IngestResult, spool *rejectSpool, months *monthBits) (*scanner, error) {
	t, err := openTable(in)
	if err != nil {
		return nil, err
	}
	n := len(sp.keys) + len(sp.vals)
	s := &scanner{sp: sp, known: known, in: in, t: t, keys: newKeySet(known), months: months, res: res, spool: spool,
		days: map[metering.Date]string{}, dayText: map[string]metering.Date{}, rec: record{vals: make([]string, n), args: make([]any, n)}}
	s.csvWrite = csv.NewWriter(&s.csvLine)
	return s, nil
}

func (s *scanner) close() { s.t.Close() }

// next returns the next valid row, or io.EOF.
func (s *scanner) next() (*record, error) {
	for {
		row, err := s.t.Next()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			var p metering.Problem
			// A row-level problem moves forward through the file; the same
			// line failing again means the stream itself is broken.
			if errors.As(err, &p) && p.Line > s.lastBad {
				s.lastBad = p.Line
				s.count()
				s.res.Rejected++
				if err := s.spool.add(spooled{Line: p.Line, Col: p.Column, Reason: p.Reason, Raw: p.Raw}); err != nil {
					return nil, err
				}
				continue
			}
			return nil, &FileError{err}
		}
		s.count()
		if ok, err := s.check(row); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		return &s.rec, nil
	}
}

func (s *scanner) count() {
	s.res.Read++
	if s.in.Progress != nil && s.res.Read%65536 == 0 {
		s.in.Progress(s.res.Read)
	}
}

func (s *scanner) day(d metering.Date) string {
	t, ok := s.days[d]
	if !ok {
		t = d.String()
		s.days[d] = t
	}
	return t
}

// check validates row into s.rec; false means it was rejected.
func (s *scanner) check(row *metering.Row) (bool, error) {
	var (
		ps    []metering.Problem
		retry string
		res   metering.KnownResource
		key   uint64
		day   metering.Date
		item  int32
	)
	v := s.rec.vals
	switch {
	case s.sp.kind == RecordUsage && s.fastUsage(row, &res, &day, &item):
		key = s.keys.key(day, item, res.Index)
	case s.sp.kind == RecordUsage:
		var c metering.CheckedUsage
		c, ps, retry = s.known.CheckUsage(row)
		if len(ps) == 0 {
			res, day = c.Resource, c.Day
			item = c.Item
			key = s.keys.key(c.Day, c.Item, c.Resource.Index)
			v[0], v[1], v[2], v[3] = c.ResourceID, c.ItemCode, s.day(c.Day), Dec(c.Quantity)
		}
	case s.sp.kind == RecordActivity:
		var c metering.CheckedActivity
		c, ps, retry = s.known.CheckActivity(row)
		if len(ps) == 0 {
			res, day = c.Resource, c.Day
			key = s.keys.key(c.Day, 0, c.Resource.Index)
			v[0], v[1] = c.ResourceID, s.day(c.Day)
			v[2], v[3], v[4], v[5] = Dec(c.CPUAvgPct), Dec(c.CPUMaxPct), Dec(c.MemAvgPct), Dec(c.DiskUsedPct)
			v[6], v[7] = strconv.FormatInt(c.NetInBytes, 10), strconv.FormatInt(c.NetOutBytes, 10)
			s.rec.idle = s.months != nil && s.months.idle != nil &&
				s.months.idle.IdleDay(c.Resource.Family, c.CPUAvgPct, c.CPUMaxPct, c.DiskUsedPct, c.NetInBytes+c.NetOutBytes)
		}
	}
	if len(ps) > 0 {
		s.res.Rejected++
		raw := ps[0].Raw
		if retry != "" {
			raw = s.canonical(row)
		}
		for _, p := range ps {
			if err := s.spool.add(spooled{Line: p.Line, Col: p.Column, Reason: p.Reason, Raw: raw, Retry: retry}); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	s.valid++
	if failAfterRows > 0 && s.valid > failAfterRows {
		return false, errInjected
	}
	s.rec.first = s.keys.add(key)
	s.rec.line = row.Line
	s.rec.day = day
	s.rec.resIdx, s.rec.itemIdx = res.Index, item
	// The primary-key order, (day, resource, item); 4,096 items at most.
	s.rec.order = uint64(int64(day)+dayOffset)<<44 | uint64(uint32(res.Index))<<12 | uint64(item&0xfff)
	if s.rec.first && !res.Billable(day) {
		s.res.NotYetBillable++
	}
	if !s.bare {
		for i := range v {
			s.rec.args[i] = v[i]
		}
	}
	return true, nil
}

// fastUsage accepts the common, plainly valid usage row without decimal
// arithmetic: a day seen before, known resource and item without spaces
// around them, a quantity of plain digits already in canonical form. Any
// other row goes through metering.Known.CheckUsage, which has the final say.
func (s *scanner) fastUsage(row *metering.Row, res *metering.KnownResource, day *metering.Date, item *int32) bool {
	ds, rs, is, qs := row.Get("day"), row.Get("resource_id"), row.Get("item_code"), row.Get("quantity")
	// Files come in day order, a resource's items one after the other: the
	// last day and resource looked up are the likely ones.
	d, ok := s.lastDay, ds != "" && ds == s.lastDayText
	if !ok {
		if d, ok = s.dayText[ds]; !ok {
			if len(ds) != 10 {
				return false
			}
			var err error
			if d, err = metering.ParseDate(ds); err != nil {
				return false
			}
			s.dayText[ds] = d
		}
		s.lastDayText, s.lastDay = ds, d
	}
	if !plainDecimal(qs) {
		return false
	}
	r, ok := s.lastRes, rs == s.lastResID && rs != ""
	if !ok {
		if r, ok = s.known.Resources[rs]; !ok {
			return false
		}
		s.lastResID, s.lastRes = rs, r
	}
	it, ok := s.known.Items[is]
	if !ok {
		return false
	}
	*res, *day, *item = r, d, it
	v := s.rec.vals
	v[0], v[1], v[2], v[3] = rs, is, ds, qs
	return true
}

// plainDecimal reports whether q is digits with an optional fraction and
// no superfluous leading zero: then it is ≥ 0 and already what Dec writes.
func plainDecimal(q string) bool {
	if q == "" || q[0] == '.' || q[len(q)-1] == '.' || (len(q) > 1 && q[0] == '0' && q[1] != '.') {
		return false
	}
	dot := false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return true
}

// canonical renders a row so that it can be parsed again on its own: the
// JSON line as read, or a CSV line in the canonical column order.
func (s *scanner) canonical(row *metering.Row) string {
	if s.t.Format == metering.FormatJSONLines {
		return row.Raw()
	}
	s.csvLine.Reset()
	fields := make([]string, len(s.sp.columns))
	for i, c := range s.sp.columns {
		fields[i] = row.Get(c)
	}
	s.csvWrite.Write(fields)
	s.csvWrite.Flush()
	return strings.TrimRight(s.csvLine.String(), "\r\n")
}

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
		st, err = tx.PrepareContext(ctx, db.Rebind(q))
		return st
	}
	castVals := make([]string, len(sp.vals))
	for i, v := range sp.vals {
		castVals[i] = v
		if db.Engine == EnginePostgres {
			castVals[i] = v + "::text"
		}
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

// ingestPostgres streams a file through COPY. When the first row's key is
// not stored yet, it first tries a direct COPY into the target table inside
// a savepoint: a nightly file of new rows then costs what COPY costs. A key
// that exists, or a key repeated in the file, rolls the savepoint back and
// the file goes again through the staging table and one INSERT … SELECT …
// ON CONFLICT DO UPDATE … WHERE the value differs.
func (db *DB) ingestPostgres(ctx context.Context, tx *sqlx.Tx, sp *spec, known *metering.Known, in IngestInput, res *IngestResult, spool *rejectSpool, months *monthBits) error {
	s, err := newScanner(sp, known, in, res, spool, months)
	if err != nil {
		return err
	}
	defer func() { s.close() }()
	first, err := s.next()
	if err == io.EOF {
		res.Path = "copy"
		return nil
	}
	if err != nil {
		return err
	}
	var where []string
	for _, k := range sp.keys {
		where = append(where, k+" = ?")
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, db.Rebind(fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE %s)`, sp.table, strings.Join(where, " AND "))), first.args[:len(sp.keys)]...); err != nil {
		return fmt.Errorf("probe %s: %w", sp.table, err)
	}
	if !exists {
		ok, err := db.copyDirect(ctx, tx, sp, s, first)
		if err != nil || ok {
			return err
		}
		// Start again through the staging table.
		s.close()
		res.reset()
		months.reset()
		if err := spool.reset(); err != nil {
			return err
		}
		if s, err = newScanner(sp, known, in, res, spool, nil); err != nil {
			return err
		}
		if first, err = s.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return db.copyStaged(ctx, tx, sp, s, first)
}

// copyDirect copies the file straight into the target table; false means
// a key already exists or repeats, and nothing was written.
func (db *DB) copyDirect(ctx context.Context, tx *sqlx.Tx, sp *spec, s *scanner, first *record) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT ingest_direct`); err != nil {
		return false, err
	}
	rollback := func() (bool, error) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT ingest_direct`); err != nil {
			return false, fmt.Errorf("roll back direct copy: %w", err)
		}
		return false, nil
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s) FROM STDIN`, sp.table, strings.Join(sp.cols(), ", ")))
	if err != nil {
		return false, fmt.Errorf("copy into %s: %w", sp.table, err)
	}
	defer stmt.Close()
	// Rows go to COPY in chunks sorted by key: the primary-key index then
	// takes neighbouring inserts together instead of jumping across it for
	// every row of a file that is in day order (3.5× faster at 5 M rows).
	// Reading, checking and sorting a chunk runs beside the COPY of the
	// one before: two cores instead of one.
	type chunkOf struct {
		rows []sortedRow
		args []any // ncol a row, in file order
		dup  bool  // a key repeats within the file
		err  error // the file cannot be read on
	}
	ncol := len(sp.keys) + len(sp.vals)
	boxes := newBoxer(sp)
	s.bare = true
	work, stop := produce(func(put func(chunkOf) bool) {
		send := func(c chunkOf) bool {
			slices.SortFunc(c.rows, func(a, b sortedRow) int { return cmp.Compare(a.order, b.order) })
			return put(c)
		}
		fresh := func() chunkOf {
			return chunkOf{rows: make([]sortedRow, 0, copyChunkRows), args: make([]any, 0, copyChunkRows*ncol)}
		}
		chunk := fresh()
		for rec := first; ; {
			if !rec.first {
				send(chunkOf{dup: true})
				return
			}
			chunk.rows = append(chunk.rows, sortedRow{order: rec.order, at: int32(len(chunk.rows))})
			for i, v := range rec.vals {
				chunk.args = append(chunk.args, boxes.box(i, v, rec.resIdx, rec.itemIdx, rec.day))
			}
			s.months.addRecord(rec)
			if len(chunk.rows) == copyChunkRows {
				if !send(chunk) {
					return
				}
				chunk = fresh()
			}
			var err error
			if rec, err = s.next(); err != nil {
				if err == io.EOF {
					send(chunk)
				} else {
					send(chunkOf{err: err})
				}
				return
			}
		}
	})
	defer stop()
	var copyErr, readErr error
	dup := false
	for c := range work {
		if c.err != nil {
			readErr = c.err
			break
		}
		if c.dup {
			dup = true
			break
		}
		for _, r := range c.rows {
			if _, copyErr = stmt.ExecContext(ctx, c.args[int(r.at)*ncol:int(r.at+1)*ncol]...); copyErr != nil {
				break
			}
		}
		if copyErr != nil {
			break
		}
	}
	if readErr != nil {
		return false, readErr
	}
	// End the COPY in every case, so that the connection is out of copy mode
	// before the savepoint is released or rolled back.
	if _, err := stmt.ExecContext(ctx); copyErr == nil {
		copyErr = err
	}
	stmt.Close()
	if copyErr != nil {
		if isUniqueViolation(copyErr) {
			return rollback()
		}
		return false, fmt.Errorf("copy into %s: %w", sp.table, copyErr)
	}
	if dup {
		return rollback()
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT ingest_direct`); err != nil {
		return false, err
	}
	s.res.Accepted = int64(s.keys.n)
	s.res.Path = "copy"
	return true, nil
}

// produce runs fill in a goroutine, which hands values over with put
// until fill returns or put reports false (stop was called: the consumer
// gave up). The channel closes when fill returns; stop waits for it.
func produce[T any](fill func(put func(T) bool)) (<-chan T, func()) {
	work := make(chan T)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(work)
		fill(func(v T) bool {
			select {
			case work <- v:
				return true
			case <-quit:
				return false
			}
		})
	}()
	var once sync.Once
	return work, func() { once.Do(func() { close(quit) }); wg.Wait() }
}

// copyChunkRows is how many rows the direct COPY sorts at a time (about
// 10 MB of memory; two or three chunks are in flight).
const copyChunkRows = 1 << 16

// sortedRow is a row of a chunk: its place in the primary-key order and
// in the chunk.
type sortedRow struct {
	order uint64
	at    int32
}

func isUniqueViolation(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23505"
}

// copyStaged copies the file into the staging table, then merges it.
func (db *DB) copyStaged(ctx context.Context, tx *sqlx.Tx, sp *spec, s *scanner, first *record) error {
	if _, err := tx.ExecContext(ctx, sp.staging); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	stage := "ingest_" + sp.table
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s, line) FROM STDIN`, stage, strings.Join(sp.cols(), ", ")))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", stage, err)
	}
	defer stmt.Close()
	args := make([]any, len(first.args)+1)
	var rows int64
	for rec := first; ; {
		copy(args, rec.args)
		args[len(rec.args)] = int64(rec.line)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("copy into %s: %w", stage, err)
		}
		rows++
		if rec, err = s.next(); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", stage, err)
	}
	if sp.kind == RecordActivity {
		// Which staged rows are new is known only inside the merge: the
		// idle summary is rebuilt at the next findings refresh instead.
		if err := db.markIdleStale(ctx, tx); err != nil {
			return err
		}
	}
	distinct := int64(s.keys.n)
	dedupe := rows != distinct
	res := s.res
	res.Duplicates = rows - distinct
	keys := strings.Join(sp.keys, ", ")
	cols := strings.Join(sp.cols(), ", ")
	source := fmt.Sprintf(`SELECT %s FROM %s`, cols, stage)
	res.Path = "staging"
	if dedupe {
		res.Path = "staging+dedupe"
		// Each key counts once, as its first row in the file compares with
		// what was stored; the last row's value is what gets stored.
		firstRows := fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM %s ORDER BY %s, line`, keys, cols, stage, keys)
		var join, differs []string
		for _, k := range sp.keys {
			join = append(join, fmt.Sprintf("t.%s = f.%s", k, k))
		}
		for _, v := range sp.vals {
			differs = append(differs, fmt.Sprintf("t.%s IS DISTINCT FROM f.%s", v, v))
		}
		var c struct {
			New     int64 `db:"new"`
			Changed int64 `db:"changed"`
		}
		q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE t.resource_id IS NULL) AS new,
			count(*) FILTER (WHERE t.resource_id IS NOT NULL AND (%s)) AS changed
			FROM (%s) f LEFT JOIN %s t ON %s`, strings.Join(differs, " OR "), firstRows, sp.table, strings.Join(join, " AND "))
		if err := tx.GetContext(ctx, &c, q); err != nil {
			return fmt.Errorf("compare %s: %w", stage, err)
		}
		res.Accepted, res.Replaced, res.Unchanged = c.New, c.Changed, distinct-c.New-c.Changed
		source = fmt.Sprintf(`SELECT DISTINCT ON (%s) %s FROM %s ORDER BY %s, line DESC`, keys, cols, stage, keys)
	}
	var set, differs, okey, newVals, oldVals []string
	for _, v := range sp.vals {
		set = append(set, fmt.Sprintf("%s = excluded.%s", v, v))
		differs = append(differs, fmt.Sprintf("t.%s IS DISTINCT FROM excluded.%s", v, v))
		newVals = append(newVals, "t."+v+"::text")
		oldVals = append(oldVals, "o."+v+"::text")
	}
	for _, k := range sp.keys {
		okey = append(okey, fmt.Sprintf("o.%s = t.%s", k, k))
	}
	// Skip unchanged rows before the INSERT: ON CONFLICT … WHERE false would
	// still lock (and so write) every row it leaves alone. The staging table
	// is small next to the target: probe the target's key index per row.
	var sCols, uJoin, uDiff []string
	for _, c := range sp.cols() {
		sCols = append(sCols, "s."+c)
	}
	for _, k := range sp.keys {
		uJoin = append(uJoin, fmt.Sprintf("u.%s = s.%s", k, k))
	}
	for _, v := range sp.vals {
		uDiff = append(uDiff, fmt.Sprintf("u.%s IS DISTINCT FROM s.%s", v, v))
	}
	source = fmt.Sprintf(`SELECT %s FROM (%s) s LEFT JOIN %s u ON %s WHERE u.resource_id IS NULL OR %s`,
		strings.Join(sCols, ", "), source, sp.table, strings.Join(uJoin, " AND "), strings.Join(uDiff, " OR "))
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
		return err
	}
	item := "''"
	if len(sp.keys) == 3 {
		item = "t.item_code"
	}
	// The subquery in RETURNING reads the statement's snapshot: the value
	// before this statement replaced it.
	// Usage: the bits of inserted rows go into usage_months here; those
	// of replaced rows move through the table's UPDATE trigger.
	rawCols, months := "", ""
	if sp.kind == RecordUsage {
		rawCols = ", t.day AS d, t.quantity AS q"
		months = `, months AS (
		INSERT INTO usage_months AS m (resource_id, item_code, month, quantity, days)
		SELECT resource_id, item_code, date_trunc('month', d)::date, q, bit_or(1 << (extract(day FROM d)::int - 1))
		FROM up WHERE ins GROUP BY 1, 2, 3, 4
		ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days)`
	}
	merge := fmt.Sprintf(`WITH up AS (
		INSERT INTO %[1]s AS t (%[2]s) %[3]s
		ON CONFLICT (%[4]s) DO UPDATE SET %[5]s WHERE %[6]s
		RETURNING xmax = 0 AS ins, t.resource_id, %[7]s AS item_code, t.day::text AS day,
			concat_ws(',', %[8]s) AS new,
			CASE WHEN xmax <> 0 THEN (SELECT concat_ws(',', %[9]s) FROM %[1]s o WHERE %[10]s) END AS old%[12]s)%[13]s
		SELECT 'n' AS tag, count(*) FILTER (WHERE ins) AS inserted, count(*) FILTER (WHERE NOT ins) AS changed,
			'' AS resource_id, '' AS item_code, '' AS day, '' AS new, '' AS old FROM up
		UNION ALL
		(SELECT 'r', 0, 0, resource_id, item_code, day, new, coalesce(old, '') FROM up WHERE NOT ins LIMIT %[11]d)`,
		sp.table, cols, source, keys, strings.Join(set, ", "), strings.Join(differs, " OR "),
		item, strings.Join(newVals, ", "), strings.Join(oldVals, ", "), strings.Join(okey, " AND "), maxReplacements, rawCols, months)
	rows2, err := tx.QueryxContext(ctx, merge)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", sp.table, err)
	}
	defer rows2.Close()
	var replacements []Replacement
	var inserted, changed int64
	for rows2.Next() {
		var r struct {
			Tag      string `db:"tag"`
			Inserted int64  `db:"inserted"`
			Changed  int64  `db:"changed"`
			Res      string `db:"resource_id"`
			Item     string `db:"item_code"`
			Day      string `db:"day"`
			New      string `db:"new"`
			Old      string `db:"old"`
		}
		if err := rows2.Scan(&r.Tag, &r.Inserted, &r.Changed, &r.Res, &r.Item, &r.Day, &r.New, &r.Old); err != nil {
			return fmt.Errorf("merge into %s: %w", sp.table, err)
		}
		if r.Tag == "n" {
			inserted, changed = r.Inserted, r.Changed
			continue
		}
		replacements = append(replacements, Replacement{ResourceID: r.Res, ItemCode: r.Item, Day: r.Day, Old: r.Old, New: r.New})
	}
	if err := rows2.Err(); err != nil {
		return fmt.Errorf("merge into %s: %w", sp.table, err)
	}
	if !dedupe {
		res.Accepted, res.Replaced, res.Unchanged = inserted, changed, distinct-inserted-changed
	}
	res.Replacements = replacements
	return nil
}
