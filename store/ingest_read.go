package store

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"cloudbill/metering"
)

// FileError means a file cannot be read at all: not a metering file, bad
// compression, an I/O error part-way. Nothing of it was applied.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ErrInjectedFailure is the failure Options.FailAfterRows injects.
var ErrInjectedFailure = errors.New("injected failure")

// detectKind tells usage from activity by the header of t.
func detectKind(name string, t closeTable) (*spec, error) {
	for _, k := range []RecordKind{RecordUsage, RecordActivity} {
		if t.HasColumns(specs[k].columns...) {
			return specs[k], nil
		}
	}
	return nil, &FileError{metering.Problem{File: name, Line: 1, Reason: fmt.Sprintf(
		"not a usage or activity file: columns %s (usage has %s; activity has %s)",
		strings.Join(t.Header(), ", "), strings.Join(metering.UsageColumns, ", "), strings.Join(metering.ActivityColumns, ", "))}}
}

// closeTable is a table read from a reading; closing it leaves the
// reading's file open (reading.close closes it).
type closeTable struct{ *metering.Table }

func (t closeTable) Close() error { return t.Table.Close() }

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
	sp     *spec
	known  *metering.Known
	in     IngestInput
	t      closeTable
	keys   *keySet
	months *monthBits // the summary bits of the rows written as new
	bare   bool       // the caller reads rec.vals only: rec.args stays unset
	res    *IngestResult
	spool  *rejectSpool
	// failAfter, when positive, fails the scan after that many valid
	// rows (Options.FailAfterRows)
	failAfter int64
	days      map[metering.Date]string
	dayText   map[string]metering.Date
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

// newScanner streams the rows of t, a table of in.
func (db *DB) newScanner(sp *spec, known *metering.Known, in IngestInput, t closeTable, res *IngestResult, spool *rejectSpool, months *monthBits) *scanner {
	n := len(sp.keys) + len(sp.vals)
	s := &scanner{sp: sp, known: known, in: in, t: t, keys: newKeySet(known), months: months, res: res, spool: spool, failAfter: db.failAfterRows,
		days: map[metering.Date]string{}, dayText: map[string]metering.Date{}, rec: record{vals: make([]string, n), args: make([]any, n)}}
	s.csvWrite = csv.NewWriter(&s.csvLine)
	return s
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
	if s.failAfter > 0 && s.valid > s.failAfter {
		return false, ErrInjectedFailure
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
