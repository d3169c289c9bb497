package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock key two processes
// migrating at once wait for each other on.
const migrationLock = 7420011

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own transaction, in order.
func (db *DB) Migrate(ctx context.Context) error {
	// Probe before creating: a least-privilege role (deploy/postgres-setup.sql)
	// may read schema_migrations but not run DDL, not even CREATE … IF NOT EXISTS.
	// A current schema is only read: no write transaction, so that reading
	// commands never wait for (or block) a long ingest on SQLite.
	var versions []int
	if err := db.pool.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		if _, err := db.pool.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	applied := map[int]bool{}
	newest := 0
	for _, v := range versions {
		applied[v] = true
		newest = max(newest, v)
	}
	dir := db.dialect.migrations
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	type migration struct {
		version int
		name    string
	}
	var todo []migration
	known := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		known = max(known, version)
		if !applied[version] {
			todo = append(todo, migration{version, name})
		}
	}
	if newest > known {
		return &SchemaNewerError{Database: newest, Binary: known}
	}
	for _, m := range todo {
		version, name := m.version, m.name
		body, err := fs.ReadFile(migrations, path.Join(dir, name))
		if err != nil {
			return err
		}
		if err := db.applyMigration(ctx, version, name, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version int, name, body string) error {
	tx, err := db.pool.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.dialect.lockTx(ctx, tx, migrationLock); err != nil {
		return err
	}
	var n int
	if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), version); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		version, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaNewerError refuses a database migrated by a newer cloudbill: this
// binary does not know its schema and could corrupt it.
type SchemaNewerError struct{ Database, Binary int }

func (e *SchemaNewerError) Error() string {
	return fmt.Sprintf("the database is at schema version %d, newer than this cloudbill knows (%d): run the cloudbill that migrated it, or a newer one", e.Database, e.Binary)
}

// SchemaVersion returns the number of the latest migration applied (0 for
// none).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.pool.GetContext(ctx, &v, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
