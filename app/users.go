package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"cloudbill/store"
)

// Role is what a portal account may see (docs/portal.md).
type Role string

const (
	RoleFinance    Role = "finance"    // 市财政局: everything
	RoleOffice     Role = "office"     // 市政府信息化中心: everything and the operator's pages
	RoleDistrict   Role = "district"   // one district's lines, documents and findings
	RoleDepartment Role = "department" // one department's
	RoleProvider   Role = "provider"   // one provider's lines
	RoleEvaluator  Role = "evaluator"  // the scores and the evaluation
)

// Roles lists the roles in the order the portal shows them.
var Roles = []Role{RoleFinance, RoleOffice, RoleDistrict, RoleDepartment, RoleProvider, RoleEvaluator}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Label is the role's name in the portal.
func (r Role) Label() string {
	switch r {
	case RoleFinance:
		return "市财政局"
	case RoleOffice:
		return "市政府信息化中心"
	case RoleDistrict:
		return "县区"
	case RoleDepartment:
		return "部门"
	case RoleProvider:
		return "云服务商"
	case RoleEvaluator:
		return "考核评价"
	}
	return string(r)
}

// UserInput describes an account: its name, role, the code its role is
// limited to (district, department or provider, exactly the one the role
// needs) and its password.
type UserInput struct {
	Name                           string
	Role                           Role
	District, Department, Provider string
	Password                       string
}

var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// Validate checks the name, the role and its scope code, and the password.
func (in UserInput) Validate() error {
	if err := validateUserName(in.Name); err != nil {
		return err
	}
	if !in.Role.Valid() {
		names := make([]string, len(Roles))
		for i, r := range Roles {
			names[i] = string(r)
		}
		return &InputError{Field: "role", Reason: fmt.Sprintf("%q: one of %s", in.Role, strings.Join(names, ", "))}
	}
	need := map[Role]string{RoleDistrict: "district", RoleDepartment: "department", RoleProvider: "provider"}[in.Role]
	for _, c := range []struct{ field, v string }{{"district", in.District}, {"department", in.Department}, {"provider", in.Provider}} {
		switch {
		case c.field == need && c.v == "":
			return &InputError{Field: c.field, Reason: fmt.Sprintf("role %s needs --%s CODE", in.Role, c.field)}
		case c.field != need && c.v != "":
			return &InputError{Field: c.field, Reason: fmt.Sprintf("role %s takes no --%s", in.Role, c.field)}
		}
	}
	return validatePassword(in.Password)
}

func validateUserName(name string) error {
	if !userNameRE.MatchString(name) {
		return &InputError{Field: "name", Reason: fmt.Sprintf("%q: 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)}
	}
	return nil
}

func validatePassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength {
		return &InputError{Field: "password-stdin", Reason: fmt.Sprintf("the password has %d characters; at least %d are needed", n, MinPasswordLength)}
	}
	if len(pw) > 1024 {
		return &InputError{Field: "password-stdin", Reason: "the password is longer than 1024 bytes"}
	}
	return nil
}

// AddUser creates an account after checking that its scope code exists.
func (a *App) AddUser(ctx context.Context, in UserInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	for _, c := range []struct{ table, field, v string }{{"districts", "district", in.District}, {"departments", "department", in.Department}, {"providers", "provider", in.Provider}} {
		if c.v == "" {
			continue
		}
		ok, err := a.DB.CodeExists(ctx, c.table, c.v)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("add user %s: %s %q is not in the reference data (cloudbill load it first)", in.Name, c.field, c.v)
		}
	}
	hash, err := a.hashPassword(ctx, in.Password)
	if err != nil {
		return err
	}
	now := a.now().UTC()
	err = a.DB.InsertUser(ctx, store.User{Name: in.Name, Role: string(in.Role), DistrictCode: in.District, DepartmentCode: in.Department, ProviderCode: in.Provider,
		PasswordHash: hash, CreatedAt: now, PasswordChangedAt: now})
	if err != nil {
		return err
	}
	a.Log.Info("user added", "user", in.Name, "role", string(in.Role))
	return nil
}

// Users lists the accounts.
func (a *App) Users(ctx context.Context) ([]store.User, error) { return a.DB.Users(ctx) }

// DisableUser stops an account from signing in and ends its sessions.
func (a *App) DisableUser(ctx context.Context, name string) error {
	if err := validateUserName(name); err != nil {
		return err
	}
	if err := a.DB.DisableUser(ctx, name, a.now().UTC()); err != nil {
		return err
	}
	a.Log.Info("user disabled", "user", name)
	return nil
}

// SetPassword replaces an account's password and ends its sessions.
func (a *App) SetPassword(ctx context.Context, name, password string) error {
	if err := validateUserName(name); err != nil {
		return err
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := a.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	if err := a.DB.SetPassword(ctx, name, hash, a.now().UTC()); err != nil {
		return err
	}
	a.Log.Info("password changed", "user", name)
	return nil
}

// PasswordParams are the argon2id parameters of new hashes. A hash keeps
// the parameters it was made with, so they can be raised without
// invalidating older passwords.
type PasswordParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
	SaltLen   uint32
	KeyLen    uint32
}

// DefaultPasswordParams follow RFC 9106's second recommendation (64 MiB,
// three passes) with two lanes.
var DefaultPasswordParams = PasswordParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 2, SaltLen: 16, KeyLen: 32}

func (a *App) passwordParams() PasswordParams {
	if a.Passwords != nil {
		return *a.Passwords
	}
	return DefaultPasswordParams
}

// hashSlots bounds the argon2 computations running at once (each takes
// MemoryKiB): a burst of sign-ins queues instead of exhausting memory.
var hashSlots = make(chan struct{}, 2)

func withHashSlot[T any](ctx context.Context, fn func() T) (T, error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-hashSlots }()
	return fn(), nil
}

func (a *App) hashPassword(ctx context.Context, pw string) (string, error) {
	return withHashSlot(ctx, func() string { return HashPassword(pw, a.passwordParams()) })
}

// HashPassword hashes pw with argon2id and a new random salt, encoded as
// $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$KEY (base64, no padding).
func HashPassword(pw string, p PasswordParams) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the encoded hash, with the
// parameters stored in it, in constant time.
func VerifyPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash: not an argon2id hash")
	}
	var version int
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: key: %w", err)
	}
	if p.MemoryKiB > 1<<21 || p.Time > 64 || p.Threads == 0 {
		return false, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// The sign-in throttle and the session lifetimes (docs/portal.md).
var (
	SignInThrottle = store.Throttle{Limit: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
	SessionIdle    = 30 * time.Minute
	SessionMax     = 12 * time.Hour
	// sessionTouchEvery is how stale last_seen_at may get before a request
	// writes it again.
	sessionTouchEvery = time.Minute
)

// ErrSignIn is a refused sign-in: unknown user, wrong password or a
// disabled account (the portal does not say which).
var ErrSignIn = errors.New("wrong user name or password")

// LockedError refuses a sign-in while the user or the address is locked
// after repeated failures.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "too many failed sign-ins: locked until " + e.Until.UTC().Format(time.RFC3339)
}

// SignInInput is a sign-in attempt from RemoteAddr (an IP address).
type SignInInput struct {
	User, Password, RemoteAddr string
}

// SignIn checks a user's password and opens a session. It returns the
// session's token, to be handed to the browser: only its SHA-256 is
// stored. Failures count against the user name and the address; at
// SignInThrottle.Limit either is locked for LockFor, and a locked sign-in
// is refused without looking at the password. Every attempt is recorded
// in the audit trail (never the password).
func (a *App) SignIn(ctx context.Context, in SignInInput) (string, store.Session, error) {
	now := a.now().UTC()
	name := in.User
	if len(name) > 64 {
		name = name[:64]
	}
	keys := []string{"user:" + name, "addr:" + in.RemoteAddr}
	audit := func(action store.AuditAction, detail string) error {
		return a.DB.InsertAudit(ctx, store.AuditEntry{At: now, User: name, Action: action, RemoteAddr: in.RemoteAddr, Detail: detail})
	}
	until, err := a.DB.LoginLockedUntil(ctx, now, keys...)
	if err != nil {
		return "", store.Session{}, err
	}
	if !until.IsZero() {
		if err := audit(store.AuditActionSignInLocked, "locked until "+until.Format(time.RFC3339)); err != nil {
			return "", store.Session{}, err
		}
		a.Log.Warn("sign-in refused: locked", "user", name, "remote", in.RemoteAddr, "until", until)
		return "", store.Session{}, &LockedError{Until: until}
	}
	u, err := a.DB.User(ctx, name)
	ok := false
	switch {
	case errors.Is(err, store.ErrNoUser):
		// Spend the time a real check takes, so that timing does not tell
		// which names exist.
		a.hashPassword(ctx, in.Password)
	case err != nil:
		return "", store.Session{}, err
	default:
		var verr error
		if _, err := withHashSlot(ctx, func() bool { ok, verr = VerifyPassword(in.Password, u.PasswordHash); return ok }); err != nil {
			return "", store.Session{}, err
		}
		if verr != nil {
			return "", store.Session{}, fmt.Errorf("user %s: %w", name, verr)
		}
		ok = ok && !u.Disabled()
	}
	if !ok {
		until, err := a.DB.RecordLoginFailure(ctx, now, SignInThrottle, keys...)
		if err != nil {
			return "", store.Session{}, err
		}
		detail := ""
		if !until.IsZero() {
			detail = "now locked until " + until.Format(time.RFC3339)
		}
		if err := audit(store.AuditActionSignInFailed, detail); err != nil {
			return "", store.Session{}, err
		}
		a.Log.Warn("sign-in failed", "user", name, "remote", in.RemoteAddr)
		return "", store.Session{}, ErrSignIn
	}
	if err := a.DB.ClearLoginFailures(ctx, "user:"+name); err != nil {
		return "", store.Session{}, err
	}
	token, sha := newToken()
	csrf, _ := newToken()
	s := store.Session{TokenSHA256: sha, User: u, CSRF: csrf, CreatedAt: now, LastSeenAt: now, RemoteAddr: in.RemoteAddr}
	if err := a.DB.InsertSession(ctx, s); err != nil {
		return "", store.Session{}, err
	}
	if err := audit(store.AuditActionSignIn, ""); err != nil {
		return "", store.Session{}, err
	}
	a.Log.Info("signed in", "user", name, "role", u.Role, "remote", in.RemoteAddr)
	return token, s, nil
}

// newToken returns a random 32-byte token (hex) and its SHA-256 (hex).
func newToken() (token, sha string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = hex.EncodeToString(b)
	return token, TokenSHA256(token)
}

// TokenSHA256 is what the database keeps of a session token.
func TokenSHA256(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Session returns the live session of token: ok is false when there is
// none, it was idle longer than SessionIdle, is older than SessionMax, or
// its user was disabled (an expired session is deleted).
func (a *App) Session(ctx context.Context, token string) (store.Session, bool, error) {
	if len(token) != 64 {
		return store.Session{}, false, nil
	}
	sha := TokenSHA256(token)
	s, ok, err := a.DB.SessionByToken(ctx, sha)
	if err != nil || !ok {
		return store.Session{}, false, err
	}
	now := a.now().UTC()
	if now.Sub(s.LastSeenAt) > SessionIdle || now.Sub(s.CreatedAt) > SessionMax || s.User.Disabled() {
		return store.Session{}, false, a.DB.DeleteSession(ctx, sha)
	}
	if now.Sub(s.LastSeenAt) > sessionTouchEvery {
		if err := a.DB.TouchSession(ctx, sha, now, now.Add(-sessionTouchEvery)); err != nil {
			return store.Session{}, false, err
		}
		s.LastSeenAt = now
	}
	return s, true, nil
}

// SignOut ends the session of token and records it.
func (a *App) SignOut(ctx context.Context, s store.Session, remote string) error {
	if err := a.DB.DeleteSession(ctx, s.TokenSHA256); err != nil {
		return err
	}
	return a.DB.InsertAudit(ctx, store.AuditEntry{At: a.now().UTC(), User: s.User.Name, Action: store.AuditActionSignOut, RemoteAddr: remote})
}

// ExpireSessions deletes the sessions past their idle or absolute limit.
func (a *App) ExpireSessions(ctx context.Context) (int64, error) {
	now := a.now().UTC()
	return a.DB.DeleteExpiredSessions(ctx, now.Add(-SessionIdle), now.Add(-SessionMax))
}

// RecordDownload writes a download to the audit trail.
func (a *App) RecordDownload(ctx context.Context, user, remote, file string) error {
	return a.DB.InsertAudit(ctx, store.AuditEntry{At: a.now().UTC(), User: user, Action: store.AuditActionDownload, RemoteAddr: remote, Detail: file})
}
