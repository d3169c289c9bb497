package store

import (
	"context"
	"fmt"
	"math"
	"math/bits"
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

// RefreshFindings recomputes the resource-use findings as of asOf and
// replaces the findings table with them, all in one transaction. The
// metering tables are read in two set-based passes, never one query per
// resource, and Go computes the findings and their money from the result:
//
//  1. the idle activity days (one scan of activity with a filter that
//     keeps only idle candidates), joined into runs of consecutive days;
//  2. the usage up to asOf as runs of consecutive days with one quantity
//     per (resource, item), folded from the usage_months day bits in one
//     pass over the summary in key order.
//
// The two passes run side by side on two connections. It returns the
// findings written.
func (db *DB) RefreshFindings(ctx context.Context, p evaluation.Policy, asOf metering.Date) ([]evaluation.Finding, error) {
	lap := db.phaseTimer("findings")
	trace := db.aloneTimer("findings")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type usage struct {
		runs []evaluation.UsageRun
		err  error
		took time.Duration
	}
	usec := make(chan usage, 1)
	go func() {
		t := time.Now()
		runs, err := db.usageRuns(ctx, asOf)
		usec <- usage{runs, err, time.Since(t)}
	}()
	type reference struct {
		det  *evaluation.Detector
		err  error
		took time.Duration
	}
	refc := make(chan reference, 1)
	go func() {
		t := time.Now()
		det, err := db.findingDetector(ctx, p, asOf)
		refc <- reference{det, err, time.Since(t)}
	}()
	var out []evaluation.Finding
	err := db.inTxDetached(ctx, func(tx *sqlx.Tx) error { // COPY: see inTxDetached
		idle, err := db.idleRuns(ctx, tx, p, asOf)
		if err != nil {
			return fmt.Errorf("idle runs: %w", err)
		}
		lap("idle")
		ref := <-refc
		if ref.err != nil {
			return ref.err
		}
		trace("reference", ref.took)
		for _, r := range idle {
			ref.det.AddIdleRun(r.id, r.first, r.last)
		}
		u := <-usec
		if u.err != nil {
			return fmt.Errorf("usage runs: %w", u.err)
		}
		trace(fmt.Sprintf("usage pass, %d runs,", len(u.runs)), u.took)
		for _, r := range u.runs {
			ref.det.AddUsageRun(r)
		}
		lap("wait")
		out = ref.det.Findings()
		lap("detect")
		defer lap("write")
		return db.replaceFindings(ctx, tx, out, asOf)
	})
	if err != nil {
		return nil, fmt.Errorf("refresh findings as of %s: %w", asOf, err)
	}
	return out, nil
}

// findingDetector reads what the findings are measured against: where
// each resource sits, the lifecycle events, the catalogue.
func (db *DB) findingDetector(ctx context.Context, p evaluation.Policy, asOf metering.Date) (*evaluation.Detector, error) {
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
	return evaluation.NewDetector(places, events, versions, p, asOf), nil
}

// findingEvents returns the events that shape the findings (approvals,
// confirmations, releases) dated on or before asOf, in no order.
func (db *DB) findingEvents(ctx context.Context, asOf metering.Date) ([]metering.Event, error) {
	return db.queryEvents(ctx, db.pool.Rebind(`SELECT `+db.eventColumns()+` FROM events
	WHERE day <= ? AND event IN ('approved', 'changed', 'confirmed', 'released')`), asOf)
}

// kindsOf lists the kinds of family f as query arguments.
func kindsOf(f metering.Family) []any {
	var out []any
	for _, k := range metering.KindsOf(f) {
		out = append(out, string(k))
	}
	return out
}

// idleRun is a run of consecutive idle activity days of one resource.
type idleRun struct {
	id          string
	first, last metering.Date
}

// inList is "(?, ?, …)" for n values, or "(NULL)" for none.
func inList(n int) string {
	if n == 0 {
		return "(NULL)"
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// roundUp is d as the next float64 above it: a REAL bound that no
// exactly-smaller decimal exceeds.
func roundUp(d decimal.Decimal) float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return math.Nextafter(f, math.Inf(1))
}

// forRuns calls fn with each run of consecutive days set in days, the bits
// of the month starting on month, up to asOf.
func forRuns(days uint32, month, asOf metering.Date, fn func(first, last metering.Date)) {
	if last := asOf.Sub(month); last < 31 {
		days &= uint32(uint64(1)<<max(last+1, 0) - 1) // no day after asOf
	}
	for days != 0 {
		from := bits.TrailingZeros32(days)
		n := bits.TrailingZeros32(^(days >> from))
		fn(month.AddDays(from), month.AddDays(from+n-1))
		days &^= uint32((uint64(1)<<n - 1) << from)
	}
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

// usageRuns returns the usage up to asOf as runs of consecutive days of
// one quantity per (resource, item), folded from the usage_months bits in
// one pass over the summary in key order (about a thirtieth of the usage
// rows). It uses a connection of its own, so that it can run beside the
// reference reads and the idle pass.
func (db *DB) usageRuns(ctx context.Context, asOf metering.Date) ([]evaluation.UsageRun, error) {
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT resource_id, item_code, `+db.dialect.dayNumber("month")+`, quantity, days
	FROM usage_months WHERE month <= ? ORDER BY resource_id, item_code, month`), asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out        []evaluation.UsageRun
		pair       []evaluation.UsageRun // the runs of the current pair, by month and quantity
		res, item  string
		quantities = map[string]decimal.Decimal{}
	)
	// flush joins the pair's runs that continue each other (across a month
	// end) and appends them to out.
	flush := func() {
		sort.Slice(pair, func(i, j int) bool { return pair[i].First < pair[j].First })
		start := len(out)
		for _, r := range pair {
			if n := len(out); n > start && out[n-1].Last.AddDays(1) == r.First && out[n-1].Quantity.Equal(r.Quantity) {
				out[n-1].Last = r.Last
				continue
			}
			out = append(out, r)
		}
		pair = pair[:0]
	}
	for rows.Next() {
		var (
			r, i, qtext string
			month       metering.Date
			days        int64
		)
		if err := rows.Scan(&r, &i, &month, &qtext, &days); err != nil {
			return nil, err
		}
		if r != res || i != item {
			flush()
			res, item = r, i
		}
		q, ok := quantities[qtext]
		if !ok {
			if q, err = decimal.NewFromString(qtext); err != nil {
				return nil, fmt.Errorf("usage of %s %s in %s: quantity %q: %w", r, i, month, qtext, err)
			}
			quantities[qtext] = q
		}
		forRuns(uint32(days), month, asOf, func(first, last metering.Date) {
			pair = append(pair, evaluation.UsageRun{ResourceID: res, ItemCode: item, First: first, Last: last, Quantity: q})
		})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

var findingColumns = []string{"kind", "district_code", "department_code", "system_id", "resource_id", "item_code", "first_day", "last_day", "days", "amount", "action", "as_of"}

func (db *DB) replaceFindings(ctx context.Context, tx *sqlx.Tx, fs []evaluation.Finding, asOf metering.Date) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM findings`); err != nil {
		return fmt.Errorf("clear findings: %w", err)
	}
	if db.dialect.arrays {
		// one statement: the columns as arrays
		cols := make([][]string, len(findingColumns))
		for _, f := range fs {
			for j, v := range []string{string(f.Kind), f.DistrictCode, f.DepartmentCode, f.SystemID, f.ResourceID, f.ItemCode,
				f.FirstDay.String(), f.LastDay.String(), strconv.Itoa(f.Days), f.Amount.StringFixed(2), string(f.Action), asOf.String()} {
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
	rows, err := db.pool.QueryContext(ctx, db.pool.Rebind(`SELECT kind, district_code, department_code, system_id, resource_id, item_code, first_day, last_day, days, amount, action
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
	if err := db.pool.GetContext(ctx, &d, `SELECT max(as_of) FROM findings`); err != nil {
		return 0, false, fmt.Errorf("read findings: %w", err)
	}
	return d.Date, d.Valid, nil
}
