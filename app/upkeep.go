package app

import (
	"context"
	"fmt"

	"cloudbill/store"
)

// The upkeep of the metering and of the database: the rejected rows, the
// usage summaries, a backup.

// RejectTally counts the rejects a listing went through: Open (Retry of
// them only for a resource not loaded yet) and Resolved (listed with All).
type RejectTally struct {
	Open, Retry, Resolved int
	All                   bool
}

// String is the tally on one line.
func (t RejectTally) String() string {
	msg := fmt.Sprintf("%d rejects open", t.Open)
	if t.Retry > 0 {
		msg += fmt.Sprintf(" (%d only for an unknown resource: retried by the next ingest once it is loaded)", t.Retry)
	}
	if t.All {
		msg += fmt.Sprintf(", %d resolved", t.Resolved)
	}
	return msg
}

// RejectLines calls each with the line of every reject f selects, by file and
// line (file:line: column: reason, marked when a later ingest resolved
// it), and counts them.
func (a *App) RejectLines(ctx context.Context, f store.RejectFilter, each func(line string) error) (RejectTally, error) {
	t := RejectTally{All: f.All}
	err := a.DB.Rejects(ctx, f, func(r store.Reject) error {
		line := r.Problem().Error()
		switch {
		case r.Resolved:
			t.Resolved++
			line += " (resolved: stored by a later ingest)"
		case r.RetryResource != "":
			t.Open++
			t.Retry++
		default:
			t.Open++
		}
		return each(line)
	})
	return t, err
}

// RebuildSummaries recomputes usage_months from every usage row and has
// the next findings refresh rebuild the idle summary. Ingestion keeps both;
// rows written into usage by hand in SQL are what this is for.
func (a *App) RebuildSummaries(ctx context.Context) error {
	if err := a.DB.RebuildUsageMonths(ctx); err != nil {
		return err
	}
	return a.DB.MarkIdleSummaryStale(ctx)
}

// VerifySummaries checks usage_months against every usage row.
func (a *App) VerifySummaries(ctx context.Context) error {
	if err := a.DB.VerifyUsageMonths(ctx); err != nil {
		return fmt.Errorf("%w (repair with: cloudbill summaries --rebuild)", err)
	}
	return nil
}

// BackupInput names the file a backup writes.
type BackupInput struct{ Out string }

// Validate checks that a file is named.
func (in BackupInput) Validate() error {
	if in.Out == "" {
		return Usagef("backup needs --out FILE")
	}
	return nil
}

// Backup writes a consistent copy of the SQLite database to in.Out (which
// must not exist) while the daemon goes on; PostgreSQL is backed up with
// pg_dump (store.ErrBackupPostgres).
func (a *App) Backup(ctx context.Context, in BackupInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return a.DB.Backup(ctx, in.Out)
}
