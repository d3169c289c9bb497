package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditAction is what an audit entry records.
type AuditAction string

const (
	AuditActionSignIn       AuditAction = "sign_in"
	AuditActionSignInFailed AuditAction = "sign_in_failed"
	AuditActionSignInLocked AuditAction = "sign_in_locked" // refused: too many failures
	AuditActionSignOut      AuditAction = "sign_out"
	AuditActionDownload     AuditAction = "download"

	// Batch and settlement actions (recorded by the application layer).
	AuditActionLoad   AuditAction = "load"
	AuditActionIngest AuditAction = "ingest"
	AuditActionSettle AuditAction = "settle"
	AuditActionIssue  AuditAction = "issue"

	// The sign-off of a draft version (docs/signoff.md).
	AuditActionPublish   AuditAction = "publish"   // a draft opened for review
	AuditActionConfirm   AuditAction = "confirm"   // a provider or district confirmed its lines
	AuditActionLapse     AuditAction = "lapse"     // a district confirmed by lapse of the window
	AuditActionObject    AuditAction = "object"    // an objection to a line
	AuditActionResolve   AuditAction = "resolve"   // the office accepted or rejected an objection
	AuditActionApprove   AuditAction = "approve"   // the office approved a version
	AuditActionReconcile AuditAction = "reconcile" // a provider's own bill compared with the draft
)

// AuditEntry is one row of the audit trail: who did what, when, from
// which address. Detail names the file of a download or the reason of a
// refusal; never a password or a token. The trail is a hash chain
// (docs/audit.md): rows are only appended, each carrying the SHA-256 of
// the row before it and of its own canonical content.
type AuditEntry struct {
	ID         int64       `json:"id"`
	At         time.Time   `json:"at"`
	User       string      `json:"user"`
	Action     AuditAction `json:"action"`
	RemoteAddr string      `json:"remote_addr"`
	Detail     string      `json:"detail"`
	// Role is the acting user's role ("" for the operator on the CLI).
	Role string `json:"role"`
	// Year is the settlement year the action concerns, 0 for none (a
	// sign-in); cloudbill audit --year Y lists a year's entries.
	Year int `json:"year"`
	// Subject names what the action was on: a file, a version ("v2"), a
	// line ("RES-1/ITEM"), an objection ("objection 7").
	Subject string `json:"subject"`
	// PrevSHA256 and SHA256 are set by the store, read back only: the
	// hash of the row before (AuditGenesis for the first) and of this
	// row's canonical content, which covers PrevSHA256 (AuditCanonical).
	PrevSHA256 string `json:"prev_sha256"`
	SHA256     string `json:"sha256"`
}

// auditLock is the PostgreSQL advisory lock key appends to the audit
// chain take, so that two writers never chain onto the same row.
const auditLock = 7420014

// InsertAudit appends an entry to the audit trail, chained onto the last
// row. At is truncated to the microsecond (what PostgreSQL keeps); a zero
// At is the store's clock. Appends are serialised: on PostgreSQL by a
// transaction-level advisory lock, on SQLite by the write transaction.
func (db *DB) InsertAudit(ctx context.Context, e AuditEntry) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := db.appendAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("record %s of %s: %w", e.Action, e.User, err)
	}
	return nil
}

// appendAudit appends e inside tx (which then holds the chain until it
// ends) and returns the row as stored. Store code that records an action
// in the transaction of the action calls it.
func (db *DB) appendAudit(ctx context.Context, tx *sqlx.Tx, e AuditEntry) (AuditEntry, error) {
	if err := db.dialect.lockTx(ctx, tx, auditLock); err != nil {
		return e, err
	}
	var last struct {
		ID     int64  `db:"id"`
		SHA256 string `db:"sha256"`
	}
	err := tx.GetContext(ctx, &last, `SELECT id, sha256 FROM audit ORDER BY id DESC LIMIT 1`)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		last.SHA256 = AuditGenesis
	case err != nil:
		return e, err
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	e.ID, e.At = last.ID+1, e.At.UTC().Truncate(time.Microsecond)
	e.User, e.Role, e.RemoteAddr, e.Detail, e.Subject = cleanText(e.User), cleanText(e.Role), cleanText(e.RemoteAddr), cleanText(e.Detail), cleanText(e.Subject)
	e.PrevSHA256 = last.SHA256
	e.SHA256 = AuditSHA256(e)
	_, err = tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO audit (id, at, user_name, role, action, year, subject, remote_addr, detail, prev_sha256, sha256)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, db.dialect.instant(e.At), e.User, e.Role, string(e.Action), e.Year, e.Subject, e.RemoteAddr, e.Detail, e.PrevSHA256, e.SHA256)
	return e, err
}

// AuditFilter selects audit entries: User and Action "" mean any, Year 0
// any year; Limit ≤ 0 means 200.
type AuditFilter struct {
	User   string
	Action AuditAction
	Year   int
	Limit  int
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `id, at, user_name, role, action, year, subject, remote_addr, detail, prev_sha256, sha256`

// Audit lists audit entries, newest first.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := `SELECT ` + auditColumns + ` FROM audit WHERE 1 = 1`
	var args []any
	if f.User != "" {
		q += ` AND user_name = ?`
		args = append(args, f.User)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, string(f.Action))
	}
	if f.Year != 0 {
		q += ` AND year = ?`
		args = append(args, f.Year)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []AuditEntry
	err := db.eachAudit(ctx, q, args, func(e AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// AuditYear lists the year's audit entries (all of them with all) in
// the order they were appended.
func (db *DB) AuditYear(ctx context.Context, year int, all bool) ([]AuditEntry, error) {
	q, args := `SELECT `+auditColumns+` FROM audit WHERE year = ? ORDER BY id`, []any{year}
	if all {
		q, args = `SELECT `+auditColumns+` FROM audit ORDER BY id`, nil
	}
	var out []AuditEntry
	err := db.eachAudit(ctx, q, args, func(e AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// eachAudit runs the query q (selecting auditColumns) and calls fn for each row.
func (db *DB) eachAudit(ctx context.Context, q string, args []any, fn func(AuditEntry) error) error {
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at Instant
		var action string
		if err := rows.Scan(&e.ID, &at, &e.User, &e.Role, &action, &e.Year, &e.Subject, &e.RemoteAddr, &e.Detail, &e.PrevSHA256, &e.SHA256); err != nil {
			return fmt.Errorf("read audit trail: %w", err)
		}
		e.At, e.Action = at.Time.UTC(), AuditAction(action)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit trail: %w", err)
	}
	return nil
}
