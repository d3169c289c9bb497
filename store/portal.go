package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/billing"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

// The review portal's read queries (docs/portal.md). Each reads what one
// page shows and no more: the portal never loads a whole statement to
// show one district of it.

// StatementYears lists the years that have a statement, newest first.
func (db *DB) StatementYears(ctx context.Context) ([]int, error) {
	var ys []int
	if err := db.pool.SelectContext(ctx, &ys, `SELECT DISTINCT year FROM statements ORDER BY year DESC`); err != nil {
		return nil, fmt.Errorf("list statement years: %w", err)
	}
	return ys, nil
}

// StatementVersion is one version of a year's statement, without its rows.
type StatementVersion struct {
	Year      int
	Version   int
	Status    billing.StatementStatus
	CreatedAt time.Time
	IssuedAt  time.Time // zero while draft
	SHA256    string
	Gross     decimal.Decimal
	Net       decimal.Decimal
}

// StatementVersionList lists year's versions, newest first.
func (db *DB) StatementVersionList(ctx context.Context, year int) ([]StatementVersion, error) {
	rows, err := db.portalQuery(ctx, `SELECT version, status, created_at, issued_at, sha256, gross, net FROM statements WHERE year = ? ORDER BY version DESC`, year)
	if err != nil {
		return nil, fmt.Errorf("list versions of %d: %w", year, err)
	}
	defer rows.Close()
	var out []StatementVersion
	for rows.Next() {
		v := StatementVersion{Year: year}
		var status string
		var created, issued Instant
		if err := rows.Scan(&v.Version, &status, &created, &issued, &v.SHA256, &v.Gross, &v.Net); err != nil {
			return nil, fmt.Errorf("list versions of %d: %w", year, err)
		}
		v.Status, v.CreatedAt, v.IssuedAt = billing.StatementStatus(status), created.Time, issued.Time
		out = append(out, v)
	}
	return out, rows.Err()
}

// StatementHead reads version of year with its district and department
// rows and the providers' evaluations, but not its lines.
func (db *DB) StatementHead(ctx context.Context, year, version int) (*billing.Statement, error) {
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
	err := db.pool.GetContext(ctx, &h, db.pool.Rebind(`SELECT status, created_at, issued_at, sha256, policy, evaluation, gross, net FROM statements WHERE year = ? AND version = ?`), year, version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%d version %d: %w", year, version, ErrNoStatement)
	}
	if err != nil {
		return nil, fmt.Errorf("read statement %d v%d: %w", year, version, err)
	}
	st := &billing.Statement{Year: year, Version: version, Status: billing.StatementStatus(h.Status), CreatedAt: h.CreatedAt.Time, IssuedAt: h.IssuedAt.Time,
		SHA256: h.SHA, Policy: h.Policy, Gross: h.Gross, Net: h.Net}
	if err := json.Unmarshal([]byte(h.Eval), &st.Providers); err != nil {
		return nil, fmt.Errorf("statement %d v%d evaluation: %w", year, version, err)
	}
	if err := db.pool.SelectContext(ctx, &st.Departments, db.pool.Rebind(`SELECT provider_code, district_code, department_code, gross, coefficient, net
FROM statement_departments WHERE year = ? AND version = ? ORDER BY district_code, department_code, provider_code`), year, version); err != nil {
		return nil, fmt.Errorf("read statement %d v%d departments: %w", year, version, err)
	}
	if err := db.pool.SelectContext(ctx, &st.Districts, db.pool.Rebind(`SELECT district_code, gross, net FROM statement_districts WHERE year = ? AND version = ? ORDER BY district_code`), year, version); err != nil {
		return nil, fmt.Errorf("read statement %d v%d districts: %w", year, version, err)
	}
	return st, nil
}

// Names are the names of the small reference tables, by code.
type Names struct {
	Districts   map[string]string
	Departments map[string]metering.Department
	Providers   map[string]string
}

// PortalNames reads the names of districts, departments and providers,
// in one query (every page reads them).
func (db *DB) PortalNames(ctx context.Context) (Names, error) {
	n := Names{Districts: map[string]string{}, Departments: map[string]metering.Department{}, Providers: map[string]string{}}
	rows, err := db.portalQuery(ctx, `SELECT 'district', code, name, '' FROM districts
UNION ALL SELECT 'department', code, name, district_code FROM departments
UNION ALL SELECT 'provider', code, name, '' FROM providers`)
	if err != nil {
		return n, fmt.Errorf("read names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, code, name, district string
		if err := rows.Scan(&table, &code, &name, &district); err != nil {
			return n, fmt.Errorf("read names: %w", err)
		}
		switch table {
		case "district":
			n.Districts[code] = name
		case "department":
			n.Departments[code] = metering.Department{Code: code, Name: name, DistrictCode: district}
		case "provider":
			n.Providers[code] = name
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read names: %w", err)
	}
	return n, nil
}

// CatalogueItems reads the latest price version of each catalogue item
// (its name, unit and category), by item code.
func (db *DB) CatalogueItems(ctx context.Context) (map[string]billing.PriceVersion, error) {
	vs, err := db.PriceVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	items := map[string]billing.PriceVersion{}
	for _, v := range vs { // ordered by item, effective_from: the latest wins
		items[v.ItemCode] = v
	}
	return items, nil
}

// LineFilter limits the lines read to a district, a department and a
// provider; an empty field does not limit.
type LineFilter struct {
	DistrictCode   string
	DepartmentCode string
	ProviderCode   string
}

// where returns the filter as fixed SQL fragments (each starting with
// AND, on table alias l) and their arguments.
func (f LineFilter) where() (string, []any) {
	var b strings.Builder
	var args []any
	for _, c := range []struct{ col, v string }{{"district_code", f.DistrictCode}, {"department_code", f.DepartmentCode}, {"provider_code", f.ProviderCode}} {
		if c.v != "" {
			b.WriteString(" AND l." + c.col + " = ?")
			args = append(args, c.v)
		}
	}
	return b.String(), args
}

// PortalLine is a statement line with the names of its resource and
// system.
type PortalLine struct {
	billing.Line
	ResourceName string        `db:"resource_name"`
	Kind         metering.Kind `db:"kind"`
	SystemName   string        `db:"system_name"`
	// The names of its department, district and provider: read by
	// StatementLine only (the lists leave them empty).
	DepartmentName string `db:"department_name"`
	DistrictName   string `db:"district_name"`
	ProviderName   string `db:"provider_name"`
}

const (
	portalLineSelect = `l.provider_code, l.district_code, l.department_code, l.system_id, l.resource_id, l.item_code, l.billable_days, l.quantity_days, l.gross,
	COALESCE(r.name, '') AS resource_name, COALESCE(r.kind, '') AS kind, COALESCE(s.name, '') AS system_name`
	portalLineFrom    = ` FROM statement_lines l LEFT JOIN resources r ON r.id = l.resource_id LEFT JOIN systems s ON s.id = l.system_id`
	portalLineColumns = portalLineSelect + portalLineFrom
)

// StatementLines reads the lines of version of year that f selects, in
// the canonical order (provider, district, department, system, resource,
// item), without their runs. An empty filter reads every line.
func (db *DB) StatementLines(ctx context.Context, year, version int, f LineFilter) ([]PortalLine, error) {
	where, args := f.where()
	var out []PortalLine
	err := db.pool.SelectContext(ctx, &out, db.pool.Rebind(`SELECT `+portalLineColumns+` WHERE l.year = ? AND l.version = ?`+where+`
ORDER BY l.provider_code, l.district_code, l.department_code, l.system_id, l.resource_id, l.item_code`), append([]any{year, version}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read lines of %d v%d: %w", year, version, err)
	}
	return out, nil
}

// StatementLine reads the line (resource, item) of version of year with
// its runs; ok is false when the version has no such line.
func (db *DB) StatementLine(ctx context.Context, year, version int, resource, item string) (l PortalLine, ok bool, err error) {
	var ls []PortalLine
	if err := db.portalSelect(ctx, &ls, `SELECT `+portalLineSelect+`,
	COALESCE(dp.name, '') AS department_name, COALESCE(di.name, '') AS district_name, COALESCE(pr.name, '') AS provider_name`+portalLineFrom+`
	LEFT JOIN departments dp ON dp.code = l.department_code LEFT JOIN districts di ON di.code = l.district_code LEFT JOIN providers pr ON pr.code = l.provider_code
	WHERE l.year = ? AND l.version = ? AND l.resource_id = ? AND l.item_code = ?`,
		year, version, resource, item); err != nil {
		return l, false, fmt.Errorf("read line %s %s of %d v%d: %w", resource, item, year, version, err)
	}
	if len(ls) == 0 {
		return l, false, nil
	}
	l = ls[0]
	if err := db.portalSelect(ctx, &l.Runs, `SELECT resource_id, item_code, effective_from, price, cycle, approval_ref, quantity, days, cycle_days, month, amount
FROM statement_runs WHERE year = ? AND version = ? AND resource_id = ? AND item_code = ? ORDER BY effective_from, month, quantity`, year, version, resource, item); err != nil {
		return l, false, fmt.Errorf("read runs of %s %s: %w", resource, item, err)
	}
	return l, true, nil
}

// ItemPriceVersions reads the price versions of one catalogue item, in
// effective_from order.
func (db *DB) ItemPriceVersions(ctx context.Context, item string) ([]billing.PriceVersion, error) {
	var vs []billing.PriceVersion
	if err := db.portalSelect(ctx, &vs, `SELECT item_code, category, name, unit, cycle, price, effective_from, effective_to, approval_ref FROM catalogue
WHERE item_code = ? ORDER BY effective_from`, item); err != nil {
		return nil, fmt.Errorf("read the price versions of %s: %w", item, err)
	}
	return vs, nil
}

// UsageDays reads the usage of (resource, item) from from to to
// inclusive, in day order. It reads the usage_months summary (one row per
// month and quantity, a bit per day: about two dozen rows for a year)
// through its key (resource_id, item_code, month, quantity), not the usage
// table, which SQLite keys by day first: a year of one resource there is
// 366 searches of the key.
func (db *DB) UsageDays(ctx context.Context, resource, item string, from, to metering.Date) ([]metering.Usage, error) {
	rows, err := db.portalQuery(ctx, `SELECT `+db.dialect.dayNumber("month")+`, quantity, days FROM usage_months
WHERE resource_id = ? AND item_code = ? AND month >= ? AND month <= ?`, resource, item, firstOfMonth(from), to)
	if err != nil {
		return nil, fmt.Errorf("read usage of %s %s: %w", resource, item, err)
	}
	defer rows.Close()
	var out []metering.Usage
	for rows.Next() {
		var month metering.Date
		var q decimal.Decimal
		var days int64
		if err := rows.Scan(&month, &q, &days); err != nil {
			return nil, fmt.Errorf("read usage of %s %s: %w", resource, item, err)
		}
		for bit := 0; days>>bit != 0; bit++ {
			if days&(1<<bit) == 0 {
				continue
			}
			if day := month.AddDays(bit); day >= from && day <= to {
				out = append(out, metering.Usage{Day: day, ResourceID: resource, ItemCode: item, Quantity: q})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read usage of %s %s: %w", resource, item, err)
	}
	slices.SortFunc(out, func(a, b metering.Usage) int { return cmp.Compare(a.Day, b.Day) })
	return out, nil
}

// ActivityOn reads the activity row of resource on day; ok is false when
// there is none.
func (db *DB) ActivityOn(ctx context.Context, resource string, day metering.Date) (a metering.Activity, ok bool, err error) {
	err = db.portalGet(ctx, &a, `SELECT `+db.dialect.dayNumber("day")+` AS day, resource_id, cpu_avg_pct, cpu_max_pct, mem_avg_pct, disk_used_pct, net_in_bytes, net_out_bytes
FROM activity WHERE day = ? AND resource_id = ?`, day, resource)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("read activity of %s on %s: %w", resource, day, err)
	}
	return a, true, nil
}

// ResourceEvents reads the lifecycle events of one resource in time order
// (through its prepared statement; the rows are read as queryEvents reads
// them).
func (db *DB) ResourceEvents(ctx context.Context, resource string) ([]metering.Event, error) {
	rows, err := db.portalQuery(ctx, `SELECT `+db.eventColumns()+` FROM events WHERE resource_id = ? ORDER BY at, event, item_code`, resource)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", resource, err)
	}
	defer rows.Close()
	var out []metering.Event
	for rows.Next() {
		var e metering.Event
		var at Instant
		var q decimal.NullDecimal
		if err := rows.Scan(&e.ResourceID, &e.Kind, &at, &e.Day, &e.ItemCode, &q, &e.Ref); err != nil {
			return nil, fmt.Errorf("read events of %s: %w", resource, err)
		}
		e.At, e.Quantity = at.Time, q.Decimal
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindingFilter limits findings to a district, a department and a
// resource; an empty field does not limit.
type FindingFilter struct {
	DistrictCode   string
	DepartmentCode string
	ResourceID     string
}

// FindingsOf returns the stored findings whose run overlaps [from, to]
// that f selects, in the order of Findings.
func (db *DB) FindingsOf(ctx context.Context, from, to metering.Date, f FindingFilter) ([]evaluation.Finding, error) {
	where, args := f.where(from, to)
	rows, err := db.portalQuery(ctx, `SELECT kind, district_code, department_code, system_id, resource_id, item_code, first_day, last_day, days, amount, action
	FROM findings`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	var out []evaluation.Finding
	for rows.Next() {
		var fd evaluation.Finding
		if err := rows.Scan(&fd.Kind, &fd.DistrictCode, &fd.DepartmentCode, &fd.SystemID, &fd.ResourceID, &fd.ItemCode, &fd.FirstDay, &fd.LastDay, &fd.Days, &fd.Amount, &fd.Action); err != nil {
			return nil, fmt.Errorf("read findings: %w", err)
		}
		out = append(out, fd)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	evaluation.SortFindings(out)
	return out, nil
}

// where returns the WHERE clause selecting the findings whose run
// overlaps [from, to] that f selects, and its arguments.
func (f FindingFilter) where(from, to metering.Date) (string, []any) {
	q := ` WHERE first_day <= ? AND last_day >= ?`
	args := []any{to, from}
	for _, c := range []struct{ col, v string }{{"district_code", f.DistrictCode}, {"department_code", f.DepartmentCode}, {"resource_id", f.ResourceID}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	return q, args
}

// FindingTotals counts findings and adds up the amounts of some kinds.
type FindingTotals struct {
	Count  int
	Amount map[evaluation.FindingKind]decimal.Decimal // of the kinds asked for
}

// FindingTotalsOf counts the stored findings whose run overlaps [from, to]
// that f selects, and adds up the amounts of those of the kinds sum. The
// database counts (through the indexes of migration 0035, without reading
// the rows); the amounts are added exactly in Go (they are decimal text
// on SQLite), reading only the amounts of the kinds asked for. A
// district's findings can be most of the city's (the 市本级).
func (db *DB) FindingTotalsOf(ctx context.Context, from, to metering.Date, f FindingFilter, sum ...evaluation.FindingKind) (FindingTotals, error) {
	t := FindingTotals{Amount: map[evaluation.FindingKind]decimal.Decimal{}}
	where, args := f.where(from, to)
	if err := db.portalGet(ctx, &t.Count, `SELECT count(*) FROM findings`+where, args...); err != nil {
		return t, fmt.Errorf("count findings: %w", err)
	}
	if len(sum) == 0 || t.Count == 0 {
		return t, nil
	}
	kinds := make([]any, len(sum))
	for i, k := range sum {
		kinds[i] = string(k)
	}
	rows, err := db.portalQuery(ctx, `SELECT kind, amount FROM findings`+where+` AND kind IN `+inList(len(kinds)), append(args, kinds...)...)
	if err != nil {
		return t, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k evaluation.FindingKind
		var amount decimal.Decimal
		if err := rows.Scan(&k, &amount); err != nil {
			return t, fmt.Errorf("read findings: %w", err)
		}
		t.Amount[k] = t.Amount[k].Add(amount)
	}
	return t, rows.Err()
}

// ResourcePlace says where one resource sits; ok is false when it is not
// in the inventory.
func (db *DB) ResourcePlace(ctx context.Context, id string) (p evaluation.Place, ok bool, err error) {
	err = db.pool.GetContext(ctx, &p, db.pool.Rebind(`SELECT r.id AS resource_id, r.system_id, s.department_code, d.district_code, r.provider_code, r.kind
		FROM resources r JOIN systems s ON s.id = r.system_id JOIN departments d ON d.code = s.department_code WHERE r.id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read resource %s: %w", id, err)
	}
	return p, true, nil
}

// DataStamp names the state of the inputs the documents of a year are
// rendered from besides the statement: the ledger of loaded and ingested
// files and the stored findings. It changes when a file is loaded or
// ingested or the findings are refreshed with another result.
func (db *DB) DataStamp(ctx context.Context) (string, error) {
	var files, findings int64
	var last, asOf, amount sql.NullString
	if err := db.pool.QueryRowContext(ctx, `SELECT count(*), CAST(max(processed_at) AS TEXT) FROM files`).Scan(&files, &last); err != nil {
		return "", fmt.Errorf("read file ledger: %w", err)
	}
	if err := db.pool.QueryRowContext(ctx, `SELECT count(*), CAST(max(as_of) AS TEXT), CAST(sum(days) AS TEXT) FROM findings`).Scan(&findings, &asOf, &amount); err != nil {
		return "", fmt.Errorf("read findings: %w", err)
	}
	return fmt.Sprintf("files=%d@%s findings=%d@%s/%s", files, last.String, findings, asOf.String, amount.String), nil
}

// The portal's read queries run on every page view, a handful each:
// parsing and planning them again every time was about a sixth of a page's
// time on SQLite (in this process), and on PostgreSQL a round trip more
// and the planning of a six-table join per line page. They are prepared
// once per database: database/sql then prepares each on a connection the
// first time it runs there, and keeps it. (Behind a pooler in transaction
// mode, PgBouncer needs max_prepared_statements set, as from 1.21.)
//
// The statements are kept per pool in a table keyed by a weak pointer, so
// that a database no longer used (tests open hundreds) takes its
// statements with it.
var portalStmts sync.Map // weak.Pointer[sqlx.DB] → *sync.Map (query → *sqlx.Stmt)

// prepared returns the prepared statement of query (already rebound), or
// nil when it cannot be prepared (then the caller runs it unprepared, and
// gets the error).
func (db *DB) prepared(ctx context.Context, query string) *sqlx.Stmt {
	k := weak.Make(db.pool)
	v, ok := portalStmts.Load(k)
	if !ok {
		var loaded bool
		if v, loaded = portalStmts.LoadOrStore(k, &sync.Map{}); !loaded {
			runtime.AddCleanup(db.pool, func(k weak.Pointer[sqlx.DB]) { portalStmts.Delete(k) }, k)
		}
	}
	stmts := v.(*sync.Map)
	if s, ok := stmts.Load(query); ok {
		return s.(*sqlx.Stmt)
	}
	s, err := db.pool.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	if prev, loaded := stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sqlx.Stmt)
	}
	return s
}

// portalQuery runs query (with ? placeholders) through its prepared
// statement.
func (db *DB) portalQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = db.pool.Rebind(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.pool.QueryContext(ctx, query, args...)
}

// portalSelect is sqlx's SelectContext through the prepared statement.
func (db *DB) portalSelect(ctx context.Context, dest any, query string, args ...any) error {
	query = db.pool.Rebind(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.SelectContext(ctx, dest, args...)
	}
	return db.pool.SelectContext(ctx, dest, query, args...)
}

// portalGet is sqlx's GetContext through the prepared statement.
func (db *DB) portalGet(ctx context.Context, dest any, query string, args ...any) error {
	query = db.pool.Rebind(query)
	if s := db.prepared(ctx, query); s != nil {
		return s.GetContext(ctx, dest, args...)
	}
	return db.pool.GetContext(ctx, dest, query, args...)
}
