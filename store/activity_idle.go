package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// newFileBits returns what an ingest of a file of kind gathers for the
// summaries: usage_months bits for usage; for activity, idle days when the
// idle summary is current (nil when it is to be rebuilt anyway).
func (db *DB) newFileBits(ctx context.Context, tx *sqlx.Tx, kind RecordKind) (*monthBits, error) {
	if kind == RecordUsage {
		return newMonthBits(), nil
	}
	key, err := db.idleSummaryKey(ctx, tx, false)
	if err != nil || key == "" {
		return nil, err
	}
	p, err := evaluation.ParsePolicy(strings.NewReader(key), "summary_state activity_idle")
	if err != nil {
		// Thresholds this build cannot read: rebuild at the next refresh.
		return nil, db.markIdleStale(ctx, tx)
	}
	return newIdleBits(p), nil
}

// idleSummaryKey reads the thresholds the idle summary was built with (""
// when it is to be rebuilt). On PostgreSQL the row is locked: shared by
// ingests, exclusive for the refresh that may rebuild the summary, so that
// no ingest adds bits judged by thresholds being replaced.
func (db *DB) idleSummaryKey(ctx context.Context, tx *sqlx.Tx, exclusive bool) (string, error) {
	lock := db.dialect.forShare
	if exclusive {
		lock = db.dialect.forUpdate
	}
	q := `SELECT value FROM summary_state WHERE name = 'activity_idle'` + lock
	var key string
	err := tx.GetContext(ctx, &key, q)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read summary state: %w", err)
	}
	return key, nil
}

// markIdleStale makes the next findings refresh rebuild the idle summary.
func (db *DB) markIdleStale(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE summary_state SET value = '' WHERE name = 'activity_idle' AND value <> ''`); err != nil {
		return fmt.Errorf("mark the idle summary stale: %w", err)
	}
	return nil
}

// MarkIdleSummaryStale makes the next findings refresh rebuild the idle
// summary from every activity row.
func (db *DB) MarkIdleSummaryStale(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error { return db.markIdleStale(ctx, tx) })
}

// freshIdleSummary rebuilds activity_idle_months in one pass over the
// activity rows unless it was built with p's idle thresholds.
func (db *DB) freshIdleSummary(ctx context.Context, tx *sqlx.Tx, p evaluation.Policy) error {
	key, err := db.idleSummaryKey(ctx, tx, true)
	if err != nil || key == p.IdleKey() {
		return err
	}
	// The months of an archived year stay as they are (ArchiveYear).
	frozen, err := db.archivedYears(ctx, tx, RecordActivity)
	if err != nil {
		return err
	}
	keepMonths, keepArgs := outsideYears("month", frozen)
	keepDays, _ := outsideYears("a.day", frozen)
	del := `DELETE FROM activity_idle_months`
	if keepMonths != "" {
		del += ` WHERE ` + keepMonths
		keepDays = ` AND ` + keepDays
	}
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(del), keepArgs...); err != nil {
		return fmt.Errorf("rebuild idle summary: %w", err)
	}
	if err := db.rebuildIdle(ctx, tx, p, keepDays, keepArgs); err != nil {
		return fmt.Errorf("rebuild idle summary: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.pool.Rebind(`UPDATE summary_state SET value = ? WHERE name = 'activity_idle'`), p.IdleKey()); err != nil {
		return fmt.Errorf("rebuild idle summary: %w", err)
	}
	return nil
}

// rebuildIdle fills the emptied activity_idle_months. The SQL keeps only
// candidate rows, a superset of the idle days: every idle day is quiet on
// the network (compute with low CPU, or network) or belongs to a storage
// resource with an empty disk. The kinds are tested by hashed subplans,
// reached only for the few rows whose metrics pass: no join, and most rows
// are discarded at the scan by one integer comparison and one decimal
// comparison. Go then decides each candidate day with Policy.IdleDay, the
// one definition of an idle day (ingest calls it too), and the month bits
// are written in one bulk insert (COPY on PostgreSQL). keep (" AND …" or
// "") with keepArgs leaves out the days of archived years.
func (db *DB) rebuildIdle(ctx context.Context, tx *sqlx.Tx, p evaluation.Policy, keep string, keepArgs []any) error {
	comp, stor, netw := kindsOf(metering.FamilyCompute), kindsOf(metering.FamilyStorage), kindsOf(metering.FamilyNetwork)
	net := `a.net_in_bytes + a.net_out_bytes < ?`
	inKinds := func(kinds []any) string {
		return `a.resource_id IN (SELECT id FROM resources WHERE kind IN ` + inList(len(kinds)) + `)`
	}
	// PostgreSQL compares NUMERIC exactly. SQLite keeps decimals as TEXT,
	// where < compares strings: there the filter is REAL ≤ the threshold
	// rounded up (rounding is monotone, so every exactly-idle value passes).
	below := func(col string) string { return col + ` < ?` }
	bound := func(d decimal.Decimal) any { return Dec(d) }
	if !db.dialect.numeric {
		below = func(col string) string { return `CAST(` + col + ` AS REAL) <= ?` }
		bound = func(d decimal.Decimal) any { return roundUp(d) }
	}
	// Each resource's family, for IdleDay; the candidates then come without
	// a lookup per row.
	type resource struct {
		id     string
		family metering.Family
	}
	resources := map[string]resource{}
	krows, err := tx.QueryContext(ctx, `SELECT id, kind FROM resources`)
	if err != nil {
		return err
	}
	defer krows.Close()
	for krows.Next() {
		var id, kind string
		if err := krows.Scan(&id, &kind); err != nil {
			return err
		}
		family, _ := metering.Kind(kind).Family()
		resources[id] = resource{id, family}
	}
	if err := krows.Err(); err != nil {
		return err
	}
	q := `SELECT a.resource_id, ` + db.dialect.dayNumber("a.day") + `, a.cpu_avg_pct, a.cpu_max_pct, a.disk_used_pct, a.net_in_bytes + a.net_out_bytes
	FROM activity a
	WHERE ((` + net + ` AND (` + inKinds(netw) + ` OR (` + below("a.cpu_avg_pct") + ` AND ` + below("a.cpu_max_pct") + ` AND ` + inKinds(comp) + `)))
		OR (` + below("a.disk_used_pct") + ` AND ` + inKinds(stor) + `))` + keep
	args := []any{p.IdleNetBytesBelow}
	args = append(append(args, netw...), bound(p.IdleCPUAvgBelow), bound(p.IdleCPUMaxBelow))
	args = append(append(args, comp...), bound(p.IdleDiskUsedBelow))
	args = append(append(args, stor...), keepArgs...)
	if db.dialect.copyIn {
		if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, db.pool.Rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type slot struct {
		res   string
		month metering.Date
	}
	type dayBit struct {
		month metering.Date
		bit   uint32
	}
	var (
		idle     = map[slot]uint32{}
		days     = map[metering.Date]dayBit{}
		decimals = map[string]decimal.Decimal{} // parsed percentages, by text
	)
	percent := func(b []byte) decimal.Decimal {
		if d, ok := decimals[string(b)]; ok {
			return d
		}
		d := decOrMax(string(b))
		if len(decimals) < 1<<16 {
			decimals[string(b)] = d
		}
		return d
	}
	var id, cpuAvg, cpuMax, disk sql.RawBytes
	for rows.Next() {
		var day metering.Date
		var net int64
		if err := rows.Scan(&id, &day, &cpuAvg, &cpuMax, &disk, &net); err != nil {
			return err
		}
		r := resources[string(id)]
		if !p.IdleDay(r.family, percent(cpuAvg), percent(cpuMax), percent(disk), net) {
			continue
		}
		b, ok := days[day]
		if !ok {
			b = dayBit{firstOfMonth(day), 1 << (day.Day() - 1)}
			days[day] = b
		}
		idle[slot{r.id, b.month}] |= b.bit
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	// In key order: the summary's B-tree then takes neighbouring rows together.
	slots := make([]slot, 0, len(idle))
	for k := range idle {
		slots = append(slots, k)
	}
	slices.SortFunc(slots, func(x, y slot) int { return cmp.Or(strings.Compare(x.res, y.res), cmp.Compare(x.month, y.month)) })
	out := make([][]any, len(slots))
	for i, k := range slots {
		out[i] = []any{k.res, k.month, int64(idle[k])}
	}
	return db.insertRows(ctx, tx, "activity_idle_months", []string{"resource_id", "month", "days"}, out)
}

// idleRuns returns the runs of consecutive idle activity days up to asOf,
// from the idle summary (rebuilt first when p's thresholds differ from
// those it was built with), in one pass over it in key order.
func (db *DB) idleRuns(ctx context.Context, tx *sqlx.Tx, p evaluation.Policy, asOf metering.Date) ([]idleRun, error) {
	if err := db.freshIdleSummary(ctx, tx, p); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, db.pool.Rebind(`SELECT resource_id, `+db.dialect.dayNumber("month")+`, days FROM activity_idle_months WHERE month <= ? ORDER BY resource_id, month`), asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []idleRun
	for rows.Next() {
		var id string
		var month metering.Date
		var days int64
		if err := rows.Scan(&id, &month, &days); err != nil {
			return nil, err
		}
		forRuns(uint32(days), month, asOf, func(first, last metering.Date) {
			if n := len(out); n > 0 && out[n-1].id == id && out[n-1].last.AddDays(1) == first {
				out[n-1].last = last
				return
			}
			out = append(out, idleRun{id, first, last})
		})
	}
	return out, rows.Err()
}
