package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"
)

// Engine names a database engine.
type Engine string

const (
	EngineSQLite   Engine = "sqlite"
	EnginePostgres Engine = "postgres"
)

// DB is an open cloudbill database.
type DB struct {
	*sqlx.DB
	Engine Engine
	DSN    string

	now func() time.Time // the clock of ledger, reject and lock timestamps
	log *slog.Logger     // phase timings at debug level; nil for none
	// failAfterRows, when positive, makes ingestion fail after that many
	// valid rows of a file (Options.FailAfterRows).
	failAfterRows int64
	sqlite        sqliteSizes
}

// Options tune an open database; the zero value is what Open uses.
type Options struct {
	// Logger, when set, hears at debug level how long each phase of the
	// settlement (DayGroups) and of RefreshFindings took.
	Logger *slog.Logger
	// FailAfterRows, when positive, makes every ingest fail with
	// ErrInjectedFailure after that many valid rows of a file, for tests
	// proving that nothing of such a file is applied.
	FailAfterRows int64
}

// ParseDSN splits a --db value into engine and driver DSN: "sqlite:PATH",
// a bare path (SQLite), or a postgres:// / postgresql:// URL.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case dsn == "":
		return "", "", errors.New("empty database address")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return EnginePostgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", errors.New("sqlite: needs a path, as in sqlite:cloudbill.db")
		}
		return EngineSQLite, p, nil
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("unsupported database address %q: use sqlite:PATH or postgres://…", dsn)
	}
	return EngineSQLite, dsn, nil
}

// Open opens the database at dsn and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	engine, addr, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var x *sqlx.DB
	switch engine {
	case EngineSQLite:
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "busy_timeout(30000)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
		x, err = sqlx.Open("sqlite", "file:"+addr+"?"+q.Encode())
		if err == nil {
			x.SetMaxOpenConns(4)
		}
	case EnginePostgres:
		x, err = sqlx.Open("postgres", addr)
		if err == nil {
			x.SetMaxOpenConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", engine, err)
	}
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to %s database: %w", engine, err)
	}
	db := &DB{DB: x, Engine: engine, DSN: dsn, now: systemClock, log: opts.Logger, failAfterRows: opts.FailAfterRows, sqlite: defaultSQLiteSizes}
	if err := db.Migrate(ctx); err != nil {
		x.Close()
		return nil, err
	}
	return db, nil
}

// Instant converts t for storage: TIMESTAMPTZ on PostgreSQL, UTC RFC 3339
// text on SQLite (so that text order is time order).
func (db *DB) Instant(t time.Time) any {
	if db.Engine == EnginePostgres {
		return t
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// ScanInstant reads an instant stored by Instant.
func ScanInstant(v any) (time.Time, error) {
	switch v := v.(type) {
	case int64: // microseconds since 1970 (instantMicros on PostgreSQL)
		return time.UnixMicro(v).UTC(), nil
	case time.Time:
		return v, nil
	case string:
		return time.Parse(time.RFC3339Nano, v)
	case []byte:
		return time.Parse(time.RFC3339Nano, string(v))
	case nil:
		return time.Time{}, nil
	}
	return time.Time{}, fmt.Errorf("cannot read %T as an instant", v)
}

// dayNumber selects the date column col as days since 1970-01-01 on
// PostgreSQL, an integer the driver hands over without parsing a time
// (metering.Date scans it); SQLite's text dates stay as they are.
func (db *DB) dayNumber(col string) string {
	if db.Engine == EnginePostgres {
		return "(" + col + " - DATE '1970-01-01')"
	}
	return col
}

// instantMicros selects the instant column col as microseconds since 1970
// on PostgreSQL (ScanInstant reads them); SQLite's text stays as it is.
func (db *DB) instantMicros(col string) string {
	if db.Engine == EnginePostgres {
		return "(extract(epoch FROM " + col + ") * 1000000)::bigint"
	}
	return col
}

// Instant is a time.Time that scans from either engine's representation.
type Instant struct{ time.Time }

func (i *Instant) Scan(v any) error {
	t, err := ScanInstant(v)
	i.Time = t
	return err
}

// InTx runs fn in one transaction, committing only when fn succeeds.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// systemClock is the wall clock in UTC.
func systemClock() time.Time { return time.Now().UTC() }

// phaseTimer returns lap: each call logs at debug level, when db has a
// logger, the time since the previous call (or since phaseTimer) as phase
// of op.
func (db *DB) phaseTimer(op string) func(phase string) {
	if db.log == nil {
		return func(string) {}
	}
	t0 := time.Now()
	return func(phase string) {
		db.log.Debug("phase", slog.String("op", op), slog.String("phase", phase), slog.Duration("took", time.Since(t0)))
		t0 = time.Now()
	}
}

// aloneTimer returns a func that logs at debug level, when db has a
// logger, how long a part of op that ran beside the others took on its own.
func (db *DB) aloneTimer(op string) func(what string, took time.Duration) {
	return func(what string, took time.Duration) {
		if db.log != nil {
			db.log.Debug("alone", slog.String("op", op), slog.String("part", what), slog.Duration("took", took))
		}
	}
}
