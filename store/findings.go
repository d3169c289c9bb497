package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// FindingsTrace, when set, receives the time of each phase of
// RefreshFindings (cloudbill findings --measure sets it).
var FindingsTrace io.Writer

// RefreshFindings recomputes the resource-use findings as of asOf and
// replaces the findings table with them, all in one transaction. The
// metering tables are read in a handful of set-based statements, never one
// per resource:
//
//  1. runs of consecutive idle activity days per resource (PostgreSQL:
//     gaps-and-islands in SQL; SQLite: the idle candidate rows in primary
//     key order, checked exactly and joined into runs in Go);
//  2. one grouped pass over usage: per (resource, item) the count, first
//     and last metered day inside the billing window, and the notable rows
//     (never confirmed, after release, above approval);
//  3. the usage of the idle and zombie runs, grouped by run, quantity and
//     month, for their money;
//  4. the metered days of the few (resource, item) pairs whose gaps the
//     counts of 2 do not settle.
//
// It returns the findings written.
func (db *DB) RefreshFindings(ctx context.Context, p evaluation.Policy, asOf metering.Date) ([]evaluation.Finding, error) {
	t0 := time.Now()
	places, err := db.ResourcePlaces(ctx)
	if err != nil {
		return nil, err
	}
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	det := evaluation.NewDetector(places, events, versions, p, asOf)
	var out []evaluation.Finding
	lap := func(phase string) {
		if FindingsTrace != nil {
			fmt.Fprintf(FindingsTrace, "findings %-9s %.3fs\n", phase, time.Since(t0).Seconds())
		}
		t0 = time.Now()
	}
	lap("reference")
	// The usage summaries do not depend on the idle runs: read them on a
	// second connection while this one finds the idle runs.
	type summaries struct {
		list []evaluation.UsageSummary
		err  error
	}
	sumc := make(chan summaries, 1)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		list, err := db.usageSummaries(sctx, asOf)
		sumc <- summaries{list, err}
	}()
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		defer lap("write")
		if err := db.idleRuns(ctx, tx, det, places, p, asOf); err != nil {
			return fmt.Errorf("idle runs: %w", err)
		}
		lap("idle")
		if err := db.rangeUsage(ctx, tx, det, det.AmountRanges()); err != nil {
			return fmt.Errorf("usage of idle runs: %w", err)
		}
		lap("ranges")
		sums := <-sumc
		if sums.err != nil {
			return fmt.Errorf("usage summaries: %w", sums.err)
		}
		for _, s := range sums.list {
			det.AddUsageSummary(s)
		}
		lap("summaries")
		if err := db.gapDays(ctx, tx, det, det.GapPairs(), asOf); err != nil {
			return fmt.Errorf("gap days: %w", err)
		}
		lap("gaps")
		out = det.Findings()
		return db.replaceFindings(ctx, tx, out, asOf)
	})
	if err != nil {
		return nil, fmt.Errorf("refresh findings as of %s: %w", asOf, err)
	}
	return out, nil
}

// kindsByFamily groups the kinds in use by idle family.
func kindsByFamily(places []evaluation.Place) map[metering.Family][]any {
	seen := map[metering.Kind]bool{}
	out := map[metering.Family][]any{}
	for _, pl := range places {
		if seen[pl.Kind] {
			continue
		}
		seen[pl.Kind] = true
		if f, ok := pl.Kind.Family(); ok {
			out[f] = append(out[f], string(pl.Kind))
		}
	}
	return out
}

// inList is "(?, ?, …)" for n values, or "(NULL)" for none.
func inList(n int) string {
	if n == 0 {
		return "(NULL)"
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func (db *DB) idleRuns(ctx context.Context, tx *sqlx.Tx, det *evaluation.Detector, places []evaluation.Place, p evaluation.Policy, asOf metering.Date) error {
	fams := kindsByFamily(places)
	comp, stor, netw := fams[metering.FamilyCompute], fams[metering.FamilyStorage], fams[metering.FamilyNetwork]
	if db.Engine == EnginePostgres {
		q := `SELECT resource_id, min(day), max(day) FROM (
	SELECT a.resource_id, a.day, a.day - CAST(row_number() OVER (PARTITION BY a.resource_id ORDER BY a.day) AS integer) AS grp
	FROM activity a JOIN resources r ON r.id = a.resource_id
	WHERE a.day <= ? AND (a.disk_used_pct < ? OR a.net_in_bytes + a.net_out_bytes < ?) AND (
		(r.kind IN ` + inList(len(comp)) + ` AND a.cpu_avg_pct < ? AND a.cpu_max_pct < ? AND a.net_in_bytes + a.net_out_bytes < ?)
		OR (r.kind IN ` + inList(len(stor)) + ` AND a.disk_used_pct < ?)
		OR (r.kind IN ` + inList(len(netw)) + ` AND a.net_in_bytes + a.net_out_bytes < ?))
) x GROUP BY resource_id, grp`
		// Every idle day is either quiet on the network or has an empty
		// disk: that test needs no join and discards most rows at the scan.
		args := []any{asOf, Dec(p.IdleDiskUsedBelow), p.IdleNetBytesBelow}
		args = append(append(args, comp...), Dec(p.IdleCPUAvgBelow), Dec(p.IdleCPUMaxBelow), p.IdleNetBytesBelow)
		args = append(append(args, stor...), Dec(p.IdleDiskUsedBelow))
		args = append(append(args, netw...), p.IdleNetBytesBelow)
		rows, err := tx.QueryContext(ctx, db.Rebind(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var first, last metering.Date
			if err := rows.Scan(&id, &first, &last); err != nil {
				return err
			}
			det.AddIdleRun(id, first, last)
		}
		return rows.Err()
	}
	// SQLite keeps decimals as TEXT, where < compares strings. The SQL
	// keeps a superset of the idle rows (REAL ≤ the threshold rounded up:
	// rounding is monotone, so every exactly-idle value passes) and Go
	// checks each candidate exactly before joining days into runs.
	up := func(d decimal.Decimal) float64 {
		f, _ := strconv.ParseFloat(d.String(), 64)
		return math.Nextafter(f, math.Inf(1))
	}
	q := `SELECT a.resource_id, a.day, r.kind, a.cpu_avg_pct, a.cpu_max_pct, a.disk_used_pct, a.net_in_bytes + a.net_out_bytes
	FROM activity a JOIN resources r ON r.id = a.resource_id
	WHERE a.day <= ? AND (CAST(a.disk_used_pct AS REAL) <= ? OR a.net_in_bytes + a.net_out_bytes < ?) AND (
		(r.kind IN ` + inList(len(comp)) + ` AND CAST(a.cpu_avg_pct AS REAL) <= ? AND CAST(a.cpu_max_pct AS REAL) <= ? AND a.net_in_bytes + a.net_out_bytes < ?)
		OR (r.kind IN ` + inList(len(stor)) + ` AND CAST(a.disk_used_pct AS REAL) <= ?)
		OR (r.kind IN ` + inList(len(netw)) + ` AND a.net_in_bytes + a.net_out_bytes < ?))
	ORDER BY a.resource_id, a.day`
	args := []any{asOf, up(p.IdleDiskUsedBelow), p.IdleNetBytesBelow}
	args = append(append(args, comp...), up(p.IdleCPUAvgBelow), up(p.IdleCPUMaxBelow), p.IdleNetBytesBelow)
	args = append(append(args, stor...), up(p.IdleDiskUsedBelow))
	args = append(append(args, netw...), p.IdleNetBytesBelow)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		runID       string
		first, last metering.Date
		open        bool
	)
	for rows.Next() {
		var id, kind, cpuAvg, cpuMax, disk string
		var day metering.Date
		var net int64
		if err := rows.Scan(&id, &day, &kind, &cpuAvg, &cpuMax, &disk, &net); err != nil {
			return err
		}
		fam, _ := metering.Kind(kind).Family()
		if !p.IdleActivity(fam, decOrMax(cpuAvg), decOrMax(cpuMax), decOrMax(disk), net) {
			continue
		}
		if open && id == runID && day == last.AddDays(1) {
			last = day
			continue
		}
		if open {
			det.AddIdleRun(runID, first, last)
		}
		runID, first, last, open = id, day, day, true
	}
	if open {
		det.AddIdleRun(runID, first, last)
	}
	return rows.Err()
}

// decOrMax parses a stored decimal; an unparsable one is never below a
// threshold.
func decOrMax(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.New(1, 9)
	}
	return d
}

// tempTable creates an empty temporary table for this transaction.
func (db *DB) tempTable(ctx context.Context, tx *sqlx.Tx, name, cols string) error {
	if db.Engine == EnginePostgres {
		_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE `+name+` (`+cols+`) ON COMMIT DROP`)
		return err
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.`+name); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE `+name+` (`+cols+`)`)
	return err
}

func (db *DB) dropTemp(ctx context.Context, tx *sqlx.Tx, name string) {
	if db.Engine == EngineSQLite {
		tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.`+name)
	}
}

// insertBatches inserts rows into table with multi-row INSERT statements.
func (db *DB) insertBatches(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	batch := 8000 / len(cols)
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, (end-start)*len(cols))
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(placeholder)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (db *DB) rangeUsage(ctx context.Context, tx *sqlx.Tx, det *evaluation.Detector, ranges []evaluation.AmountRange) error {
	if len(ranges) == 0 {
		return nil
	}
	dateType := "TEXT"
	month := `substr(u.day, 1, 7)`
	if db.Engine == EnginePostgres {
		dateType, month = "DATE", `date_trunc('month', u.day)`
	}
	if err := db.tempTable(ctx, tx, "finding_ranges", "id INTEGER NOT NULL, resource_id TEXT NOT NULL, item_code TEXT NOT NULL, first_day "+dateType+" NOT NULL, last_day "+dateType+" NOT NULL"); err != nil {
		return err
	}
	defer db.dropTemp(ctx, tx, "finding_ranges")
	rows := make([][]any, len(ranges))
	for i, g := range ranges {
		rows[i] = []any{g.ID, g.ResourceID, g.ItemCode, g.First, g.Last}
	}
	if err := db.insertBatches(ctx, tx, "finding_ranges", []string{"id", "resource_id", "item_code", "first_day", "last_day"}, rows); err != nil {
		return err
	}
	if db.Engine == EnginePostgres {
		if _, err := tx.ExecContext(ctx, `ANALYZE finding_ranges`); err != nil {
			return err
		}
	}
	res, err := tx.QueryContext(ctx, `SELECT g.id, u.quantity, min(u.day), count(*)
	FROM finding_ranges g JOIN usage u ON u.resource_id = g.resource_id AND u.item_code = g.item_code AND u.day >= g.first_day AND u.day <= g.last_day
	GROUP BY g.id, u.quantity, `+month)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		var id, n int
		var q decimal.Decimal
		var day metering.Date
		if err := res.Scan(&id, &q, &day, &n); err != nil {
			return err
		}
		det.AddRangeUsage(id, q, day, n)
	}
	return res.Err()
}

// usageSummaries reads the per-(resource, item) usage summaries on its own
// connection (PostgreSQL: a read-only transaction), so that it can run
// beside the idle-run pass.
func (db *DB) usageSummaries(ctx context.Context, asOf metering.Date) ([]evaluation.UsageSummary, error) {
	// One pass over usage, one hash join with a small per-(resource, item)
	// table of billing window and approvals, grouped so that ordinary rows
	// fold into one group per pair while each notable row (nd, nq set)
	// stays a group of its own. Only parallel-safe aggregates are used.
	// A row may be above its approval: on or after the last approval day,
	// compare with the last approved quantity (exact); before it, with the
	// smallest approved quantity (a superset; Go checks exactly).
	above := `(u.day >= pw.last_day AND u.quantity > pw.last_q) OR (u.day < pw.last_day AND u.quantity > pw.min_appr)`
	minAppr := `min(quantity)`
	if db.Engine == EngineSQLite {
		// TEXT decimals: compare as REAL, with the text deciding only when
		// the REALs tie — a superset of the exact test either way.
		above = `(u.day >= pw.last_day AND (CAST(u.quantity AS REAL) > CAST(pw.last_q AS REAL) OR (CAST(u.quantity AS REAL) = CAST(pw.last_q AS REAL) AND u.quantity <> pw.last_q)))
			OR (u.day < pw.last_day AND CAST(u.quantity AS REAL) >= pw.min_appr)`
		minAppr = `min(CAST(quantity AS REAL))`
	}
	inwin := `u.day >= pw.confirmed AND u.day >= pw.first_appr AND (pw.released IS NULL OR u.day < pw.released)`
	notable := `pw.resource_id IS NULL OR pw.confirmed IS NULL OR u.day >= pw.released OR (u.day >= pw.confirmed AND (u.day < pw.first_appr OR ` + above + `))`
	q := `WITH p AS (
	SELECT resource_id, item_code, min(day) AS first_appr, ` + minAppr + ` AS min_appr,
		max(CASE WHEN rn = 1 THEN day END) AS last_day, max(CASE WHEN rn = 1 THEN quantity END) AS last_q
	FROM (
		SELECT resource_id, item_code, day, quantity,
			row_number() OVER (PARTITION BY resource_id, item_code ORDER BY day DESC, at DESC) AS rn
		FROM events WHERE day <= ? AND event IN ('approved', 'changed')
	) e GROUP BY resource_id, item_code
), w AS (
	SELECT resource_id,
		min(CASE WHEN event = 'confirmed' THEN day END) AS confirmed,
		min(CASE WHEN event = 'released' THEN day END) AS released
	FROM events WHERE day <= ? AND event IN ('confirmed', 'released') GROUP BY resource_id
), pw AS (
	SELECT p.resource_id, p.item_code, p.first_appr, p.min_appr, p.last_day, p.last_q, w.confirmed, w.released
	FROM p LEFT JOIN w ON w.resource_id = p.resource_id
)
SELECT resource_id, item_code, nd, min(nq), sum(inwin), min(inday), max(inday) FROM (
	SELECT u.resource_id, u.item_code,
		CASE WHEN ` + inwin + ` THEN 1 ELSE 0 END AS inwin,
		CASE WHEN ` + inwin + ` THEN u.day END AS inday,
		CASE WHEN ` + notable + ` THEN u.day END AS nd,
		CASE WHEN ` + notable + ` THEN u.quantity END AS nq
	FROM usage u LEFT JOIN pw ON pw.resource_id = u.resource_id AND pw.item_code = u.item_code
	WHERE u.day <= ?
) x GROUP BY resource_id, item_code, nd`
	var q4 interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	} = db.DB
	if db.Engine == EnginePostgres {
		tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		// The groups are few (pairs + notable rows): hash them in memory,
		// scan usage sequentially rather than by index.
		for _, set := range []string{`SET LOCAL work_mem = '256MB'`, `SET LOCAL jit = off`, `SET LOCAL enable_indexscan = off`, `SET LOCAL enable_bitmapscan = off`, `SET LOCAL enable_mergejoin = off`, `SET LOCAL enable_sort = off`} {
			if _, err := tx.ExecContext(ctx, set); err != nil {
				return nil, err
			}
		}
		q4 = tx
	}
	rows, err := q4.QueryContext(ctx, db.Rebind(q), asOf, asOf, asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sums := map[[2]string]*evaluation.UsageSummary{}
	for rows.Next() {
		var k [2]string
		var nd, first, last metering.NullDate
		var nq decimal.NullDecimal
		var n int
		if err := rows.Scan(&k[0], &k[1], &nd, &nq, &n, &first, &last); err != nil {
			return nil, err
		}
		s := sums[k]
		if s == nil {
			s = &evaluation.UsageSummary{ResourceID: k[0], ItemCode: k[1]}
			sums[k] = s
		}
		s.N += n
		if first.Valid && (!s.First.Valid || first.Date < s.First.Date) {
			s.First = first
		}
		if last.Valid && (!s.Last.Valid || last.Date > s.Last.Date) {
			s.Last = last
		}
		if nd.Valid && nq.Valid {
			s.Notable = append(s.Notable, evaluation.UsageDay{Day: nd.Date, Quantity: nq.Decimal})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([][2]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]evaluation.UsageSummary, len(keys))
	for i, k := range keys {
		out[i] = *sums[k]
	}
	return out, nil
}

func (db *DB) gapDays(ctx context.Context, tx *sqlx.Tx, det *evaluation.Detector, pairs [][2]string, asOf metering.Date) error {
	if len(pairs) == 0 {
		return nil
	}
	if err := db.tempTable(ctx, tx, "finding_pairs", "resource_id TEXT NOT NULL, item_code TEXT NOT NULL"); err != nil {
		return err
	}
	defer db.dropTemp(ctx, tx, "finding_pairs")
	rows := make([][]any, len(pairs))
	for i, p := range pairs {
		rows[i] = []any{p[0], p[1]}
	}
	if err := db.insertBatches(ctx, tx, "finding_pairs", []string{"resource_id", "item_code"}, rows); err != nil {
		return err
	}
	res, err := tx.QueryContext(ctx, db.Rebind(`SELECT u.resource_id, u.item_code, u.day FROM finding_pairs p
	JOIN usage u ON u.resource_id = p.resource_id AND u.item_code = p.item_code
	WHERE u.day <= ? ORDER BY u.resource_id, u.item_code, u.day`), asOf)
	if err != nil {
		return err
	}
	defer res.Close()
	var cur [2]string
	var days []metering.Date
	flush := func() {
		if cur[0] != "" {
			det.AddUsageDays(cur[0], cur[1], days)
		}
	}
	for res.Next() {
		var k [2]string
		var d metering.Date
		if err := res.Scan(&k[0], &k[1], &d); err != nil {
			return err
		}
		if k != cur {
			flush()
			cur, days = k, days[:0]
		}
		days = append(days, d)
	}
	if err := res.Err(); err != nil {
		return err
	}
	flush()
	// pairs without a single metered day up to asOf
	for _, p := range pairs {
		det.AddUsageDays(p[0], p[1], nil)
	}
	return nil
}

var findingColumns = []string{"kind", "district_code", "department_code", "system_id", "resource_id", "item_code", "first_day", "last_day", "days", "amount", "action", "as_of"}

func (db *DB) replaceFindings(ctx context.Context, tx *sqlx.Tx, fs []evaluation.Finding, asOf metering.Date) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM findings`); err != nil {
		return fmt.Errorf("clear findings: %w", err)
	}
	rows := make([][]any, len(fs))
	for i, f := range fs {
		rows[i] = []any{string(f.Kind), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode, f.FirstDay, f.LastDay, f.Days, f.Amount.StringFixed(2), f.Action, asOf}
	}
	return db.insertBatches(ctx, tx, "findings", findingColumns, rows)
}

// Findings returns the stored findings whose run overlaps [from, to],
// ordered by district, department, system, resource, item, kind, day.
func (db *DB) Findings(ctx context.Context, from, to metering.Date) ([]evaluation.Finding, error) {
	rows, err := db.QueryContext(ctx, db.Rebind(`SELECT kind, district_code, department_code, system_id, resource_id, item_code, first_day, last_day, days, amount, action
	FROM findings WHERE first_day <= ? AND last_day >= ?`), to, from)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	var out []evaluation.Finding
	for rows.Next() {
		var f evaluation.Finding
		if err := rows.Scan(&f.Kind, &f.DistrictCode, &f.DepartmentCode, &f.SystemID, &f.ResourceID, &f.ItemCode, &f.FirstDay, &f.LastDay, &f.Days, &f.Amount, &f.Action); err != nil {
			return nil, fmt.Errorf("read findings: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	evaluation.SortFindings(out)
	return out, nil
}

// FindingsAsOf returns the as-of date of the stored findings (false when
// none were ever computed or none were found).
func (db *DB) FindingsAsOf(ctx context.Context) (metering.Date, bool, error) {
	var d metering.NullDate
	if err := db.GetContext(ctx, &d, `SELECT max(as_of) FROM findings`); err != nil {
		return 0, false, fmt.Errorf("read findings: %w", err)
	}
	return d.Date, d.Valid, nil
}

// ScanActivity is the benchmark's yardstick: one full scan of the activity
// rows (SELECT count(*), sum(net_in_bytes) FROM activity). It returns the
// row count.
func (db *DB) ScanActivity(ctx context.Context) (int64, error) {
	var n int64
	var sum any
	if err := db.QueryRowContext(ctx, `SELECT count(*), sum(net_in_bytes) FROM activity`).Scan(&n, &sum); err != nil {
		return 0, fmt.Errorf("scan activity: %w", err)
	}
	return n, nil
}
