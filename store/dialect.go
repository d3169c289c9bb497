package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
)

// dialect is what differs between the engines, chosen once in Open: how
// to connect, SQL fragments and conversions, and what PostgreSQL offers
// that SQLite lacks. Code elsewhere asks the dialect, never the engine.
type dialect struct {
	driver       string                   // database/sql driver name
	source       func(addr string) string // the driver's data source for ParseDSN's address
	maxOpenConns int
	migrations   string // folder of the embedded migrations

	// What PostgreSQL offers and SQLite lacks, each used where it pays.
	//
	// copyIn: bulk rows stream through COPY … FROM STDIN (lib/pq), which
	// takes dates as text. Without it they go in multi-row INSERTs.
	copyIn bool
	// snapshot begins a transaction whose reads all see one snapshot
	// (REPEATABLE READ on PostgreSQL; SQLite's write transactions run alone).
	snapshot *sql.TxOptions
	// advisory: advisory locks serialise migrations, files and statement
	// years (lockTx) and hold TryLock's named locks. Without them every
	// write transaction begins IMMEDIATE (one writer at a time) and a
	// named lock is a leased row of locks.
	advisory bool
	// arrays: array parameters (pq.Array) that unnest into rows.
	arrays bool
	// numeric: decimals are NUMERIC and SQL compares them as numbers;
	// SQLite keeps them as TEXT, where < compares strings.
	numeric bool
	// issueFunction: a statement is issued by the database function
	// issue_statement (migration 0018), which checks the version's rows
	// against its fingerprint and runs as the owner; without it the store
	// issues with an UPDATE of its own.
	issueFunction bool

	// isDistinct is the NULL-safe inequality: a <isDistinct> b.
	isDistinct string
	// asText follows a value column to read it back as text.
	asText string
	// forShare and forUpdate follow a SELECT to lock the rows it reads
	// until the transaction ends.
	forShare, forUpdate string

	// dayNumber selects the date column col as days since 1970-01-01 on
	// PostgreSQL, an integer the driver hands over without parsing a time
	// (metering.Date scans it); SQLite's text dates stay as they are.
	dayNumber func(col string) string
	// instantMicros selects the instant column col as microseconds since
	// 1970 on PostgreSQL (ScanInstant reads them); SQLite's text stays as
	// it is.
	instantMicros func(col string) string
	// instant converts t for storage: TIMESTAMPTZ on PostgreSQL, UTC
	// RFC 3339 text on SQLite (so that text order is time order).
	instant func(t time.Time) any
	// monthOf selects the first day of the month of the date column col;
	// dayBits ORs together, in a GROUP BY, the bits of the days of col in
	// their month (bit 0 for the 1st), as in usage_months.
	monthOf, dayBits func(col string) string
}

var sqliteDialect = dialect{
	driver: "sqlite",
	source: func(addr string) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		// REPLACE then fires the delete triggers of the rows it replaces
		// (those of an issued statement refuse it).
		q.Add("_pragma", "recursive_triggers(1)")
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMillis))
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
		return "file:" + addr + "?" + q.Encode()
	},
	maxOpenConns:  4,
	migrations:    "migrations/sqlite",
	isDistinct:    "IS NOT",
	dayNumber:     func(col string) string { return col },
	instantMicros: func(col string) string { return col },
	instant: func(t time.Time) any {
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
	},
	monthOf: func(col string) string { return "substr(" + col + ", 1, 8) || '01'" },
	// A (resource, item, quantity) has each day once: the sum is the OR.
	dayBits: func(col string) string { return "sum(1 << (CAST(substr(" + col + ", 9, 2) AS INTEGER) - 1))" },
}

var postgresDialect = dialect{
	driver:       "postgres",
	source:       func(addr string) string { return addr },
	maxOpenConns: 8,
	migrations:   "migrations/postgres",
	copyIn:       true,
	snapshot:     &sql.TxOptions{Isolation: sql.LevelRepeatableRead},
	advisory:     true,
	arrays:       true,
	numeric:      true,
	isDistinct:   "IS DISTINCT FROM",
	asText:       "::text",
	forShare:     " FOR SHARE",
	forUpdate:    " FOR UPDATE",
	dayNumber:    func(col string) string { return "(" + col + " - DATE '1970-01-01')" },
	instantMicros: func(col string) string {
		return "(extract(epoch FROM " + col + ") * 1000000)::bigint"
	},
	instant: func(t time.Time) any { return t },
	monthOf: func(col string) string { return "date_trunc('month', " + col + ")::date" },
	dayBits: func(col string) string { return "bit_or(1 << (extract(day FROM " + col + ")::int - 1))" },
	// Issuing checks the rows in SQL too, as the owner.
	issueFunction: true,
}

func dialectOf(e Engine) *dialect {
	if e == EnginePostgres {
		return &postgresDialect
	}
	return &sqliteDialect
}

// lockTx takes the transaction-scoped advisory lock of key (one bigint,
// or two integers), held until tx ends. Without advisory locks it does
// nothing: SQLite's write transactions already run one at a time.
func (d *dialect) lockTx(ctx context.Context, tx *sqlx.Tx, key ...any) error {
	if !d.advisory {
		return nil
	}
	q := `SELECT pg_advisory_xact_lock($1)`
	if len(key) == 2 {
		q = `SELECT pg_advisory_xact_lock($1, $2)`
	}
	_, err := tx.ExecContext(ctx, q, key...)
	return err
}

// Instant is a time.Time that scans from either engine's representation.
type Instant struct{ time.Time }

func (i *Instant) Scan(v any) error {
	t, err := ScanInstant(v)
	i.Time = t
	return err
}

// ScanInstant reads an instant stored by dialect.instant.
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

// sqliteBusyTimeoutMillis is how long a SQLite statement waits for another
// writer before SQLITE_BUSY (the job lock does not wait at all).
const sqliteBusyTimeoutMillis = 30000
