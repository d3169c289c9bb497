package web

import (
	"context"
	"sync"
	"time"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/store"
)

// headCache keeps the heads (totals, district and department rows,
// evaluations) of the statement versions pages showed. A version's rows
// never change once stored (a new settlement is a new version, and the
// database refuses changes to an issued one), so a head is read once per
// (year, version, fingerprint, creation time); the status and issue time,
// which issuing a draft changes, are taken from the version list read on
// every request.
type headCache struct {
	mu    sync.Mutex
	heads map[headKey]*billing.Statement
}

type headKey struct {
	year, version int
	sha256        string
	created       time.Time
}

// headCacheMax bounds the cache: past it, it starts again empty.
const headCacheMax = 64

// head returns the head of version sv, reading it on first use.
func (c *headCache) head(ctx context.Context, a *app.App, sv store.StatementVersion) (*billing.Statement, error) {
	k := headKey{sv.Year, sv.Version, sv.SHA256, sv.CreatedAt}
	c.mu.Lock()
	st := c.heads[k]
	c.mu.Unlock()
	if st == nil {
		var err error
		if st, err = a.StatementHead(ctx, sv.Year, sv.Version); err != nil {
			return nil, err
		}
		if st.SHA256 != sv.SHA256 || !st.CreatedAt.Equal(sv.CreatedAt) {
			return st, nil // replaced between the two reads: do not keep it
		}
		c.mu.Lock()
		if c.heads == nil || len(c.heads) >= headCacheMax {
			c.heads = map[headKey]*billing.Statement{}
		}
		c.heads[k] = st
		c.mu.Unlock()
	}
	out := *st // the pages only read it; status and issue time are the list's
	out.Status, out.IssuedAt = sv.Status, sv.IssuedAt
	return &out, nil
}
