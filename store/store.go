package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// Engine and DSN say which database this is; read them, never set
	// them. DSN may hold a password: print RedactDSN(DSN), never DSN.
	Engine Engine
	DSN    string

	pool    *sqlx.DB
	dialect *dialect
	now     func() time.Time // the clock of ledger, reject and lock timestamps
	log     *slog.Logger     // phase timings at debug level; nil for none
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
	// ConnectTimeout bounds how long Open waits for a PostgreSQL server to
	// answer (a server that accepts the connection and says nothing would
	// otherwise hang the command); zero means DefaultConnectTimeout. A
	// connect_timeout in the URL wins. SQLite ignores it.
	ConnectTimeout time.Duration
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
		return "", "", fmt.Errorf("unsupported database address %q: use sqlite:PATH or postgres://…", RedactDSN(dsn))
	}
	return EngineSQLite, dsn, nil
}

// Open opens the database at dsn and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options. No error it returns shows the
// database's password.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db, err := openWith(ctx, dsn, opts)
	return db, redactError(err, dsn)
}

func openWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	engine, addr, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	d := dialectOf(engine)
	timeout := opts.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	if engine == EnginePostgres {
		if addr, timeout, err = withConnectTimeout(addr, timeout); err != nil {
			return nil, fmt.Errorf("database address %s: %w", RedactDSN(dsn), err)
		}
	}
	x, err := sqlx.Open(d.driver, d.source(addr))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", engine, err)
	}
	// Idle connections are kept up to the open limit: a connection closed
	// when it falls idle loses the statements prepared on it (the portal's
	// queries) and, on PostgreSQL, costs a new start-up exchange.
	x.SetMaxOpenConns(d.maxOpenConns)
	x.SetMaxIdleConns(d.maxOpenConns)
	if err := ping(ctx, x, engine, addr, timeout); err != nil {
		x.Close()
		return nil, err
	}
	db := &DB{
		Engine: engine, DSN: dsn,
		pool: x, dialect: d, now: systemClock, log: opts.Logger,
		failAfterRows: opts.FailAfterRows, sqlite: defaultSQLiteSizes,
	}
	if err := db.Migrate(ctx); err != nil {
		x.Close()
		return nil, err
	}
	return db, nil
}

// ping makes the first connection. On PostgreSQL lib/pq's connect_timeout
// bounds the TCP connect and the start-up exchange, and a deadline a
// little later bounds the whole, so that a server that accepts the
// connection and never answers fails with a message naming it.
func ping(ctx context.Context, x *sqlx.DB, engine Engine, addr string, timeout time.Duration) error {
	if engine != EnginePostgres {
		if err := x.PingContext(ctx); err != nil {
			return fmt.Errorf("connect to %s database: %w", engine, err)
		}
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, timeout+time.Second)
	defer cancel()
	err := x.PingContext(pctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && isTimeout(err):
		return &noAnswerError{server: serverAddress(addr), timeout: timeout, err: err}
	}
	return fmt.Errorf("connect to %s database at %s: %w", engine, serverAddress(addr), err)
}

// systemClock is the wall clock in UTC.
func systemClock() time.Time { return time.Now().UTC() }

// Close closes the database.
func (db *DB) Close() error { return db.pool.Close() }

// PingContext checks that the database answers.
func (db *DB) PingContext(ctx context.Context) error { return db.pool.PingContext(ctx) }

// inTx runs fn in one transaction, committing only when fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.pool.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// inTxDetached is inTx for transactions that stream COPY (ingest, load,
// the findings refresh): ctx does not end
// the transaction by itself. database/sql rolls back a transaction whose
// context ends from a goroutine of its own, at once; on PostgreSQL that
// ROLLBACK, sent while a COPY is open on the connection, desynchronises
// lib/pq and waits forever (an interrupted ingest hung). Here the
// statements still run under ctx (cancelled, they fail, fn returns, the
// COPY is ended) and the transaction rolls back on this goroutine; a ctx
// ended before the commit rolls it back too.
func (db *DB) inTxDetached(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.pool.BeginTxx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return tx.Commit()
}

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
