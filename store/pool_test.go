package store_test

import (
	"context"
	"database/sql"
	"testing"

	"cloudbill/store"
	"cloudbill/store/storetest"
)

// TestPoolKeepsIdleConnections: connections given back to the pool stay
// open up to its open limit (database/sql keeps two by default), so that
// what was prepared on them, the portal's queries, is not lost.
func TestPoolKeepsIdleConnections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := store.Pool(db)
		limit := x.Stats().MaxOpenConnections
		if limit <= 2 {
			t.Fatalf("open limit %d: the test needs more than the default of two idle connections", limit)
		}
		var conns []*sql.Conn
		for range limit {
			c, err := x.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if s := x.Stats(); s.Idle != limit {
			t.Errorf("%d idle connections after %d were given back, want %d (open %d)", s.Idle, limit, limit, s.OpenConnections)
		}
	})
}
