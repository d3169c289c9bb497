package store

import (
	"context"
	"fmt"

	"cloudbill/metering"
)

// DryRun is an ingest that stores nothing. Every file and the retry of
// earlier rejects go, each in a savepoint, through one transaction that
// Close rolls back: the files are read, checked, written and counted
// exactly as a real run of the same files in the same order would (a file
// sees the rows of the files before it, and a file repeated is already
// ingested), and then the ledger, the rejects, the metering and its
// summaries are as they were.
//
// The transaction is a write transaction: on SQLite it holds the write
// lock from BeginDryRun to Close (other writers wait, readers do not), on
// PostgreSQL the rows it writes stay locked until Close, as a real run's
// stay until each file commits.
type DryRun struct {
	s      *session
	closed bool
}

// BeginDryRun starts a dry run; the caller must Close it.
func (db *DB) BeginDryRun(ctx context.Context) (*DryRun, error) {
	// Not ended by ctx: see inTxDetached; Close rolls it back.
	tx, err := db.pool.BeginTxx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("begin dry run: %w", err)
	}
	return &DryRun{s: &session{db: db, tx: tx}}, nil
}

// IngestFile is DB.IngestFile inside the dry run.
func (d *DryRun) IngestFile(ctx context.Context, known *metering.Known, in IngestInput) (IngestResult, error) {
	return d.s.ingestFile(ctx, known, in)
}

// RetryRejects is DB.RetryRejects inside the dry run.
func (d *DryRun) RetryRejects(ctx context.Context, known *metering.Known) (IngestResult, error) {
	return d.s.retryRejects(ctx, known)
}

// Close rolls back everything the dry run did.
func (d *DryRun) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	return d.s.tx.Rollback()
}
