package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/metering"
)

// phaseTimer returns lap: each call writes to w, when w is set, the time
// since the previous call (or since phaseTimer) under prefix and phase.
func phaseTimer(w io.Writer, prefix string) func(phase string) {
	t0 := time.Now()
	return func(phase string) {
		if w != nil {
			fmt.Fprintf(w, "%s %-9s %.3fs\n", prefix, phase, time.Since(t0).Seconds())
		}
		t0 = time.Now()
	}
}

// YearSegments reads the events and the catalogue and cuts year into
// billing segments (billing.Segments).
func (db *DB) YearSegments(ctx context.Context, year int) ([]billing.Segment, error) {
	events, err := db.LifecycleEvents(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, err
	}
	return billing.Segments(year, events, versions), nil
}

// UsageMonths streams the year's usage_months rows to fn, in no
// particular order: the facts settlement rates (billing.Tally matches them
// with the billing segments and counts their days).
func (db *DB) UsageMonths(ctx context.Context, year int, fn func(billing.UsageMonth) error) error {
	y0, y1 := metering.YearStart(year), metering.YearEnd(year)
	rows, err := db.QueryContext(ctx, db.Rebind(`SELECT resource_id, item_code, `+db.dayNumber("month")+`, quantity, days FROM usage_months WHERE month >= ? AND month < ?`), y0, y1)
	if err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m billing.UsageMonth
		var days int64
		if err := rows.Scan(&m.ResourceID, &m.ItemCode, &m.Month, &m.Quantity, &days); err != nil {
			return fmt.Errorf("usage of %d: %w", year, err)
		}
		m.Days = uint32(days)
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage of %d: %w", year, err)
	}
	return nil
}

// firstOfMonth is the first day of d's month.
func firstOfMonth(d metering.Date) metering.Date { return metering.NewDate(d.Year(), d.Month(), 1) }

// Placements maps every resource to its provider, district, department and system.
func (db *DB) Placements(ctx context.Context) (map[string]billing.Placement, error) {
	rows, err := db.QueryxContext(ctx, `
SELECT r.id, r.provider_code, d.district_code, s.department_code, r.system_id
FROM resources r JOIN systems s ON s.id = r.system_id JOIN departments d ON d.code = s.department_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]billing.Placement{}
	for rows.Next() {
		var id string
		var p billing.Placement
		if err := rows.Scan(&id, &p.ProviderCode, &p.DistrictCode, &p.DepartmentCode, &p.SystemID); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

// PriceVersions returns the whole catalogue.
func (db *DB) PriceVersions(ctx context.Context) ([]billing.PriceVersion, error) {
	var vs []billing.PriceVersion
	err := db.SelectContext(ctx, &vs, `SELECT item_code, category, name, unit, cycle, price, effective_from, effective_to, approval_ref FROM catalogue ORDER BY item_code, effective_from`)
	return vs, err
}

// ErrNoStatement is returned when a year has no statement (of that version).
var ErrNoStatement = errors.New("no statement")

// ErrIssued is returned when an issued statement would change.
var ErrIssued = errors.New("statement already issued")

// SaveStatement stores st as the next version of its year, as a draft, in
// one transaction, and sets st.Version. When the latest version has the
// same fingerprint and the same department rows, nothing is stored and
// SaveStatement returns false.
func (db *DB) SaveStatement(ctx context.Context, st *billing.Statement) (bool, error) {
	evalJSON, err := json.Marshal(st.Providers)
	if err != nil {
		return false, err
	}
	saved := false
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if db.Engine == EnginePostgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7420012, $1)`, st.Year); err != nil {
				return err
			}
		}
		var last struct {
			Version int    `db:"version"`
			SHA     string `db:"sha256"`
			Eval    string `db:"evaluation"`
			Policy  string `db:"policy"`
		}
		err := tx.GetContext(ctx, &last, db.Rebind(`SELECT version, sha256, evaluation, policy FROM statements WHERE year = ? ORDER BY version DESC LIMIT 1`), st.Year)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case last.SHA == st.SHA256 && last.Eval == string(evalJSON) && last.Policy == st.Policy:
			st.Version = last.Version
			return nil
		}
		st.Version = last.Version + 1
		st.Status = billing.StatementStatusDraft
		if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			st.Year, st.Version, string(st.Status), db.Instant(st.CreatedAt), st.SHA256, st.Policy, string(evalJSON), Dec(st.Gross), Dec(st.Net)); err != nil {
			return fmt.Errorf("insert statement: %w", err)
		}
		var lines, runs, deps, dists [][]any
		for _, l := range st.Lines {
			lines = append(lines, []any{st.Year, st.Version, l.ProviderCode, l.DistrictCode, l.DepartmentCode, l.SystemID, l.ResourceID, l.ItemCode, l.BillableDays, Dec(l.QuantityDays), l.Gross.StringFixed(2)})
			for _, r := range l.Runs {
				runs = append(runs, []any{st.Year, st.Version, r.ResourceID, r.ItemCode, r.EffectiveFrom, Dec(r.Price), string(r.Cycle), r.ApprovalRef, Dec(r.Quantity), r.Days, r.CycleDays, r.Month, Dec(r.Amount)})
			}
		}
		for _, d := range st.Departments {
			deps = append(deps, []any{st.Year, st.Version, d.ProviderCode, d.DistrictCode, d.DepartmentCode, d.Gross.StringFixed(2), Dec(d.Coefficient), d.Net.StringFixed(2)})
		}
		for _, d := range st.Districts {
			dists = append(dists, []any{st.Year, st.Version, d.DistrictCode, d.Gross.StringFixed(2), d.Net.StringFixed(2)})
		}
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"statement_lines", []string{"year", "version", "provider_code", "district_code", "department_code", "system_id", "resource_id", "item_code", "billable_days", "quantity_days", "gross"}, lines},
			{"statement_runs", []string{"year", "version", "resource_id", "item_code", "effective_from", "price", "cycle", "approval_ref", "quantity", "days", "cycle_days", "month", "amount"}, runs},
			{"statement_departments", []string{"year", "version", "provider_code", "district_code", "department_code", "gross", "coefficient", "net"}, deps},
			{"statement_districts", []string{"year", "version", "district_code", "gross", "net"}, dists},
		} {
			if err := db.insertRows(ctx, tx, t.table, t.cols, t.rows); err != nil {
				return err
			}
		}
		saved = true
		return nil
	})
	return saved, err
}

// insertRows inserts rows: COPY on PostgreSQL, multi-row INSERT
// statements on SQLite.
func (db *DB) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	if db.Engine != EnginePostgres || len(rows) == 0 {
		_, err := db.upsert(ctx, tx, table, cols, nil, false, rows)
		return err
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s) FROM STDIN`, table, strings.Join(cols, ", ")))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		for i, v := range r {
			if d, ok := v.(metering.Date); ok {
				r[i] = d.String()
			}
		}
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return stmt.Close()
}

// StatementVersions lists the versions of a year, newest first.
func (db *DB) StatementVersions(ctx context.Context, year int) ([]int, error) {
	var vs []int
	err := db.SelectContext(ctx, &vs, db.Rebind(`SELECT version FROM statements WHERE year = ? ORDER BY version DESC`), year)
	return vs, err
}

// Statement reads version of year (0: the latest), with all its rows.
func (db *DB) Statement(ctx context.Context, year, version int) (*billing.Statement, error) {
	if version == 0 {
		vs, err := db.StatementVersions(ctx, year)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("%d: %w (run cloudbill settle --year %d)", year, ErrNoStatement, year)
		}
		version = vs[0]
	}
	var h struct {
		Status    string          `db:"status"`
		CreatedAt Instant         `db:"created_at"`
		IssuedAt  Instant         `db:"issued_at"`
		SHA       string          `db:"sha256"`
		Policy    string          `db:"policy"`
		Eval      string          `db:"evaluation"`
		Gross     decimal.Decimal `db:"gross"`
		Net       decimal.Decimal `db:"net"`
	}
	err := db.GetContext(ctx, &h, db.Rebind(`SELECT status, created_at, issued_at, sha256, policy, evaluation, gross, net FROM statements WHERE year = ? AND version = ?`), year, version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%d version %d: %w", year, version, ErrNoStatement)
	}
	if err != nil {
		return nil, err
	}
	st := &billing.Statement{Year: year, Version: version, Status: billing.StatementStatus(h.Status), CreatedAt: h.CreatedAt.Time, IssuedAt: h.IssuedAt.Time,
		SHA256: h.SHA, Policy: h.Policy, Gross: h.Gross, Net: h.Net}
	if err := json.Unmarshal([]byte(h.Eval), &st.Providers); err != nil {
		return nil, fmt.Errorf("statement %d v%d evaluation: %w", year, version, err)
	}
	args := []any{year, version}
	if err := db.SelectContext(ctx, &st.Lines, db.Rebind(`SELECT provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, gross
FROM statement_lines WHERE year = ? AND version = ?`), args...); err != nil {
		return nil, err
	}
	billing.SortLines(st.Lines)
	var runs []billing.Run
	if err := db.SelectContext(ctx, &runs, db.Rebind(`SELECT resource_id, item_code, effective_from, price, cycle, approval_ref, quantity, days, cycle_days, month, amount
FROM statement_runs WHERE year = ? AND version = ? ORDER BY resource_id, item_code, effective_from, month, quantity`), args...); err != nil {
		return nil, err
	}
	idx := map[[2]string]int{}
	for i, l := range st.Lines {
		idx[[2]string{l.ResourceID, l.ItemCode}] = i
	}
	for _, r := range runs {
		if i, ok := idx[[2]string{r.ResourceID, r.ItemCode}]; ok {
			st.Lines[i].Runs = append(st.Lines[i].Runs, r)
		}
	}
	if err := db.SelectContext(ctx, &st.Departments, db.Rebind(`SELECT provider_code, district_code, department_code, gross, coefficient, net
FROM statement_departments WHERE year = ? AND version = ? ORDER BY district_code, department_code, provider_code`), args...); err != nil {
		return nil, err
	}
	if err := db.SelectContext(ctx, &st.Districts, db.Rebind(`SELECT district_code, gross, net FROM statement_districts WHERE year = ? AND version = ? ORDER BY district_code`), args...); err != nil {
		return nil, err
	}
	return st, nil
}

// IssueStatement freezes the latest version of year, which must be a draft.
func (db *DB) IssueStatement(ctx context.Context, year int, at time.Time) (int, error) {
	var version int
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var last struct {
			Version int    `db:"version"`
			Status  string `db:"status"`
		}
		err := tx.GetContext(ctx, &last, db.Rebind(`SELECT version, status FROM statements WHERE year = ? ORDER BY version DESC LIMIT 1`), year)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%d: %w (run cloudbill settle --year %d first)", year, ErrNoStatement, year)
		}
		if err != nil {
			return err
		}
		version = last.Version
		if last.Status == string(billing.StatementStatusIssued) {
			return fmt.Errorf("%d version %d: %w", year, last.Version, ErrIssued)
		}
		_, err = tx.ExecContext(ctx, db.Rebind(`UPDATE statements SET status = 'issued', issued_at = ? WHERE year = ? AND version = ? AND status = 'draft'`),
			db.Instant(at), year, last.Version)
		return err
	})
	return version, err
}

// ScanUsage reads every usage row of year once (count and sum): the
// yardstick the settlement benchmark compares itself with.
func (db *DB) ScanUsage(ctx context.Context, year int) (int64, error) {
	var n int64
	var sum sql.NullString
	err := db.QueryRowxContext(ctx, db.Rebind(`SELECT count(*), CAST(sum(quantity) AS TEXT) FROM usage WHERE day >= ? AND day < ?`),
		metering.YearStart(year), metering.YearEnd(year)).Scan(&n, &sum)
	return n, err
}
