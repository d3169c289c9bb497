// Package storetest gives tests a fresh database on each engine: a temp
// SQLite file, and a new database on the PostgreSQL server named by
// TEST_DATABASE_URL. Without that variable PostgreSQL cases skip, unless
// CLOUDBILL_REQUIRE_POSTGRES=1 (set by make test and .ci/run) makes the
// absence a failure. It also holds the SQL that tests and benchmarks run
// behind the store's back (sql.go, bench.go): it counts as part of store,
// the only package that speaks SQL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"cloudbill/store"
)

// Engines lists the engines every conformance test runs on.
var Engines = []store.Engine{store.EngineSQLite, store.EnginePostgres}

// Each runs fn as a subtest once per engine, each with its own empty database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a migrated, empty database on engine e, closed at cleanup.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t, e))
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the address of a new, empty database on engine e.
func DSN(t testing.TB, e store.Engine) string {
	t.Helper()
	if e == store.EngineSQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "cloudbill.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CLOUDBILL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("TEST_DATABASE_URL is not set and CLOUDBILL_REQUIRE_POSTGRES=1: PostgreSQL tests may not skip (run them through make test)")
		}
		t.Skip("TEST_DATABASE_URL not set: PostgreSQL cases skipped")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "cb_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

// openSQL opens a connection pool of its own on the database at dsn (a
// --db value), as the store opens it: on SQLite with foreign keys on, a
// busy timeout, and write transactions IMMEDIATE.
func openSQL(dsn string) (*sqlx.DB, error) {
	engine, addr, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if engine == store.EnginePostgres {
		return sqlx.Open("postgres", addr)
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_txlock", "immediate")
	return sqlx.Open("sqlite", "file:"+addr+"?"+q.Encode())
}
