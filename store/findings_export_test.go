package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"cloudbill/metering"
)

// InsertActivityForTest writes activity rows directly, keeping the
// decimals' text as given (findings tests must not depend on the ingester).
func InsertActivityForTest(ctx context.Context, db *DB, rows []metering.Activity) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		vals := make([][]any, len(rows))
		for i, a := range rows {
			vals[i] = []any{a.ResourceID, a.Day, Dec(a.CPUAvgPct), Dec(a.CPUMaxPct), Dec(a.MemAvgPct), Dec(a.DiskUsedPct), a.NetInBytes, a.NetOutBytes}
		}
		if err := db.insertRows(ctx, tx, "activity", []string{"resource_id", "day", "cpu_avg_pct", "cpu_max_pct", "mem_avg_pct", "disk_used_pct", "net_in_bytes", "net_out_bytes"}, vals); err != nil {
			return err
		}
		// Rows inserted by hand: the idle summary is rebuilt.
		return db.markIdleStale(ctx, tx)
	})
}

// IdleSummaryKeyForTest returns the thresholds the idle summary was built
// with ("" when the next refresh rebuilds it).
func IdleSummaryKeyForTest(ctx context.Context, db *DB) (string, error) {
	var key string
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		key, err = db.idleSummaryKey(ctx, tx, false)
		return err
	})
	return key, err
}
