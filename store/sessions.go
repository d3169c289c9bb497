package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Session is a signed-in portal session. Only the SHA-256 of the token
// handed to the browser is stored; CSRF is the token every POST form of
// the session carries.
type Session struct {
	TokenSHA256 string
	User        User
	CSRF        string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	RemoteAddr  string
}

// InsertSession stores a new session of s.User.Name.
func (db *DB) InsertSession(ctx context.Context, s Session) error {
	_, err := db.pool.ExecContext(ctx, db.pool.Rebind(`INSERT INTO sessions (token_sha256, user_name, csrf_token, created_at, last_seen_at, remote_addr) VALUES (?, ?, ?, ?, ?, ?)`),
		s.TokenSHA256, s.User.Name, s.CSRF, db.dialect.instant(s.CreatedAt), db.dialect.instant(s.LastSeenAt), s.RemoteAddr)
	if err != nil {
		return fmt.Errorf("store session of %s: %w", s.User.Name, err)
	}
	return nil
}

// SessionByToken reads the session whose token hashes to sha, with its
// user; ok is false when there is none (the caller checks its age and the
// user's state).
func (db *DB) SessionByToken(ctx context.Context, sha string) (s Session, ok bool, err error) {
	// Every page view reads its session: the query runs prepared, as the
	// portal's other read queries do.
	rows, err := db.portalQuery(ctx, `SELECT s.csrf_token, s.created_at, s.last_seen_at, s.remote_addr,
		u.name, u.role, u.district_code, u.department_code, u.provider_code, u.password_hash, u.created_at, u.password_changed_at, u.disabled_at
		FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_sha256 = ?`, sha)
	if err != nil {
		return Session{}, false, fmt.Errorf("read session: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Session{}, false, fmt.Errorf("read session: %w", err)
		}
		return Session{}, false, nil
	}
	var created, seen, ucreated, uchanged, udisabled Instant
	u := &s.User
	if err := rows.Scan(&s.CSRF, &created, &seen, &s.RemoteAddr,
		&u.Name, &u.Role, &u.DistrictCode, &u.DepartmentCode, &u.ProviderCode, &u.PasswordHash, &ucreated, &uchanged, &udisabled); err != nil {
		return Session{}, false, fmt.Errorf("read session: %w", err)
	}
	s.TokenSHA256, s.CreatedAt, s.LastSeenAt = sha, created.Time, seen.Time
	u.CreatedAt, u.PasswordChangedAt, u.DisabledAt = ucreated.Time, uchanged.Time, udisabled.Time
	return s, true, nil
}

// TouchSession records that the session was used at at, when it was
// last recorded before before (so a page view writes at most once a
// minute, say, not on every request).
func (db *DB) TouchSession(ctx context.Context, sha string, at, before time.Time) error {
	_, err := db.pool.ExecContext(ctx, db.pool.Rebind(`UPDATE sessions SET last_seen_at = ? WHERE token_sha256 = ? AND last_seen_at < ?`),
		db.dialect.instant(at), sha, db.dialect.instant(before))
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (sign-out, or an expired one).
func (db *DB) DeleteSession(ctx context.Context, sha string) error {
	if _, err := db.pool.ExecContext(ctx, db.pool.Rebind(`DELETE FROM sessions WHERE token_sha256 = ?`), sha); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes the sessions idle since before idleBefore
// or created before createdBefore, and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := db.pool.ExecContext(ctx, db.pool.Rebind(`DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`),
		db.dialect.instant(idleBefore), db.dialect.instant(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// LoginLockedUntil returns the latest end of a sign-in lockout among keys
// (user:NAME, addr:ADDRESS) still in force at now; zero when none is.
func (db *DB) LoginLockedUntil(ctx context.Context, now time.Time, keys ...string) (time.Time, error) {
	var until time.Time
	for _, k := range keys {
		var t Instant
		err := db.pool.QueryRowContext(ctx, db.pool.Rebind(`SELECT locked_until FROM login_failures WHERE key = ? AND locked_until > ?`), k, db.dialect.instant(now)).Scan(&t)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return time.Time{}, fmt.Errorf("read sign-in failures: %w", err)
		case t.After(until):
			until = t.Time
		}
	}
	return until, nil
}

// Throttle is the sign-in throttle: Limit failures of one key within
// Window lock it for LockFor.
type Throttle struct {
	Limit   int
	Window  time.Duration
	LockFor time.Duration
}

// RecordLoginFailure counts a failed sign-in at now against each key, in
// one transaction: a key's count restarts when its first failure is older
// than th.Window; reaching th.Limit locks the key until now + th.LockFor
// and restarts the count. It returns the latest lockout it set or found
// in force (zero for none).
func (db *DB) RecordLoginFailure(ctx context.Context, now time.Time, th Throttle, keys ...string) (time.Time, error) {
	var until time.Time
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, k := range keys {
			var row struct {
				failures int
				first    Instant
				locked   Instant
			}
			err := tx.QueryRowContext(ctx, db.pool.Rebind(`SELECT failures, first_at, locked_until FROM login_failures WHERE key = ?`+db.dialect.forUpdate), k).
				Scan(&row.failures, &row.first, &row.locked)
			if errors.Is(err, sql.ErrNoRows) {
				row.failures, row.first.Time = 0, now
			} else if err != nil {
				return err
			}
			if now.Sub(row.first.Time) > th.Window {
				row.failures, row.first.Time = 0, now
			}
			row.failures++
			locked := any(nil)
			if row.locked.After(now) {
				locked = db.dialect.instant(row.locked.Time)
				until = later(until, row.locked.Time)
			}
			if row.failures >= th.Limit {
				t := now.Add(th.LockFor)
				locked, until = db.dialect.instant(t), later(until, t)
				row.failures, row.first.Time = 0, now
			}
			if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO login_failures (key, failures, first_at, locked_until) VALUES (?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at, locked_until = excluded.locked_until`),
				k, row.failures, db.dialect.instant(row.first.Time), locked); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record sign-in failure: %w", err)
	}
	return until, nil
}

// ClearLoginFailures forgets the failures of key (after a sign-in).
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := db.pool.ExecContext(ctx, db.pool.Rebind(`DELETE FROM login_failures WHERE key = ? AND (locked_until IS NULL OR locked_until < ?)`), key, db.dialect.instant(db.now())); err != nil {
		return fmt.Errorf("clear sign-in failures: %w", err)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
