package app

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/store"
)

// SignoffHead is where a version's sign-off stands, without the states of
// its parties (the confirmations given are listed):
// what the portal's line page and its actions need (Signoff reads the
// whole statement to list the parties).
type SignoffHead struct {
	Year, Version int
	Status        billing.StatementStatus
	Latest        bool               // the year's latest version
	Publication   *store.Publication // nil: not published for review
	Approval      *store.Approval    // nil: not approved
	Confirmations []store.Confirmation
	WindowOpen    bool // published, and today is on or before its deadline
}

// Open reports whether the version can still be signed off (confirmed,
// objected to, approved): the year's latest version, a draft, published
// for review and not approved. Publish, Confirm, Object and Approve check
// it again (docs/signoff.md).
func (h SignoffHead) Open() bool {
	return h.Latest && h.Status == billing.StatementStatusDraft && h.Publication != nil && h.Approval == nil
}

// SignoffHead reads the sign-off state of version (0: the latest) of
// year; ErrNotFound when the year has no such version.
func (a *App) SignoffHead(ctx context.Context, year, version int) (SignoffHead, error) {
	if err := validateVersion(year, version); err != nil {
		return SignoffHead{}, err
	}
	vs, err := a.DB.StatementVersionList(ctx, year)
	if err != nil {
		return SignoffHead{}, err
	}
	for i, v := range vs {
		if v.Version != version && (version != 0 || i > 0) {
			continue
		}
		h := SignoffHead{Year: year, Version: v.Version, Status: v.Status, Latest: i == 0}
		recs, err := a.DB.SignoffRecords(ctx, year, v.Version)
		if err != nil {
			return SignoffHead{}, err
		}
		h.Publication, h.Approval, h.Confirmations = recs.Publication, recs.Approval, recs.Confirmations
		h.WindowOpen = h.Publication != nil && a.windowOpen(h.Publication)
		return h, nil
	}
	return SignoffHead{}, fmt.Errorf("statement %d version %d: %w", year, version, ErrNotFound)
}
