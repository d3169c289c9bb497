package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The ledger (table files) records every file ingested or loaded, by
// SHA-256: a file is applied once, however often it arrives.

// claimFile makes the transaction tx the only one ingesting in (two
// processes ingesting the same file serialise here) and reports whether
// the ledger already has it.
func (db *DB) claimFile(ctx context.Context, tx *sqlx.Tx, in IngestInput) (bool, error) {
	if err := db.dialect.lockTx(ctx, tx, shaLockKey(in.SHA256)); err != nil {
		return false, fmt.Errorf("claim %s: %w", in.Name, err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM files WHERE sha256 = ?`), in.SHA256); err != nil {
		return false, fmt.Errorf("read ledger: %w", err)
	}
	return n > 0, nil
}

// recordFile records in, a file of kind, in the ledger with what it did.
func (db *DB) recordFile(ctx context.Context, tx *sqlx.Tx, in IngestInput, kind RecordKind, res *IngestResult) error {
	_, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO files (sha256, name, kind, rows_read, accepted, replaced, unchanged, rejected, not_billable, processed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), in.SHA256, in.Name, string(kind), res.Read, res.Accepted, res.Replaced, res.Unchanged, res.Rejected, res.NotYetBillable, db.dialect.instant(db.now()))
	if err != nil {
		return fmt.Errorf("record %s in the ledger: %w", in.Name, err)
	}
	return nil
}

// shaLockKey turns a file digest into a PostgreSQL advisory lock key.
func shaLockKey(sha string) int64 {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) < 8 {
		b = append([]byte(sha), make([]byte, 8)...)
	}
	return int64(binary.BigEndian.Uint64(b[:8]))
}
