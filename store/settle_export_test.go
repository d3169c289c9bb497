package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// InsertUsageForTest writes usage rows directly (tests of settlement and
// findings that must not depend on the ingester).
func InsertUsageForTest(ctx context.Context, db *DB, rows []metering.Usage) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		vals := make([][]any, len(rows))
		for i, u := range rows {
			vals[i] = []any{u.ResourceID, u.ItemCode, u.Day, Dec(u.Quantity)}
		}
		if _, err := db.upsert(ctx, tx, "usage", []string{"resource_id", "item_code", "day", "quantity"}, []string{"resource_id", "item_code", "day"}, true, vals); err != nil {
			return err
		}
		return db.rebuildUsageMonths(ctx, tx)
	})
}

// SetSQLiteChunkingForTest sets db's SQLite ingest chunk, batch,
// pending-summary and kept-text sizes.
func SetSQLiteChunkingForTest(db *DB, chunk, batch, months, kept int) {
	db.sqlite = sqliteSizes{chunkRows: chunk, batch: batch, pendingMonths: months, keptText: kept}
}
