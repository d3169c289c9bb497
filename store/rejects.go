package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// spooled is one rejected row waiting to be written.
type spooled struct {
	Line   int    `json:"l"`
	Col    string `json:"c,omitempty"`
	Reason string `json:"r"`
	Raw    string `json:"w,omitempty"`
	Retry  string `json:"t,omitempty"`
}

// rejectSpool keeps a file's rejects in a temporary file until the rows are
// written (PostgreSQL cannot take other statements during a COPY), so that
// memory stays flat however many rows are bad.
type rejectSpool struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

func (s *rejectSpool) add(r spooled) error {
	if s.f == nil {
		f, err := os.CreateTemp("", "cloudbill-rejects-*.jsonl")
		if err != nil {
			return fmt.Errorf("spool rejects: %w", err)
		}
		os.Remove(f.Name()) // unlinked: gone with the process
		s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
		s.enc = json.NewEncoder(s.w)
	}
	s.n++
	return s.enc.Encode(r)
}

func (s *rejectSpool) reset() error {
	s.n = 0
	if s.f == nil {
		return nil
	}
	s.w.Reset(s.f)
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

func (s *rejectSpool) each(fn func(spooled) error) error {
	if s.n == 0 {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(s.f, 64<<10))
	for {
		var r spooled
		if err := dec.Decode(&r); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read spooled rejects: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

func (s *rejectSpool) close() {
	if s.f != nil {
		s.f.Close()
	}
}

// writeRejects stores the spooled rejects of one file (whose bytes read
// have digest sha), and tells them to in.Rejected: COPY on PostgreSQL, a
// prepared insert on SQLite. Their texts go through cleanText, so that
// both engines store the same and neither refuses them.
func (db *DB) writeRejects(ctx context.Context, tx *sqlx.Tx, in IngestInput, sha string, kind RecordKind, spool *rejectSpool) error {
	if spool.n == 0 {
		return nil
	}
	q := db.pool.Rebind(`INSERT INTO rejects (file, file_sha256, line, col, reason, raw, record_kind, retry_resource, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if db.dialect.copyIn {
		q = `COPY rejects (file, file_sha256, line, col, reason, raw, record_kind, retry_resource, created_at) FROM STDIN`
	}
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	defer stmt.Close()
	now := db.dialect.instant(db.now())
	name := cleanText(in.Name)
	err = spool.each(func(r spooled) error {
		if in.Rejected != nil {
			in.Rejected(metering.Problem{File: in.Name, Line: r.Line, Column: r.Col, Reason: r.Reason, Raw: r.Raw})
		}
		_, err := stmt.ExecContext(ctx, name, sha, r.Line, cleanText(r.Col), cleanText(r.Reason), cleanText(r.Raw), string(kind), cleanText(r.Retry), now)
		return err
	})
	if err == nil && db.dialect.copyIn {
		_, err = stmt.ExecContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return nil
}

// Reject is one rejected metering row (or one of its faults).
type Reject struct {
	ID            int64  `db:"id"`
	File          string `db:"file"`
	Line          int    `db:"line"`
	Column        string `db:"col"`
	Reason        string `db:"reason"`
	Raw           string `db:"raw"`
	Kind          string `db:"record_kind"`
	RetryResource string `db:"retry_resource"`
	Resolved      bool   `db:"resolved"`
}

// Problem renders the reject as file:line: column: reason.
func (r Reject) Problem() metering.Problem {
	return metering.Problem{File: r.File, Line: r.Line, Column: r.Column, Reason: r.Reason, Raw: r.Raw}
}

// RejectFilter selects rejects: unresolved only unless All; File matches
// the name as ingested or its last path element.
type RejectFilter struct {
	All  bool
	File string
}

// Rejects calls fn for each reject matching f, by file and line.
func (db *DB) Rejects(ctx context.Context, f RejectFilter, fn func(Reject) error) error {
	q := `SELECT id, file, line, col, reason, raw, record_kind, retry_resource,
		CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END AS resolved FROM rejects WHERE 1 = 1`
	var args []any
	if !f.All {
		q += ` AND resolved_at IS NULL`
	}
	q += ` ORDER BY file, line, id`
	rows, err := db.pool.QueryxContext(ctx, db.pool.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		var resolved int
		if err := rows.Scan(&r.ID, &r.File, &r.Line, &r.Column, &r.Reason, &r.Raw, &r.Kind, &r.RetryResource, &resolved); err != nil {
			return fmt.Errorf("read rejects: %w", err)
		}
		r.Resolved = resolved == 1
		if file := cleanText(f.File); f.File != "" && r.File != file && !strings.HasSuffix(r.File, "/"+file) {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RetryRejects re-reads every unresolved reject whose only fault was an
// unknown resource that is now known, stores the rows that are now valid
// and marks their rejects resolved, in one transaction. The result counts
// the retried rows like a file (Read = retried, the rest as stored).
func (db *DB) RetryRejects(ctx context.Context, known *metering.Known) (IngestResult, error) {
	return db.session().retryRejects(ctx, known)
}

func (s *session) retryRejects(ctx context.Context, known *metering.Known) (IngestResult, error) {
	db := s.db
	res := IngestResult{File: "(earlier rejects)", Path: "upsert"}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		writers := map[RecordKind]*rowWriter{}
		defer func() {
			for _, w := range writers {
				w.close()
			}
		}()
		months := newMonthBits()
		var last int64
		for {
			var batch []Reject
			if err := tx.SelectContext(ctx, &batch, db.pool.Rebind(`SELECT id, file, line, col, reason, raw, record_kind, retry_resource, 0 AS resolved
				FROM rejects WHERE resolved_at IS NULL AND retry_resource <> '' AND id > ? ORDER BY id LIMIT 5000`), last); err != nil {
				return fmt.Errorf("read retryable rejects: %w", err)
			}
			if len(batch) == 0 {
				return db.flushMonthBits(ctx, tx, months)
			}
			last = batch[len(batch)-1].ID
			for _, r := range batch {
				if _, ok := known.Resources[r.RetryResource]; !ok {
					continue
				}
				sp := specs[RecordKind(r.Kind)]
				if sp == nil {
					continue
				}
				w := writers[sp.kind]
				if w == nil {
					// A retried activity row is not judged idle here: its
					// summary is rebuilt at the next findings refresh.
					m := months
					if sp.kind == RecordActivity {
						m = nil
						if err := db.markIdleStale(ctx, tx); err != nil {
							return err
						}
					}
					var err error
					if w, err = db.newRowWriter(ctx, tx, sp, m); err != nil {
						return err
					}
					writers[sp.kind] = w
				}
				ok, err := db.retryOne(ctx, tx, sp, known, w, r, &res)
				if err != nil {
					return err
				}
				if ok {
					_, err = tx.ExecContext(ctx, db.pool.Rebind(`UPDATE rejects SET resolved_at = ? WHERE id = ?`), db.dialect.instant(db.now()), r.ID)
				} else {
					// Another fault showed up: it needs a corrected file, not a retry.
					_, err = tx.ExecContext(ctx, db.pool.Rebind(`UPDATE rejects SET retry_resource = '' WHERE id = ?`), r.ID)
				}
				if err != nil {
					return fmt.Errorf("mark reject %d: %w", r.ID, err)
				}
			}
		}
	})
	return res, err
}

// retryOne parses a reject's raw text again and stores the row when it is
// now valid.
func (db *DB) retryOne(ctx context.Context, tx *sqlx.Tx, sp *spec, known *metering.Known, w *rowWriter, r Reject, res *IngestResult) (bool, error) {
	text := r.Raw
	if !strings.HasPrefix(text, "{") {
		text = strings.Join(sp.columns, ",") + "\n" + text
	}
	var scratch IngestResult
	spool := &rejectSpool{}
	defer spool.close()
	rd := &reading{in: IngestInput{Name: r.File, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(text)), nil
	}}}
	defer rd.close()
	t, err := rd.open()
	if err != nil {
		return false, nil
	}
	s := db.newScanner(sp, known, rd.in, t, &scratch, spool, nil)
	defer s.close()
	rec, err := s.next()
	if err != nil {
		return false, nil
	}
	res.Read++
	res.NotYetBillable += scratch.NotYetBillable
	rec.first = true
	if err := w.write(ctx, rec, res); err != nil {
		return false, err
	}
	return true, nil
}
