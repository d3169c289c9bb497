package storetest

import (
	"context"
	"database/sql"
	"fmt"

	"cloudbill/metering"
	"cloudbill/store"
)

// The benchmarks' yardsticks: full scans that the product never runs,
// each on a connection of its own to db's database (opening it costs a few
// milliseconds, included in the time of the call).

// ScanUsage reads every usage row of year once (count and sum): the
// yardstick the settlement benchmark compares itself with. It returns the
// row count.
func ScanUsage(ctx context.Context, db *store.DB, year int) (int64, error) {
	x, err := openSQL(db.DSN)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	var n int64
	var sum sql.NullString
	err = x.QueryRowxContext(ctx, x.Rebind(`SELECT count(*), CAST(sum(quantity) AS TEXT) FROM usage WHERE day >= ? AND day < ?`),
		metering.YearStart(year), metering.YearEnd(year)).Scan(&n, &sum)
	if err != nil {
		return 0, fmt.Errorf("scan usage of %d: %w", year, err)
	}
	return n, nil
}

// ScanActivity is the findings benchmark's yardstick: one full scan of
// the activity rows (SELECT count(*), sum(net_in_bytes) FROM activity). It
// returns the row count.
func ScanActivity(ctx context.Context, db *store.DB) (int64, error) {
	x, err := openSQL(db.DSN)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	var n int64
	var sum any
	if err := x.QueryRowContext(ctx, `SELECT count(*), sum(net_in_bytes) FROM activity`).Scan(&n, &sum); err != nil {
		return 0, fmt.Errorf("scan activity: %w", err)
	}
	return n, nil
}
