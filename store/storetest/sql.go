package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
	"cloudbill/store"
)

// The helpers below reach the rows behind the store's back, for tests that
// check what the store keeps out (constraints, triggers, privileges) or
// that make a database the store would never make. They run on a
// connection pool of their own, opened from db.DSN: store.DB keeps its
// handle to itself.

var (
	poolsMu sync.Mutex
	pools   = map[*store.DB]*sqlx.DB{}
)

// SQL returns a connection pool of its own on db's database, opened as
// the store opens it (SQLite: foreign keys on, a busy timeout, write
// transactions IMMEDIATE) and closed at the end of t. Store tests use it
// for SQL the store never runs.
func SQL(t testing.TB, db *store.DB) *sqlx.DB {
	t.Helper()
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if x, ok := pools[db]; ok {
		return x
	}
	x, err := openSQL(db.DSN)
	if err == nil {
		err = x.Ping()
	}
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	pools[db] = x
	t.Cleanup(func() {
		poolsMu.Lock()
		delete(pools, db)
		poolsMu.Unlock()
		x.Close()
	})
	return x
}

// Count returns how many rows the tables hold together.
func Count(t testing.TB, db *store.DB, tables ...string) int {
	t.Helper()
	total := 0
	for _, table := range tables {
		var n int
		if err := SQL(t, db).Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		total += n
	}
	return total
}

// Clear deletes every row of the tables.
func Clear(t testing.TB, db *store.DB, tables ...string) {
	t.Helper()
	for _, table := range tables {
		if _, err := SQL(t, db).Exec(`DELETE FROM ` + table); err != nil {
			t.Fatalf("clear %s: %v", table, err)
		}
	}
}

// InsertUsageBehindSummary inserts usage rows the way a hand-written SQL
// statement would: no trigger adds them to usage_months, which then
// misses them (store.DB.VerifyUsageMonths says so).
func InsertUsageBehindSummary(t testing.TB, db *store.DB, rows ...metering.Usage) {
	t.Helper()
	x := SQL(t, db)
	for _, u := range rows {
		if _, err := x.Exec(x.Rebind(`INSERT INTO usage (resource_id, item_code, day, quantity) VALUES (?, ?, ?, ?)`),
			u.ResourceID, u.ItemCode, u.Day, store.Dec(u.Quantity)); err != nil {
			t.Fatalf("insert usage: %v", err)
		}
	}
}

// CreateProbe creates the table probe, whose rows ProbeTx writes.
func CreateProbe(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := SQL(t, db).Exec(`CREATE TABLE probe (n INTEGER NOT NULL)`); err != nil {
		t.Fatalf("create probe: %v", err)
	}
}

// ProbeTx writes a row into probe inside a transaction, calls hold, and
// commits when hold returns nil, else rolls back and returns its error:
// work that is either applied whole or not at all.
func ProbeTx(ctx context.Context, t testing.TB, db *store.DB, hold func() error) error {
	tx, err := SQL(t, db).BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO probe (n) VALUES (1)`); err != nil {
		return err
	}
	if err := hold(); err != nil {
		return err
	}
	return tx.Commit()
}

// WriteWithTempTable does in one transaction what an ingest needs the
// right to do: create a temporary table and insert a usage row.
func WriteWithTempTable(ctx context.Context, t testing.TB, db *store.DB) error {
	tx, err := SQL(t, db).BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE staging (n int) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage (resource_id, item_code, day, quantity) VALUES ('R1', 'VCPU', '2024-06-01', 4)`); err != nil {
		return err
	}
	return tx.Commit()
}

// DropAtCleanup drops at the end of t the PostgreSQL database and then
// the roles a test made on the server, through admin (the address of a
// database there, with the right to drop them).
func DropAtCleanup(t testing.TB, admin, database string, roles ...string) {
	t.Cleanup(func() {
		a, err := sqlx.Open("postgres", admin)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + database + ` WITH (FORCE)`)
		for _, r := range roles {
			a.Exec(`DROP ROLE IF EXISTS ` + r)
		}
	})
}
