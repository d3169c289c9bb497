package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// Archiving a closed year takes its usage and activity rows out of the
// database once they are kept in files (cloudbill archive), and keeps
// everything computed from them: the statements, the findings, the ledger
// and the two summaries, so that settling the year or refreshing the
// findings gives the same result as before. The archive files are nightly
// files: ingesting them again restores the rows (archives.restored_at).
//
// While a year's file is not restored its months of the summaries are
// frozen: RebuildUsageMonths, VerifyUsageMonths and the rebuild of the idle
// summary leave them alone (they would recompute them from rows that are
// gone). The idle days of a frozen year stay as judged by the thresholds
// in force when it was archived (archives.idle_key).

// ErrYearNotClosed refuses to archive a year that is not closed: the
// current year (or a later one), or a year without an issued statement.
var ErrYearNotClosed = errors.New("only a closed year can be archived")

// ErrArchived refuses to archive a year whose archive is not restored.
var ErrArchived = errors.New("archived already")

// ErrNothingToArchive means the year has no metering rows.
var ErrNothingToArchive = errors.New("no metering rows to archive")

// ArchiveInput says which year to archive and where its rows go.
type ArchiveInput struct {
	Year int
	// Today is the clock's date: a year that has not ended is not closed.
	Today metering.Date
	// IdlePolicy holds the idle thresholds in force: the idle summary is
	// brought up to date with them before the year's idle days are kept.
	IdlePolicy evaluation.Policy
	// Export writes the parts (usage, then activity) to files, reads them
	// back, and returns what each file holds. It runs inside the archive's
	// transaction: the rows are deleted only when every file holds the
	// rows of its part. Rows are streamed, never all held in memory.
	Export func(ctx context.Context, parts []ArchivePart) ([]ArchivedFile, error)
}

// ArchivePart is the year's rows of one kind.
type ArchivePart struct {
	Kind    RecordKind
	Columns []string // the nightly file's columns, in this order
	Rows    int64
	// Each calls fn with each row, its values as text in Columns order, in
	// primary-key order (day first).
	Each func(fn func(row []string) error) error
}

// ArchivedFile is one archive file, as read back after it was written.
type ArchivedFile struct {
	Kind   RecordKind
	Name   string
	SHA256 string
	Rows   int64
}

// ArchiveResult says what ArchiveYear took out of the database.
type ArchiveResult struct {
	Year  int
	Files []ArchivedFile
}

// ArchiveYear moves the year's metering rows to files in one
// transaction: it checks that the year is closed, brings the idle summary
// up to date, checks that usage_months matches the year's usage rows,
// streams the rows to in.Export, and when the files hold them deletes the
// rows, keeping the summaries exactly as they were (the delete triggers'
// changes are undone in the same transaction) and recording the files in
// archives. On PostgreSQL the transaction is REPEATABLE READ: the rows
// deleted are the rows exported, whatever commits meanwhile.
func (db *DB) ArchiveYear(ctx context.Context, in ArchiveInput) (ArchiveResult, error) {
	res := ArchiveResult{Year: in.Year}
	from, to := metering.YearStart(in.Year), metering.YearEnd(in.Year)
	tx, err := db.pool.BeginTxx(ctx, db.dialect.snapshot)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if err := db.checkClosed(ctx, tx, in.Year, in.Today); err != nil {
		return res, err
	}
	var parts []ArchivePart
	total := int64(0)
	for _, kind := range []RecordKind{RecordUsage, RecordActivity} {
		sp := specs[kind]
		var n int64
		if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM `+sp.table+` WHERE day >= ? AND day < ?`), from, to); err != nil {
			return res, fmt.Errorf("count %s of %d: %w", sp.table, in.Year, err)
		}
		total += n
		parts = append(parts, ArchivePart{Kind: kind, Columns: sp.columns, Rows: n, Each: db.archiveRows(ctx, tx, sp, from, to)})
	}
	if total == 0 {
		return res, fmt.Errorf("archive %d: %w", in.Year, ErrNothingToArchive)
	}
	// The idle days kept must be those of the thresholds in force.
	if err := db.freshIdleSummary(ctx, tx, in.IdlePolicy); err != nil {
		return res, err
	}
	idleKey, err := db.idleSummaryKey(ctx, tx, false)
	if err != nil {
		return res, err
	}
	if err := db.verifyUsageMonths(ctx, tx, from, to, nil); err != nil {
		return res, fmt.Errorf("archive %d: %w (repair with cloudbill summaries --rebuild before archiving)", in.Year, err)
	}
	files, err := in.Export(ctx, parts)
	if err != nil {
		return res, fmt.Errorf("archive %d: %w", in.Year, err)
	}
	if len(files) != len(parts) {
		return res, fmt.Errorf("archive %d: %d files written for %d kinds of rows", in.Year, len(files), len(parts))
	}
	for i, f := range files {
		if f.Kind != parts[i].Kind || f.Rows != parts[i].Rows {
			return res, fmt.Errorf("archive %d: %s holds %d %s rows, the database %d: nothing deleted", in.Year, f.Name, f.Rows, parts[i].Kind, parts[i].Rows)
		}
	}
	if err := db.deleteKeepingSummaries(ctx, tx, parts, from, to); err != nil {
		return res, fmt.Errorf("archive %d: %w", in.Year, err)
	}
	now := db.dialect.instant(db.now())
	for _, f := range files {
		key := ""
		if f.Kind == RecordActivity {
			key = idleKey
		}
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO archives (sha256, year, kind, name, rows, idle_key, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			f.SHA256, in.Year, string(f.Kind), cleanText(f.Name), f.Rows, key, now); err != nil {
			return res, fmt.Errorf("archive %d: record %s: %w", in.Year, f.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("archive %d: %w", in.Year, err)
	}
	res.Files = files
	return res, nil
}

// checkClosed refuses a year that has not ended by today, has no issued
// statement, or is archived and not restored.
func (db *DB) checkClosed(ctx context.Context, tx *sqlx.Tx, year int, today metering.Date) error {
	switch {
	case year == today.Year():
		return fmt.Errorf("archive %d: %d is the current year: %w (a past year whose statement is issued)", year, year, ErrYearNotClosed)
	case year > today.Year():
		return fmt.Errorf("archive %d: %d has not begun: %w (a past year whose statement is issued)", year, year, ErrYearNotClosed)
	}
	var issued bool
	if err := tx.GetContext(ctx, &issued, db.pool.Rebind(`SELECT EXISTS (SELECT 1 FROM statements WHERE year = ? AND status = 'issued')`), year); err != nil {
		return fmt.Errorf("archive %d: %w", year, err)
	}
	if !issued {
		return fmt.Errorf("archive %d: %d has no issued statement: %w (settle and issue it first: cloudbill issue --year %d)", year, year, ErrYearNotClosed, year)
	}
	var names []string
	if err := tx.SelectContext(ctx, &names, db.pool.Rebind(`SELECT name FROM archives WHERE year = ? AND restored_at IS NULL ORDER BY kind DESC`), year); err != nil {
		return fmt.Errorf("archive %d: %w", year, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("archive %d: %w in %s (ingest those files to restore the year before archiving it again)", year, ErrArchived, strings.Join(names, ", "))
	}
	return nil
}

// archiveRows streams the rows of sp's table dated from..to (exclusive),
// every value read as text.
func (db *DB) archiveRows(ctx context.Context, tx *sqlx.Tx, sp *spec, from, to metering.Date) func(fn func([]string) error) error {
	return func(fn func([]string) error) error {
		cols := make([]string, len(sp.columns))
		for i, c := range sp.columns {
			cols[i] = "CAST(" + c + " AS TEXT)"
		}
		rows, err := tx.QueryContext(ctx, db.pool.Rebind(`SELECT `+strings.Join(cols, ", ")+` FROM `+sp.table+
			` WHERE day >= ? AND day < ? ORDER BY `+strings.Join(sp.primaryKey(), ", ")), from, to)
		if err != nil {
			return fmt.Errorf("read %s: %w", sp.table, err)
		}
		defer rows.Close()
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return fmt.Errorf("read %s: %w", sp.table, err)
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

// primaryKey is the table's key in its order: day first.
func (sp *spec) primaryKey() []string {
	return append([]string{"day"}, sp.keys[:len(sp.keys)-1]...)
}

// deleteKeepingSummaries deletes the parts' rows dated from..to and leaves
// the summaries as they were: the delete triggers take the rows' bits out
// of usage_months and mark the idle summary stale; the month rows are put
// back (ORed with any bits left) and the idle summary's state restored.
func (db *DB) deleteKeepingSummaries(ctx context.Context, tx *sqlx.Tx, parts []ArchivePart, from, to metering.Date) error {
	var state string
	if err := tx.GetContext(ctx, &state, `SELECT value FROM summary_state WHERE name = 'activity_idle'`); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read summary state: %w", err)
	}
	type monthRow struct {
		Res   string        `db:"resource_id"`
		Item  string        `db:"item_code"`
		Month metering.Date `db:"month"`
		Q     string        `db:"quantity"`
		Days  int64         `db:"days"`
	}
	var months []monthRow
	if err := tx.SelectContext(ctx, &months, db.pool.Rebind(`SELECT resource_id, item_code, month, quantity`+db.dialect.asText+` AS quantity, days
		FROM usage_months WHERE month >= ? AND month < ?`), from, to); err != nil {
		return fmt.Errorf("read usage_months: %w", err)
	}
	for _, p := range parts {
		sp := specs[p.Kind]
		r, err := tx.ExecContext(ctx, db.pool.Rebind(`DELETE FROM `+sp.table+` WHERE day >= ? AND day < ?`), from, to)
		if err != nil {
			return fmt.Errorf("delete %s: %w", sp.table, err)
		}
		if n, err := r.RowsAffected(); err != nil || n != p.Rows {
			return fmt.Errorf("delete %s: %d rows, %d exported: nothing deleted (%v)", sp.table, n, p.Rows, err)
		}
	}
	err := db.orMerge(ctx, tx, "usage_months", []string{"resource_id", "item_code", "month", "quantity", "days"}, func(yield func([]any) error) error {
		for _, m := range months {
			if err := yield([]any{m.Res, m.Item, m.Month, m.Q, m.Days}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(`UPDATE summary_state SET value = ? WHERE name = 'activity_idle'`), state); err != nil {
		return fmt.Errorf("restore summary state: %w", err)
	}
	return nil
}

// markRestored records that the file of digest sha, of kind, was an
// archive file and is ingested again: its year's months are no longer
// frozen. When its idle days were judged by other thresholds than the
// summary's now, the next findings refresh rebuilds the idle summary.
func (db *DB) markRestored(ctx context.Context, tx *sqlx.Tx, kind RecordKind, sha string) error {
	r, err := tx.ExecContext(ctx, db.pool.Rebind(`UPDATE archives SET restored_at = ? WHERE sha256 = ? AND restored_at IS NULL`), db.dialect.instant(db.now()), sha)
	if err != nil {
		return fmt.Errorf("archives: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 || kind != RecordActivity {
		return nil
	}
	var judged string
	if err := tx.GetContext(ctx, &judged, db.pool.Rebind(`SELECT idle_key FROM archives WHERE sha256 = ?`), sha); err != nil {
		return fmt.Errorf("archives: %w", err)
	}
	now, err := db.idleSummaryKey(ctx, tx, false)
	if err != nil || now == judged {
		return err
	}
	return db.markIdleStale(ctx, tx)
}

// archivedYears lists the years whose rows of kind are archived and not
// restored: their months of the summaries are frozen.
func (db *DB) archivedYears(ctx context.Context, q sqlx.QueryerContext, kind RecordKind) ([]int, error) {
	var years []int
	if err := sqlx.SelectContext(ctx, q, &years, db.pool.Rebind(`SELECT DISTINCT year FROM archives WHERE kind = ? AND restored_at IS NULL ORDER BY year`), string(kind)); err != nil {
		return nil, fmt.Errorf("read archives: %w", err)
	}
	return years, nil
}

// outsideYears is a condition true when the date column col is in none of
// years, and its arguments ("" when there are no years).
func outsideYears(col string, years []int) (string, []any) {
	var conds []string
	var args []any
	for _, y := range years {
		conds = append(conds, "NOT ("+col+" >= ? AND "+col+" < ?)")
		args = append(args, metering.YearStart(y), metering.YearEnd(y))
	}
	return strings.Join(conds, " AND "), args
}
