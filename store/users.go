package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrNoUser is returned when a portal account does not exist.
var ErrNoUser = errors.New("no such user")

// ErrUserExists is returned when an account of that name exists already.
var ErrUserExists = errors.New("user already exists")

// User is one account of the review portal (docs/portal.md): its role and
// the district, department or provider the role is limited to.
// PasswordHash is the encoded argon2id hash with its salt and parameters.
type User struct {
	Name              string    `db:"name"`
	Role              string    `db:"role"`
	DistrictCode      string    `db:"district_code"`
	DepartmentCode    string    `db:"department_code"`
	ProviderCode      string    `db:"provider_code"`
	PasswordHash      string    `db:"password_hash"`
	CreatedAt         time.Time `db:"-"`
	PasswordChangedAt time.Time `db:"-"`
	DisabledAt        time.Time `db:"-"` // zero while enabled
}

// Disabled reports whether the account may no longer sign in.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

const userColumns = `name, role, district_code, department_code, provider_code, password_hash, created_at, password_changed_at, disabled_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, changed, disabled Instant
	err := sc.Scan(&u.Name, &u.Role, &u.DistrictCode, &u.DepartmentCode, &u.ProviderCode, &u.PasswordHash, &created, &changed, &disabled)
	u.CreatedAt, u.PasswordChangedAt, u.DisabledAt = created.Time, changed.Time, disabled.Time
	return u, err
}

// InsertUser adds an account; ErrUserExists when the name is taken.
func (db *DB) InsertUser(ctx context.Context, u User) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, db.pool.Rebind(`SELECT count(*) FROM users WHERE name = ?`), u.Name); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s: %w", u.Name, ErrUserExists)
		}
		_, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
			u.Name, u.Role, u.DistrictCode, u.DepartmentCode, u.ProviderCode, u.PasswordHash,
			db.dialect.instant(u.CreatedAt), db.dialect.instant(u.PasswordChangedAt))
		return err
	})
	if err != nil && !errors.Is(err, ErrUserExists) {
		return fmt.Errorf("add user %s: %w", u.Name, err)
	}
	return err
}

// User reads one account; ErrNoUser when there is none of that name.
func (db *DB) User(ctx context.Context, name string) (User, error) {
	u, err := scanUser(db.pool.QueryRowContext(ctx, db.pool.Rebind(`SELECT `+userColumns+` FROM users WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%s: %w", name, ErrNoUser)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// Users lists every account by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.pool.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DisableUser stops an account from signing in and ends its sessions, in
// one transaction. Disabling a disabled account changes nothing.
func (db *DB) DisableUser(ctx context.Context, name string, at time.Time) error {
	return db.changeUser(ctx, name, `UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE name = ?`, db.dialect.instant(at), name)
}

// SetPassword replaces an account's password hash and ends its sessions,
// in one transaction.
func (db *DB) SetPassword(ctx context.Context, name, hash string, at time.Time) error {
	return db.changeUser(ctx, name, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?`, hash, db.dialect.instant(at), name)
}

// changeUser runs update (which names one user) and deletes the user's
// sessions; ErrNoUser when no row was updated.
func (db *DB) changeUser(ctx context.Context, name, update string, args ...any) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, db.pool.Rebind(update), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s: %w", name, ErrNoUser)
		}
		_, err = tx.ExecContext(ctx, db.pool.Rebind(`DELETE FROM sessions WHERE user_name = ?`), name)
		return err
	})
	if err != nil && !errors.Is(err, ErrNoUser) {
		return fmt.Errorf("change user %s: %w", name, err)
	}
	return err
}

// CodeExists reports whether table (districts, departments or providers)
// has a row of code, for checking an account's scope.
func (db *DB) CodeExists(ctx context.Context, table, code string) (bool, error) {
	var q string
	switch strings.ToLower(table) {
	case "districts":
		q = `SELECT count(*) FROM districts WHERE code = ?`
	case "departments":
		q = `SELECT count(*) FROM departments WHERE code = ?`
	case "providers":
		q = `SELECT count(*) FROM providers WHERE code = ?`
	default:
		return false, fmt.Errorf("code exists: unknown table %q", table)
	}
	var n int
	if err := db.pool.GetContext(ctx, &n, db.pool.Rebind(q), code); err != nil {
		return false, fmt.Errorf("look up %s %s: %w", table, code, err)
	}
	return n > 0, nil
}
