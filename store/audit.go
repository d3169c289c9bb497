package store

import (
	"context"
	"fmt"
	"time"
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

// AuditEntry is one line of the portal's audit trail: who did what, when,
// from which address. Detail names the file of a download or the reason
// of a refusal; never a password or a token.
type AuditEntry struct {
	ID         int64
	At         time.Time
	User       string
	Action     AuditAction
	RemoteAddr string
	Detail     string
	// Role is the acting user's role ("" for the operator on the CLI).
	Role string
	// Year is the settlement year the action concerns, 0 for none (a
	// sign-in); cloudbill audit --year Y lists a year's entries.
	Year int
	// Subject names what the action was on: a file, a version ("v2"), a
	// line ("RES-1/ITEM"), an objection ("objection 7").
	Subject string
}

// InsertAudit appends an entry to the audit trail.
func (db *DB) InsertAudit(ctx context.Context, e AuditEntry) error {
	_, err := db.pool.ExecContext(ctx, db.pool.Rebind(`INSERT INTO audit (at, user_name, action, remote_addr, detail) VALUES (?, ?, ?, ?, ?)`),
		db.dialect.instant(e.At), e.User, string(e.Action), e.RemoteAddr, e.Detail)
	if err != nil {
		return fmt.Errorf("record %s of %s: %w", e.Action, e.User, err)
	}
	return nil
}

// AuditFilter selects audit entries: User and Action "" mean any; Limit ≤ 0
// means 200.
type AuditFilter struct {
	User   string
	Action AuditAction
	Limit  int
}

// Audit lists audit entries, newest first.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := `SELECT id, at, user_name, action, remote_addr, detail FROM audit WHERE 1 = 1`
	var args []any
	if f.User != "" {
		q += ` AND user_name = ?`
		args = append(args, f.User)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, string(f.Action))
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at Instant
		var action string
		if err := rows.Scan(&e.ID, &at, &e.User, &action, &e.RemoteAddr, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit trail: %w", err)
		}
		e.At, e.Action = at.Time, AuditAction(action)
		out = append(out, e)
	}
	return out, rows.Err()
}
