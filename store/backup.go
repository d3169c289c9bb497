package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL: pg_dump does it
// (docs/operations.md).
var ErrBackupPostgres = errors.New("on PostgreSQL back up with pg_dump (see docs/operations.md)")

// Backup writes a consistent copy of a SQLite database to path (which must
// not exist) with VACUUM INTO, while other connections go on reading and
// writing: the copy is the database as of one transaction.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Engine != EngineSQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup %s: %w", path, fs.ErrExist)
	}
	if _, err := db.pool.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
