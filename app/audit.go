package app

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"cloudbill/store"
)

// actorKey carries the acting user and role in a context (WithActor).
type actorKey struct{}

type actor struct{ user, role string }

// WithActor returns ctx naming who acts, in which role, in the audit
// entries of the use cases run with it. Without it the actor is the
// operating-system user the command runs as ("operator" when that cannot
// be told), with role "".
func WithActor(ctx context.Context, user, role string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{user, role})
}

// actorOf is who acts in ctx.
func actorOf(ctx context.Context) (string, string) {
	if a, ok := ctx.Value(actorKey{}).(actor); ok && a.user != "" {
		return a.user, a.role
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, ""
	}
	if u := os.Getenv("USER"); u != "" {
		return u, ""
	}
	return "operator", ""
}

// record appends e to the audit chain, stamped with the clock and, when
// e names nobody, with the actor of ctx.
func (a *App) record(ctx context.Context, e store.AuditEntry) error {
	if e.User == "" {
		e.User, e.Role = actorOf(ctx)
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	if err := a.DB.InsertAudit(ctx, e); err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	return nil
}

// AuditInput selects a trail: the entries of Year (0: every entry).
type AuditInput struct{ Year int }

// Validate checks the year, when one is given.
func (in AuditInput) Validate() error {
	if in.Year == 0 {
		return nil
	}
	return ValidateYear(in.Year)
}

// Audit lists the trail in the order it was appended: the year's entries,
// or every entry when Year is 0.
func (a *App) Audit(ctx context.Context, in AuditInput) ([]store.AuditEntry, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Year == 0 {
		return a.DB.AuditYear(ctx, 0, true)
	}
	return a.DB.AuditYear(ctx, in.Year, false)
}

// VerifyAudit recomputes the whole audit chain. A broken chain is an
// error, the *store.AuditBreak naming the first broken row; the result
// says how many rows held before it.
func (a *App) VerifyAudit(ctx context.Context) (store.AuditVerification, error) {
	v, err := a.DB.VerifyAudit(ctx)
	if err != nil {
		return v, fmt.Errorf("verify the audit trail: %w", err)
	}
	if v.Broken != nil {
		return v, v.Broken
	}
	return v, nil
}
