package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The ledger (table files) records every file ingested or loaded, by the
// SHA-256 of the bytes read: a file is applied once, however often it
// arrives.
//
// Two processes ingesting the same file (a manual ingest beside the
// nightly job) serialise on PostgreSQL advisory locks, both
// transaction-scoped:
//
//   - on the file's name, from the start: the second waits until the first
//     has committed (and, from an inbox, moved the file away), then finds
//     the file gone or, reading it, in the ledger;
//   - on the digest, at the end, once the bytes read are known: of two
//     transactions that read the same bytes under different names, the
//     second sees the first's ledger row after its commit and rolls back
//     (AlreadyIngested) instead of failing on the ledger's key.
//
// The name lock is taken before any row is written and the digest lock
// after the last, then only the ledger row follows: no cycle of waits.
// On SQLite every write transaction begins IMMEDIATE and they run one at
// a time anyway.

// nameLockClass is the first key of the advisory lock on a file name (the
// second is the name's hash); job locks use 7420012, migrations 7420011.
const nameLockClass = 7420013

// claimName makes tx the only transaction ingesting a file called name.
func (db *DB) claimName(ctx context.Context, tx *sqlx.Tx, name string) error {
	h := fnv.New32a()
	h.Write([]byte(name))
	if err := db.dialect.lockTx(ctx, tx, nameLockClass, int32(h.Sum32())); err != nil {
		return fmt.Errorf("claim %s: %w", name, err)
	}
	return nil
}

// claimDigest makes tx the only transaction recording sha and reports
// whether the ledger already has it.
func (db *DB) claimDigest(ctx context.Context, tx *sqlx.Tx, name, sha string) (bool, error) {
	if err := db.dialect.lockTx(ctx, tx, shaLockKey(sha)); err != nil {
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM files WHERE sha256 = ?`), sha); err != nil {
		return false, fmt.Errorf("read ledger: %w", err)
	}
	return n > 0, nil
}

// recordFile records in, a file of kind, in the ledger with what it did.
func (db *DB) recordFile(ctx context.Context, tx *sqlx.Tx, in IngestInput, kind RecordKind, res *IngestResult) error {
	_, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO files (sha256, name, kind, bytes, rows_read, accepted, replaced, unchanged, rejected, not_billable, processed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), res.SHA256, cleanText(in.Name), string(kind), res.Bytes, res.Read, res.Accepted, res.Replaced, res.Unchanged, res.Rejected, res.NotYetBillable, db.dialect.instant(db.now()))
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

// cleanText is s as both engines store it alike: NUL bytes removed (no
// PostgreSQL text holds one) and bytes that are not UTF-8 replaced by
// U+FFFD (PostgreSQL refuses them; SQLite would keep them). File names
// (a name in GB18030 from a Windows upload) and the raw text and reasons
// of rejected rows go through it.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// isDataException reports a PostgreSQL data exception (SQLSTATE class
// 22: text not UTF-8, a NUL, a number out of range): the data is at fault,
// not the database.
func isDataException(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code.Class() == "22"
}
