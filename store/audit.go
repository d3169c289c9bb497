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
