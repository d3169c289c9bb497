package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

// StatementHeader is what a version list shows of one version: its status
// as stored (draft or issued), when it was made and issued, how many lines
// it has, its totals and its fingerprint.
type StatementHeader struct {
	Year, Version int
	Status        billing.StatementStatus
	CreatedAt     time.Time
	IssuedAt      time.Time // zero for a draft
	Lines         int
	Gross, Net    decimal.Decimal
	SHA256        string
}

// StatementHeaders lists the versions of year, oldest first, without
// their rows (the list is for choosing a version, not for printing one:
// Statement reads and checks a version).
func (db *DB) StatementHeaders(ctx context.Context, year int) ([]StatementHeader, error) {
	rows, err := db.pool.QueryxContext(ctx, db.pool.Rebind(`SELECT s.version, s.status, s.created_at, s.issued_at, s.gross, s.net, s.sha256,
		(SELECT count(*) FROM statement_lines l WHERE l.year = s.year AND l.version = s.version)
		FROM statements s WHERE s.year = ? ORDER BY s.version`), year)
	if err != nil {
		return nil, fmt.Errorf("versions of %d: %w", year, err)
	}
	defer rows.Close()
	var out []StatementHeader
	for rows.Next() {
		h := StatementHeader{Year: year}
		var status string
		var created, issued Instant
		if err := rows.Scan(&h.Version, &status, &created, &issued, &h.Gross, &h.Net, &h.SHA256, &h.Lines); err != nil {
			return nil, fmt.Errorf("versions of %d: %w", year, err)
		}
		h.Status, h.CreatedAt, h.IssuedAt = billing.StatementStatus(status), created.Time, issued.Time
		out = append(out, h)
	}
	return out, rows.Err()
}
