package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lib/pq"

	"cloudbill/store"
)

// The helpers below act on statements the way someone who goes around
// cloudbill would: with SQL of their own, with shadow tables, with the
// triggers switched off. Tests use them to prove the store notices or
// refuses.

// Attempt is one change a test expects the database to refuse.
type Attempt struct {
	Name string
	SQL  string
	Args []any
}

// Refusals runs each attempt on db's own pool (as db's role) and returns
// what went wrong: the attempts the database accepted, and those it
// refused for another reason than a right, a trigger or a key (a typo in
// an attempt must not pass for a refusal).
func Refusals(t testing.TB, db *store.DB, attempts []Attempt) (problems []string) {
	t.Helper()
	x := SQL(t, db)
	for _, a := range attempts {
		_, err := x.Exec(x.Rebind(a.SQL), a.Args...)
		switch {
		case err == nil:
			problems = append(problems, "accepted: "+a.Name)
		case !refusal(err):
			problems = append(problems, a.Name+": refused for another reason: "+err.Error())
		}
	}
	return problems
}

// refusal reports whether err is the database refusing a change: a
// missing right, a trigger's exception, a key or a constraint.
func refusal(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "42501", // insufficient_privilege (rights, and the issue guard)
			"P0001",          // raise_exception (the statement triggers)
			"23503",          // foreign_key_violation (rows without their statement)
			"23505",          // unique_violation
			"55000", "XX001": // issue_statement's checks
			return true
		}
		return false
	}
	msg := err.Error() // SQLite
	for _, s := range []string{"issued", "UNIQUE constraint failed", "FOREIGN KEY constraint failed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// ConflictPaths are the ways of rewriting issued version 1 of year 2024,
// while version 2 is a draft, that go through conflict clauses or move a
// row from one version to another, in the engine's dialect: each must be
// refused.
func ConflictPaths(e store.Engine) []Attempt {
	header := `year, version, status, created_at, issued_at, sha256, policy, evaluation, gross, net`
	line := `year, version, provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, gross`
	common := []Attempt{
		{"insert an issued statement", `INSERT INTO statements (` + header + `) SELECT year, 9, 'issued', created_at, issued_at, sha256, policy, evaluation, gross, net FROM statements WHERE year = 2024 AND version = 1`, nil},
		{"issue a draft without its snapshot", `UPDATE statements SET status = 'issued' WHERE year = 2024 AND version = 2`, nil},
		{"move a draft's line into the issued version", `UPDATE statement_lines SET version = 1, resource_id = 'moved-' || resource_id WHERE year = 2024 AND version = 2`, nil},
		{"move a draft's run into the issued version", `UPDATE statement_runs SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		{"move a draft's department row into the issued version", `UPDATE statement_departments SET version = 1, department_code = 'moved-' || department_code WHERE year = 2024 AND version = 2`, nil},
		{"move a draft's district row into the issued version", `UPDATE statement_districts SET version = 1, district_code = 'moved-' || district_code WHERE year = 2024 AND version = 2`, nil},
		{"move a draft's snapshot into the issued version", `UPDATE statement_snapshots SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		{"rewrite the issued snapshot", `UPDATE statement_snapshots SET body = '{}' WHERE year = 2024 AND version = 1`, nil},
		{"delete the issued snapshot", `DELETE FROM statement_snapshots WHERE year = 2024 AND version = 1`, nil},
		{"add a snapshot to the issued version", `INSERT INTO statement_snapshots (year, version, body) VALUES (2024, 1, '{}')`, nil},
	}
	if e == store.EnginePostgres {
		return append(common,
			Attempt{"upsert the issued header back to a draft", `INSERT INTO statements (` + header + `) SELECT year, version, 'draft', created_at, NULL, sha256, policy, evaluation, gross, net FROM statements WHERE year = 2024 AND version = 1
				ON CONFLICT (year, version) DO UPDATE SET status = 'draft'`, nil},
			Attempt{"upsert an issued line", `INSERT INTO statement_lines (` + line + `) SELECT year, version, provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, 0.10 FROM statement_lines WHERE year = 2024 AND version = 1
				ON CONFLICT (year, version, provider_code, resource_id, item_code) DO UPDATE SET gross = excluded.gross`, nil},
			Attempt{"renumber a draft onto the issued version", `UPDATE statements SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		)
	}
	return append(common,
		Attempt{"insert or replace the issued header with a draft", `INSERT OR REPLACE INTO statements (` + header + `) SELECT year, version, 'draft', created_at, NULL, sha256, policy, evaluation, gross, net FROM statements WHERE year = 2024 AND version = 1`, nil},
		Attempt{"replace the issued header with a draft", `REPLACE INTO statements (` + header + `) SELECT year, version, 'draft', created_at, NULL, sha256, policy, evaluation, gross, net FROM statements WHERE year = 2024 AND version = 1`, nil},
		Attempt{"update or replace a draft header onto the issued one", `UPDATE OR REPLACE statements SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		Attempt{"insert or replace an issued line", `INSERT OR REPLACE INTO statement_lines (` + line + `) SELECT year, version, provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, '0.10' FROM statement_lines WHERE year = 2024 AND version = 1`, nil},
		Attempt{"update or replace the draft's lines over the issued ones", `UPDATE OR REPLACE statement_lines SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		Attempt{"update or replace the draft's department rows over the issued ones", `UPDATE OR REPLACE statement_departments SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		Attempt{"update or replace the draft's district rows over the issued ones", `UPDATE OR REPLACE statement_districts SET version = 1 WHERE year = 2024 AND version = 2`, nil},
		Attempt{"insert or replace an issued department row", `INSERT OR REPLACE INTO statement_departments (year, version, provider_code, district_code, department_code, gross, coefficient, net) SELECT year, version, provider_code, district_code, department_code, '0.10', coefficient, '0.10' FROM statement_departments WHERE year = 2024 AND version = 1`, nil},
		Attempt{"insert or replace the issued snapshot", `INSERT OR REPLACE INTO statement_snapshots (year, version, body) VALUES (2024, 1, '{}')`, nil},
	)
}

// ShadowRewrite tries, on one session of db's role, what a role with
// TEMPORARY could try against version of year: shadow statements and
// statement_lines with temporary tables in which the version is a draft,
// then change the real rows. It returns the names of the changes the
// database accepted (PostgreSQL only).
func ShadowRewrite(ctx context.Context, t testing.TB, db *store.DB, year, version int) (accepted []string) {
	t.Helper()
	conn, err := SQL(t, db).Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
		t.Fatal(err)
	}
	q := func(table string) string { return pq.QuoteIdentifier(schema) + "." + table }
	for _, s := range []string{
		`CREATE TEMP TABLE statements (LIKE ` + q("statements") + `)`,
		`INSERT INTO pg_temp.statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES ($1, $2, 'draft', now(), 'x', '', '', 0, 0)`,
		`CREATE TEMP TABLE statement_lines (LIKE ` + q("statement_lines") + `)`,
		`CREATE TEMP TABLE statement_snapshots (year INTEGER, version INTEGER, body TEXT)`,
	} {
		args := []any{}
		if strings.Contains(s, "$1") {
			args = []any{year, version}
		}
		if _, err := conn.ExecContext(ctx, s, args...); err != nil {
			t.Fatalf("shadow: %s: %v", s, err)
		}
	}
	for _, a := range []Attempt{
		{"rewrite the issued lines", `UPDATE ` + q("statement_lines") + ` SET gross = 0.10 WHERE year = $1 AND version = $2`, nil},
		{"add a line to the issued version", `INSERT INTO ` + q("statement_lines") + ` (year, version, provider_code, district_code, department_code, system_id, resource_id, item_code, billable_days, quantity_days, gross)
			SELECT year, version, provider_code, district_code, department_code, system_id, 'forged-' || resource_id, item_code, billable_days, quantity_days, gross FROM ` + q("statement_lines") + ` WHERE year = $1 AND version = $2`, nil},
		{"delete the issued lines", `DELETE FROM ` + q("statement_lines") + ` WHERE year = $1 AND version = $2`, nil},
		{"delete the issued department rows", `DELETE FROM ` + q("statement_departments") + ` WHERE year = $1 AND version = $2`, nil},
		{"rewrite the issued snapshot", `UPDATE ` + q("statement_snapshots") + ` SET body = '{}' WHERE year = $1 AND version = $2`, nil},
		{"turn the issued header into a draft", `UPDATE ` + q("statements") + ` SET status = 'draft' WHERE year = $1 AND version = $2`, nil},
	} {
		if _, err := conn.ExecContext(ctx, a.SQL, year, version); err == nil {
			accepted = append(accepted, a.Name)
		}
	}
	return accepted
}

// Tamper runs statement on db with its triggers out of the way, as the
// owner of a PostgreSQL database (session_replication_role = replica; db
// must connect as a superuser) or anyone who may write a SQLite file
// (dropping the triggers and creating them again) could.
func Tamper(t testing.TB, db *store.DB, statement string, args ...any) {
	t.Helper()
	withoutTriggers(t, db, "tamper", `SET session_replication_role = replica`, `RESET session_replication_role`, `tbl_name LIKE 'statement%'`, statement, args...)
}

// withoutTriggers runs statement on db with triggers out of the way: on
// PostgreSQL between pgOff and pgOn, on SQLite with the triggers whose
// sqlite_master row matches where dropped and created again. what names
// the tampering in a failure.
func withoutTriggers(t testing.TB, db *store.DB, what, pgOff, pgOn, where, statement string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := SQL(t, db).Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(s string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, conn.Rebind(s), args...); err != nil {
			t.Fatalf("%s: %s: %v", what, s, err)
		}
	}
	if db.Engine == store.EnginePostgres {
		exec(pgOff)
		exec(statement, args...)
		exec(pgOn)
		return
	}
	var triggers []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	if err := conn.SelectContext(ctx, &triggers, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND `+where); err != nil {
		t.Fatal(err)
	}
	for _, tr := range triggers {
		exec(`DROP TRIGGER ` + tr.Name)
	}
	exec(statement, args...)
	for _, tr := range triggers {
		exec(tr.SQL)
	}
}

// SQLFingerprint is the fingerprint PostgreSQL computes from the lines of
// version of year (statement_rows_sha256, migration 0018).
func SQLFingerprint(t testing.TB, db *store.DB, year, version int) string {
	t.Helper()
	var sum string
	if err := SQL(t, db).Get(&sum, `SELECT statement_rows_sha256($1, $2)`, year, version); err != nil {
		t.Fatalf("statement_rows_sha256: %v", err)
	}
	return sum
}

// FunctionsWithoutPinnedPath lists the functions of db's schema (PostgreSQL)
// that do not set their own search_path.
func FunctionsWithoutPinnedPath(t testing.TB, db *store.DB) []string {
	t.Helper()
	var names []string
	err := SQL(t, db).Select(&names, `SELECT p.proname FROM pg_catalog.pg_proc p
		WHERE p.pronamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
		  AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\_path=%')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// FunctionBodies returns the source of every function of db's schema
// (PostgreSQL), by name.
func FunctionBodies(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	var rows []struct {
		Name string `db:"proname"`
		Src  string `db:"prosrc"`
	}
	err := SQL(t, db).Select(&rows, `SELECT p.proname, p.prosrc FROM pg_catalog.pg_proc p
		WHERE p.pronamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Name] = r.Src
	}
	return out
}
