package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"cloudbill/billing"
)

// ErrNoStatement is returned when a year has no statement (of that version).
var ErrNoStatement = errors.New("no statement")

// ErrIssued is returned when an issued statement would change.
var ErrIssued = errors.New("statement already issued")

// ErrTampered is wrapped by the error of a statement whose stored rows are
// not those cloudbill stored: lines that do not hash to the fingerprint,
// totals that are not the sums of its lines, a snapshot that does not hash
// to the value it was issued with.
var ErrTampered = errors.New("the database was changed behind cloudbill's back")

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
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.dialect.lockTx(ctx, tx, lockNamespace, st.Year); err != nil {
			return err
		}
		var last struct {
			Version int    `db:"version"`
			SHA     string `db:"sha256"`
			Eval    string `db:"evaluation"`
			Policy  string `db:"policy"`
		}
		err := tx.GetContext(ctx, &last, db.pool.Rebind(`SELECT version, sha256, evaluation, policy FROM statements WHERE year = ? ORDER BY version DESC LIMIT 1`), st.Year)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case last.SHA == st.SHA256 && last.Eval == string(evalJSON) && last.Policy == st.Policy:
			// The latest version says the same only if its rows still do.
			stored, err := db.readStatement(ctx, tx, st.Year, last.Version)
			if err != nil {
				return err
			}
			if err := verifyStatement(stored); err != nil {
				return err
			}
			st.Version = last.Version
			return nil
		}
		st.Version = last.Version + 1
		st.Status = billing.StatementStatusDraft
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			st.Year, st.Version, string(st.Status), db.dialect.instant(st.CreatedAt), st.SHA256, st.Policy, string(evalJSON), Dec(st.Gross), Dec(st.Net)); err != nil {
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

// StatementVersions lists the versions of a year, newest first.
func (db *DB) StatementVersions(ctx context.Context, year int) ([]int, error) {
	var vs []int
	err := db.pool.SelectContext(ctx, &vs, db.pool.Rebind(`SELECT version FROM statements WHERE year = ? ORDER BY version DESC`), year)
	return vs, err
}

// Statement reads version of year (0: the latest), with all its rows, and
// checks them (verifyStatement): a version whose rows are not those
// cloudbill stored is an error wrapping ErrTampered, never a statement.
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
	st, err := db.readStatement(ctx, db.pool, year, version)
	if err != nil {
		return nil, err
	}
	if err := verifyStatement(st); err != nil {
		return nil, err
	}
	return st, nil
}

// readStatement reads version of year with all its rows through q (the
// pool, or a transaction), unchecked.
func (db *DB) readStatement(ctx context.Context, q sqlx.QueryerContext, year, version int) (*billing.Statement, error) {
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
	err := sqlx.GetContext(ctx, q, &h, db.pool.Rebind(`SELECT status, created_at, issued_at, sha256, policy, evaluation, gross, net FROM statements WHERE year = ? AND version = ?`), year, version)
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
	if err := sqlx.SelectContext(ctx, q, &st.Lines, db.pool.Rebind(`SELECT provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, gross
FROM statement_lines WHERE year = ? AND version = ?`), args...); err != nil {
		return nil, err
	}
	billing.SortLines(st.Lines)
	var runs []billing.Run
	if err := sqlx.SelectContext(ctx, q, &runs, db.pool.Rebind(`SELECT resource_id, item_code, effective_from, price, cycle, approval_ref, quantity, days, cycle_days, month, amount
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
	if err := sqlx.SelectContext(ctx, q, &st.Departments, db.pool.Rebind(`SELECT provider_code, district_code, department_code, gross, coefficient, net
FROM statement_departments WHERE year = ? AND version = ? ORDER BY district_code, department_code, provider_code`), args...); err != nil {
		return nil, err
	}
	if err := sqlx.SelectContext(ctx, q, &st.Districts, db.pool.Rebind(`SELECT district_code, gross, net FROM statement_districts WHERE year = ? AND version = ? ORDER BY district_code`), args...); err != nil {
		return nil, err
	}
	return st, nil
}

// IssueInput names the draft to issue: the year's latest version, with
// the fingerprint the issuer was shown, and what its documents will print.
type IssueInput struct {
	Year     int
	Version  int    // the year's latest version, a draft
	SHA256   string // its fingerprint, as the issuer saw it
	IssuedAt time.Time
	Snapshot Snapshot
}

// Validate checks that the version, its fingerprint and the time are named.
func (in IssueInput) Validate() error {
	switch {
	case in.Version < 1:
		return fmt.Errorf("issue %d: version %d is not a version number", in.Year, in.Version)
	case in.SHA256 == "":
		return fmt.Errorf("issue %d version %d: the fingerprint the issuer saw is required", in.Year, in.Version)
	case in.IssuedAt.IsZero():
		return fmt.Errorf("issue %d version %d: the time of issue is required", in.Year, in.Version)
	}
	return nil
}

// IssueStatement freezes version in.Version of in.Year, which must be the
// year's latest version and a draft whose rows still hash to in.SHA256,
// together with its snapshot, in one transaction, and returns the version.
// On PostgreSQL the database function issue_statement (migration 0018)
// issues it, checking the rows again in SQL as the schema's owner: no other
// role may mark a version issued.
func (db *DB) IssueStatement(ctx context.Context, in IssueInput) (int, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	body, err := encodeSnapshot(in.Snapshot)
	if err != nil {
		return 0, fmt.Errorf("issue %d version %d: %w", in.Year, in.Version, err)
	}
	year := in.Year
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.dialect.lockTx(ctx, tx, lockNamespace, year); err != nil {
			return err
		}
		var last struct {
			Version int    `db:"version"`
			Status  string `db:"status"`
		}
		err := tx.GetContext(ctx, &last, db.pool.Rebind(`SELECT version, status FROM statements WHERE year = ? ORDER BY version DESC LIMIT 1`), year)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%d: %w (run cloudbill settle --year %d first)", year, ErrNoStatement, year)
		}
		if err != nil {
			return err
		}
		if last.Version != in.Version {
			return fmt.Errorf("%d version %d is not the latest: version %d is (look at it before issuing it)", year, in.Version, last.Version)
		}
		if last.Status == string(billing.StatementStatusIssued) {
			return fmt.Errorf("%d version %d: %w", year, last.Version, ErrIssued)
		}
		st, err := db.readStatement(ctx, tx, year, in.Version)
		if err != nil {
			return err
		}
		if err := verifyStatement(st); err != nil {
			return err
		}
		if st.SHA256 != in.SHA256 {
			return fmt.Errorf("%d version %d: its fingerprint is %s, not %s as the issuer was shown", year, in.Version, st.SHA256, in.SHA256)
		}
		if db.dialect.issueFunction {
			_, err := tx.ExecContext(ctx, db.pool.Rebind(`SELECT issue_statement(?, ?, ?, ?, ?)`), year, in.Version, in.SHA256, db.dialect.instant(in.IssuedAt), string(body))
			return err
		}
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`DELETE FROM statement_snapshots WHERE year = ? AND version = ?`), year, in.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.pool.Rebind(`INSERT INTO statement_snapshots (year, version, body) VALUES (?, ?, ?)`), year, in.Version, string(body)); err != nil {
			return fmt.Errorf("store the snapshot: %w", err)
		}
		_, err = tx.ExecContext(ctx, db.pool.Rebind(`UPDATE statements SET status = 'issued', issued_at = ?, snapshot_sha256 = ? WHERE year = ? AND version = ? AND status = 'draft'`),
			db.dialect.instant(in.IssuedAt), sha256Hex(body), year, in.Version)
		return err
	})
	if err != nil {
		return 0, err
	}
	return in.Version, nil
}
