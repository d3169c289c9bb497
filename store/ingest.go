package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// RecordKind names the kind of a nightly metering file.
type RecordKind string

const (
	RecordUsage    RecordKind = "usage"
	RecordActivity RecordKind = "activity"
)

// IngestInput is one metering file to ingest.
type IngestInput struct {
	Name string // as reported in summaries, rejects and the ledger
	// Open returns the file's bytes from the start; it may be called more
	// than once (PostgreSQL retries a failed direct COPY through the
	// staging table). The ledger records the SHA-256 of the bytes parsed,
	// hashed as they are read. When the reader is a Statter (an *os.File
	// is), a file whose size or modification time changes while it is read
	// is refused whole (ErrChangedWhileRead).
	Open func() (io.ReadCloser, error)
	// Progress, when set, is told the rows read so far, now and then.
	Progress func(rows int64)
	// Rejected, when set, is told each rejected row of the file (after the
	// file is read, before its transaction ends): a dry run lists them.
	Rejected func(metering.Problem)
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
	if err := db.pool.SelectContext(ctx, &rs, `SELECT id, kind FROM resources ORDER BY id`); err != nil {
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
	if err := db.pool.SelectContext(ctx, &confirmed, `SELECT resource_id, min(day) AS day FROM events WHERE event = 'confirmed' GROUP BY resource_id`); err != nil {
		return nil, fmt.Errorf("read confirmations: %w", err)
	}
	for _, c := range confirmed {
		if r, ok := k.Resources[c.ID]; ok {
			r.Confirmed = c.Day
			k.Resources[c.ID] = r
		}
	}
	var items []string
	if err := db.pool.SelectContext(ctx, &items, `SELECT DISTINCT item_code FROM catalogue ORDER BY item_code`); err != nil {
		return nil, fmt.Errorf("read catalogue items: %w", err)
	}
	for i, it := range items {
		k.Items[it] = int32(i + 1)
	}
	return k, nil
}

// IngestFile ingests one usage or activity file in one transaction: valid
// rows are upserted, bad rows kept in rejects, the file recorded in the
// ledger under the SHA-256 of the bytes read. A file whose digest is
// already in the ledger changes nothing (AlreadyIngested); that is decided
// at the end of the reading, before the commit, since only then is the
// digest of what was read known. Two processes ingesting the same file
// serialise on it.
//
// A file that cannot be read or stored (FileError) is not applied at all:
// not a metering file, bad compression, changed while it was read, or data
// the database refuses (PostgreSQL's data exceptions).
func (db *DB) IngestFile(ctx context.Context, known *metering.Known, in IngestInput) (IngestResult, error) {
	return db.session().ingestFile(ctx, known, in)
}

// session is where ingestion writes: each file in a transaction of its
// own (tx nil), or each in a savepoint of a dry run's transaction.
type session struct {
	db *DB
	tx *sqlx.Tx
	n  int // savepoints taken
}

func (db *DB) session() *session { return &session{db: db} }

// inTx runs fn in a transaction of its own, or in a savepoint of the dry
// run's, undone when fn fails.
func (s *session) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if s.tx == nil {
		return s.db.inTxDetached(ctx, fn)
	}
	s.n++
	sp := fmt.Sprintf("dry_run_%d", s.n)
	if _, err := s.tx.ExecContext(ctx, `SAVEPOINT `+sp); err != nil {
		return err
	}
	if err := fn(s.tx); err != nil {
		if _, rerr := s.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT `+sp); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to %s: %w", sp, rerr))
		}
		return err
	}
	_, err := s.tx.ExecContext(ctx, `RELEASE SAVEPOINT `+sp)
	return err
}

// querier reads what the session has written so far.
func (s *session) querier() sqlx.QueryerContext {
	if s.tx != nil {
		return s.tx
	}
	return s.db.pool
}

// errAlreadyIngested rolls back a file whose digest turned out to be in
// the ledger.
var errAlreadyIngested = errors.New("already ingested")

func (s *session) ingestFile(ctx context.Context, known *metering.Known, in IngestInput) (IngestResult, error) {
	db := s.db
	res := IngestResult{File: in.Name}
	if sum, err := s.knownDigest(ctx, in); err != nil || sum != "" {
		res.SHA256, res.AlreadyIngested = sum, sum != ""
		return res, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.claimName(ctx, tx, in.Name); err != nil {
			return err
		}
		r := &reading{in: in}
		defer r.close()
		t, err := r.open()
		if err != nil {
			return err
		}
		defer t.Close()
		sp, err := detectKind(in.Name, t)
		if err != nil {
			return err
		}
		res.Kind = sp.kind
		spool := &rejectSpool{}
		defer spool.close()
		months, err := db.newFileBits(ctx, tx, sp.kind)
		if err != nil {
			return err
		}
		if db.dialect.copyIn {
			err = db.ingestPostgres(ctx, tx, sp, known, r, t, &res, spool, months)
		} else {
			err = db.ingestRows(ctx, tx, sp, known, in, t, &res, spool, months)
		}
		if err != nil {
			return err
		}
		if res.SHA256, res.Bytes, err = r.finish(); err != nil {
			return err
		}
		if err := db.flushMonthBits(ctx, tx, months); err != nil {
			return err
		}
		if err := db.writeRejects(ctx, tx, in, res.SHA256, sp.kind, spool); err != nil {
			return err
		}
		done, err := db.claimDigest(ctx, tx, in.Name, res.SHA256)
		if err != nil {
			return err
		}
		if done {
			return errAlreadyIngested
		}
		if err := db.recordFile(ctx, tx, in, sp.kind, &res); err != nil {
			return err
		}
		return db.markRestored(ctx, tx, sp.kind, res.SHA256)
	})
	switch {
	case errors.Is(err, errAlreadyIngested):
		return IngestResult{File: in.Name, SHA256: res.SHA256, Kind: res.Kind, Bytes: res.Bytes, AlreadyIngested: true}, nil
	case isDataException(err):
		// The database refuses what the file holds (PostgreSQL checks
		// every text for UTF-8): the file's problem, not the database's.
		return res, &FileError{fmt.Errorf("%s: the database refused its data, nothing of it stored: %w", in.Name, err)}
	}
	return res, err
}

// knownDigest returns the digest of in when the ledger already has it,
// else "". Hashing a file costs a read of it: it is done only when the
// ledger holds a file of the same size (or the reader cannot tell its
// size). It is a shortcut only: the digest recorded is always that of the
// bytes parsed (ingestFile), and a file that changes under knownDigest is
// simply read again.
func (s *session) knownDigest(ctx context.Context, in IngestInput) (string, error) {
	size, ok, err := sizeOf(in)
	if err != nil {
		return "", err
	}
	q := s.querier()
	if ok {
		var same bool
		if err := sqlx.GetContext(ctx, q, &same, s.db.pool.Rebind(`SELECT EXISTS (SELECT 1 FROM files WHERE bytes = ?)`), size); err != nil {
			return "", fmt.Errorf("read ledger: %w", err)
		}
		if !same {
			return "", nil
		}
	}
	sum, err := digest(in)
	if err != nil || sum == "" {
		return "", err
	}
	var n int
	if err := sqlx.GetContext(ctx, q, &n, s.db.pool.Rebind(`SELECT count(*) FROM files WHERE sha256 = ?`), sum); err != nil {
		return "", fmt.Errorf("read ledger: %w", err)
	}
	if n == 0 {
		return "", nil
	}
	return sum, nil
}
