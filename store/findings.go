package store

import (
	"bytes"
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
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"cloudbill/evaluation"
	"cloudbill/metering"
)

// FindingsTrace, when set, receives the time of each phase of
// RefreshFindings (cloudbill findings --measure sets it).
var FindingsTrace io.Writer

// RefreshFindings recomputes the resource-use findings as of asOf and
// replaces the findings table with them, all in one transaction. The
// metering tables are read in two set-based passes, never one query per
// resource, and Go computes the findings and their money from the result:
//
//  1. the idle activity days (one scan of activity with a filter that
//     keeps only idle candidates), joined into runs of consecutive days;
//  2. the usage rows up to asOf as runs of consecutive days with one
//     quantity per (resource, item). PostgreSQL: one grouped pass per
//     (resource, item, quantity) giving count, first and last day — a
//     group whose count fills its days is a run — then the days of the few
//     groups with holes, by primary key. SQLite: one pass in primary key
//     order, folded into runs while reading.
//
// The two passes run side by side on two connections. It returns the
// findings written.
func (db *DB) RefreshFindings(ctx context.Context, p evaluation.Policy, asOf metering.Date) ([]evaluation.Finding, error) {
	t0 := time.Now()
	lap := func(phase string) {
		if FindingsTrace != nil {
			fmt.Fprintf(FindingsTrace, "findings %-9s %.3fs\n", phase, time.Since(t0).Seconds())
		}
		t0 = time.Now()
	}
	type usage struct {
		runs []evaluation.UsageRun
		err  error
		took time.Duration
	}
	usec := make(chan usage, 1)
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.Now()
		runs, err := db.usageRuns(uctx, asOf)
		usec <- usage{runs, err, time.Since(t)}
	}()
	places, err := db.ResourcePlaces(ctx)
	if err != nil {
		return nil, err
	}
	events, err := db.findingEvents(ctx, asOf)
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	det := evaluation.NewDetector(places, events, versions, p, asOf)
	lap("reference")
	var out []evaluation.Finding
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.idleRuns(ctx, tx, det, places, p, asOf); err != nil {
			return fmt.Errorf("idle runs: %w", err)
		}
		lap("idle")
		u := <-usec
		if u.err != nil {
			return fmt.Errorf("usage runs: %w", u.err)
		}
		if FindingsTrace != nil {
			fmt.Fprintf(FindingsTrace, "findings (usage pass alone %.3fs, %d runs)\n", u.took.Seconds(), len(u.runs))
		}
		for _, r := range u.runs {
			det.AddUsageRun(r)
		}
		lap("usage")
		out = det.Findings()
		lap("detect")
		defer lap("write")
		return db.replaceFindings(ctx, tx, out, asOf)
	})
	if err != nil {
		return nil, fmt.Errorf("refresh findings as of %s: %w", asOf, err)
	}
	return out, nil
}

// findingEvents returns the events that shape the findings (approvals,
// confirmations, releases) dated on or before asOf, in no order.
func (db *DB) findingEvents(ctx context.Context, asOf metering.Date) ([]metering.Event, error) {
	return db.queryEvents(ctx, db.Rebind(`SELECT resource_id, event, at, day, item_code, quantity, ref FROM events
	WHERE day <= ? AND event IN ('approved', 'changed', 'confirmed', 'released')`), asOf)
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
	// Every idle day is quiet on the network (compute with low CPU, or
	// network) or belongs to a storage resource with an empty disk. The
	// kinds are tested by hashed subplans, reached only for the few rows
	// whose metrics pass: no join, and most rows are discarded at the scan
	// by one integer comparison and one decimal comparison.
	net := `a.net_in_bytes + a.net_out_bytes < ?`
	inKinds := func(kinds []any) string {
		return `a.resource_id IN (SELECT id FROM resources WHERE kind IN ` + inList(len(kinds)) + `)`
	}
	if db.Engine == EnginePostgres {
		q := `SELECT resource_id, min(day), max(day) FROM (
	SELECT a.resource_id, a.day, a.day - CAST(row_number() OVER (PARTITION BY a.resource_id ORDER BY a.day) AS integer) AS grp
	FROM activity a
	WHERE a.day <= ? AND ((` + net + ` AND (` + inKinds(netw) + ` OR (a.cpu_avg_pct < ? AND a.cpu_max_pct < ? AND ` + inKinds(comp) + `)))
		OR (a.disk_used_pct < ? AND ` + inKinds(stor) + `))
) x GROUP BY resource_id, grp`
		args := []any{asOf, p.IdleNetBytesBelow}
		args = append(append(args, netw...), Dec(p.IdleCPUAvgBelow), Dec(p.IdleCPUMaxBelow))
		args = append(append(args, comp...), Dec(p.IdleDiskUsedBelow))
		args = append(args, stor...)
		if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
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
	// checks each candidate exactly, with the resource's family, before
	// joining days into runs. The table is clustered by (resource_id,
	// day): the order needs no sort.
	up := func(d decimal.Decimal) float64 {
		f, _ := strconv.ParseFloat(d.String(), 64)
		return math.Nextafter(f, math.Inf(1))
	}
	family := make(map[string]metering.Family, len(places))
	for _, pl := range places {
		family[pl.ResourceID], _ = pl.Kind.Family()
	}
	q := `SELECT a.resource_id, a.day, a.cpu_avg_pct, a.cpu_max_pct, a.disk_used_pct, a.net_in_bytes + a.net_out_bytes
	FROM activity a
	WHERE a.day <= ? AND ((` + net + ` AND (` + inKinds(netw) + ` OR (CAST(a.cpu_avg_pct AS REAL) <= ? AND CAST(a.cpu_max_pct AS REAL) <= ? AND ` + inKinds(comp) + `)))
		OR (CAST(a.disk_used_pct AS REAL) <= ? AND ` + inKinds(stor) + `))
	ORDER BY a.resource_id, a.day`
	args := []any{asOf, p.IdleNetBytesBelow}
	args = append(append(args, netw...), up(p.IdleCPUAvgBelow), up(p.IdleCPUMaxBelow))
	args = append(append(args, comp...), up(p.IdleDiskUsedBelow))
	args = append(args, stor...)
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
		var id, cpuAvg, cpuMax, disk string
		var day metering.Date
		var net int64
		if err := rows.Scan(&id, &day, &cpuAvg, &cpuMax, &disk, &net); err != nil {
			return err
		}
		if !p.IdleActivity(family[id], decOrMax(cpuAvg), decOrMax(cpuMax), decOrMax(disk), net) {
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

// usageRuns returns the usage rows up to asOf as runs of consecutive days
// of one quantity per (resource, item), read on a connection of its own so
// that it can run beside the reference reads and the idle pass.
func (db *DB) usageRuns(ctx context.Context, asOf metering.Date) ([]evaluation.UsageRun, error) {
	if db.Engine == EnginePostgres {
		return db.usageRunsPostgres(ctx, asOf)
	}
	return db.usageRunsSQLite(ctx, asOf)
}

// usageGroup is one (resource, item, quantity) of usage: n rows between
// first and last.
type usageGroup struct {
	q           decimal.Decimal
	n           int
	first, last metering.Date
}

// pairKey is a (resource, item).
type pairKey struct{ res, item string }

func (db *DB) usageRunsPostgres(ctx context.Context, asOf metering.Date) ([]evaluation.UsageRun, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var approvals int
	if err := tx.GetContext(ctx, &approvals, `SELECT count(*) FROM events WHERE event IN ('approved', 'changed')`); err != nil {
		return nil, err
	}
	// One parallel scan of usage, hash-aggregated per (resource, item,
	// quantity): a few groups per pair. The planner's estimate of the
	// groups is far too high; a work_mem near the real size keeps the hash
	// table small (a larger one is slower: cache misses; about 150 bytes a
	// group, twice that with hash_mem_multiplier), and sorting or index
	// scans are never better for this pass.
	kb := max(4096, approvals/8)
	for _, set := range []string{fmt.Sprintf(`SET LOCAL work_mem = '%dkB'`, kb), `SET LOCAL jit = off`,
		`SET LOCAL enable_sort = off`, `SET LOCAL enable_indexscan = off`, `SET LOCAL enable_indexonlyscan = off`, `SET LOCAL enable_bitmapscan = off`} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT resource_id, item_code, quantity, count(*), min(day), max(day)
	FROM usage WHERE day <= $1 GROUP BY resource_id, item_code, quantity`, asOf)
	if err != nil {
		return nil, err
	}
	groups := map[pairKey][]usageGroup{}
	for rows.Next() {
		var k pairKey
		var g usageGroup
		if err := rows.Scan(&k.res, &k.item, &g.q, &g.n, &g.first, &g.last); err != nil {
			rows.Close()
			return nil, err
		}
		groups[k] = append(groups[k], g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []evaluation.UsageRun
	var holes, mixed []pairKey // days needed; days and quantities needed
	for k, gs := range groups {
		sort.Slice(gs, func(i, j int) bool { return gs[i].first < gs[j].first })
		partial, disjoint := 0, true
		for i, g := range gs {
			if g.n != g.last.Sub(g.first)+1 {
				partial++
			}
			disjoint = disjoint && (i == 0 || gs[i-1].last < g.first)
		}
		switch {
		case partial == 0 && disjoint:
			for _, g := range gs {
				out = append(out, evaluation.UsageRun{ResourceID: k.res, ItemCode: k.item, First: g.first, Last: g.last, Quantity: g.q})
			}
		case partial <= 1:
			// A full group has a row on every day of its span, so a day
			// inside one is its; the other days are the partial group's.
			holes = append(holes, k)
		default:
			mixed = append(mixed, k)
		}
	}
	// The days of the pairs with holes, by primary key (an index-only
	// scan); the quantities, from the heap, only where two groups with
	// holes overlap.
	for _, set := range []string{`SET LOCAL enable_indexscan = on`, `SET LOCAL enable_indexonlyscan = on`, `SET LOCAL enable_sort = on`,
		`SET LOCAL enable_hashjoin = off`, `SET LOCAL enable_mergejoin = off`} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return nil, err
		}
	}
	err = db.pairDays(ctx, tx, holes, asOf, false, func(k pairKey, days []metering.Date, _ []decimal.Decimal) {
		gs := groups[k]
		rest := gs[0].q
		for _, g := range gs {
			if g.n != g.last.Sub(g.first)+1 {
				rest = g.q
			}
		}
		qs := make([]decimal.Decimal, len(days))
		for i, d := range days {
			qs[i] = rest
			for _, g := range gs {
				if g.first <= d && d <= g.last && g.n == g.last.Sub(g.first)+1 {
					qs[i] = g.q
					break
				}
			}
		}
		out = appendRuns(out, k, days, qs)
	})
	if err != nil {
		return nil, err
	}
	err = db.pairDays(ctx, tx, mixed, asOf, true, func(k pairKey, days []metering.Date, qs []decimal.Decimal) {
		out = appendRuns(out, k, days, qs)
	})
	return out, err
}

// pairDays reads the usage days (and quantities, when withQty) up to asOf
// of the given pairs, by primary key, and calls fn once per pair with its
// days in order.
func (db *DB) pairDays(ctx context.Context, tx *sqlx.Tx, pairs []pairKey, asOf metering.Date, withQty bool, fn func(pairKey, []metering.Date, []decimal.Decimal)) error {
	if len(pairs) == 0 {
		return nil
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].res != pairs[j].res {
			return pairs[i].res < pairs[j].res
		}
		return pairs[i].item < pairs[j].item
	})
	res := make([]string, len(pairs))
	items := make([]string, len(pairs))
	for i, k := range pairs {
		res[i], items[i] = k.res, k.item
	}
	qcol := `NULL::numeric`
	if withQty {
		qcol = `u.quantity`
	}
	rows, err := tx.QueryContext(ctx, `SELECT p.r, p.i, u.day, `+qcol+`
	FROM unnest($1::text[], $2::text[]) AS p(r, i) JOIN usage u ON u.resource_id = p.r AND u.item_code = p.i
	WHERE u.day <= $3`, pq.Array(res), pq.Array(items), asOf)
	if err != nil {
		return err
	}
	defer rows.Close()
	type dayQ struct {
		d metering.Date
		q decimal.Decimal
	}
	got := map[pairKey][]dayQ{}
	for rows.Next() {
		var k pairKey
		var x dayQ
		var q decimal.NullDecimal
		if err := rows.Scan(&k.res, &k.item, &x.d, &q); err != nil {
			return err
		}
		x.q = q.Decimal
		got[k] = append(got[k], x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range pairs {
		xs := got[k]
		sort.Slice(xs, func(i, j int) bool { return xs[i].d < xs[j].d })
		days := make([]metering.Date, len(xs))
		qs := make([]decimal.Decimal, len(xs))
		for i, x := range xs {
			days[i], qs[i] = x.d, x.q
		}
		fn(k, days, qs)
	}
	return nil
}

// appendRuns folds the ordered days and quantities of one pair into runs.
func appendRuns(out []evaluation.UsageRun, k pairKey, days []metering.Date, qs []decimal.Decimal) []evaluation.UsageRun {
	start := len(out)
	for i, d := range days {
		if n := len(out); n > start && out[n-1].Last.AddDays(1) == d && out[n-1].Quantity.Equal(qs[i]) {
			out[n-1].Last = d
			continue
		}
		out = append(out, evaluation.UsageRun{ResourceID: k.res, ItemCode: k.item, First: d, Last: d, Quantity: qs[i]})
	}
	return out
}

func (db *DB) usageRunsSQLite(ctx context.Context, asOf metering.Date) ([]evaluation.UsageRun, error) {
	// The table is clustered by (resource_id, item_code, day), so grouping
	// by the pair streams in that order without a sort. A pair with one
	// quantity and a row on every day between its first and last is one
	// run; the rows of the other pairs are read again, in the same order,
	// and folded into runs as they stream by.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT resource_id, item_code, count(*), min(day), max(day), min(quantity), max(quantity)
	FROM usage WHERE day <= ? GROUP BY resource_id, item_code`, asOf.String())
	if err != nil {
		return nil, err
	}
	var out []evaluation.UsageRun
	var others [][]any
	for rows.Next() {
		var k pairKey
		var n int
		var first, last metering.Date
		var qmin, qmax string
		if err := rows.Scan(&k.res, &k.item, &n, &first, &last, &qmin, &qmax); err != nil {
			rows.Close()
			return nil, err
		}
		if qmin != qmax || n != last.Sub(first)+1 {
			others = append(others, []any{k.res, k.item})
			continue
		}
		q, err := decimal.NewFromString(qmin)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("usage quantity %q: %w", qmin, err)
		}
		out = append(out, evaluation.UsageRun{ResourceID: k.res, ItemCode: k.item, First: first, Last: last, Quantity: q})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(others) == 0 {
		return out, nil
	}
	if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.finding_pairs`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE finding_pairs (resource_id TEXT NOT NULL, item_code TEXT NOT NULL, PRIMARY KEY (resource_id, item_code)) WITHOUT ROWID`); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.finding_pairs`)
	for start := 0; start < len(others); start += 400 {
		end := min(start+400, len(others))
		args := make([]any, 0, 2*(end-start))
		for _, o := range others[start:end] {
			args = append(args, o...)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO finding_pairs (resource_id, item_code) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", end-start), ", "), args...); err != nil {
			return nil, err
		}
	}
	// Raw bytes avoid an allocation per row; a quantity is parsed only
	// where a run starts.
	rows, err = conn.QueryContext(ctx, `SELECT u.resource_id, u.item_code, u.day, u.quantity FROM finding_pairs p
	JOIN usage u ON u.resource_id = p.resource_id AND u.item_code = p.item_code
	WHERE u.day <= ? ORDER BY p.resource_id, p.item_code, u.day`, asOf.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var res, item, day, qty sql.RawBytes
	var curRes, curItem, curQty []byte
	var resID, itemCode string
	var cur *evaluation.UsageRun
	for rows.Next() {
		if err := rows.Scan(&res, &item, &day, &qty); err != nil {
			return nil, err
		}
		d, ok := parseDay(day)
		if !ok {
			return nil, fmt.Errorf("usage day %q is not a date", day)
		}
		if cur != nil && cur.Last.AddDays(1) == d && bytes.Equal(qty, curQty) && bytes.Equal(item, curItem) && bytes.Equal(res, curRes) {
			cur.Last = d
			continue
		}
		q, err := decimal.NewFromString(string(qty))
		if err != nil {
			return nil, fmt.Errorf("usage quantity %q: %w", qty, err)
		}
		if !bytes.Equal(res, curRes) {
			curRes, resID = append(curRes[:0], res...), string(res)
		}
		if !bytes.Equal(item, curItem) {
			curItem, itemCode = append(curItem[:0], item...), string(item)
		}
		curQty = append(curQty[:0], qty...)
		out = append(out, evaluation.UsageRun{ResourceID: resID, ItemCode: itemCode, First: d, Last: d, Quantity: q})
		cur = &out[len(out)-1]
	}
	return out, rows.Err()
}

// parseDay parses YYYY-MM-DD with civil-calendar arithmetic (no time
// package): false when b is not such a date.
func parseDay(b []byte) (metering.Date, bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	// days from civil (H. Hinnant): days since 1970-01-01
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return metering.Date(era*146097 + doe - 719468), true
}

var findingColumns = []string{"kind", "district_code", "department_code", "system_id", "resource_id", "item_code", "first_day", "last_day", "days", "amount", "action", "as_of"}

func (db *DB) replaceFindings(ctx context.Context, tx *sqlx.Tx, fs []evaluation.Finding, asOf metering.Date) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM findings`); err != nil {
		return fmt.Errorf("clear findings: %w", err)
	}
	if db.Engine == EnginePostgres {
		// one statement: the columns as arrays
		cols := make([][]string, len(findingColumns))
		for _, f := range fs {
			for j, v := range []string{string(f.Kind), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode,
				f.FirstDay.String(), f.LastDay.String(), strconv.Itoa(f.Days), f.Amount.StringFixed(2), f.Action, asOf.String()} {
				cols[j] = append(cols[j], v)
			}
		}
		args := make([]any, len(cols))
		for j := range cols {
			args[j] = pq.Array(cols[j])
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO findings (`+strings.Join(findingColumns, ", ")+`)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::date[], $9::integer[], $10::numeric[], $11::text[], $12::date[])`, args...)
		if err != nil {
			return fmt.Errorf("insert findings: %w", err)
		}
		return nil
	}
	rows := make([][]any, len(fs))
	for i, f := range fs {
		rows[i] = []any{string(f.Kind), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode, f.FirstDay, f.LastDay, f.Days, f.Amount.StringFixed(2), f.Action, asOf}
	}
	return db.insertRows(ctx, tx, "findings", findingColumns, rows)
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
