package storetest

import (
	"testing"

	"cloudbill/store"
)

// TamperAudit runs statement on the audit table with its append-only
// triggers out of the way, as the owner of the schema could: on
// PostgreSQL it disables them and enables them again (db must connect as
// the table's owner), on SQLite it drops them and creates them again.
func TamperAudit(t testing.TB, db *store.DB, statement string, args ...any) {
	t.Helper()
	withoutTriggers(t, db, "tamper with the audit trail", `ALTER TABLE audit DISABLE TRIGGER USER`, `ALTER TABLE audit ENABLE TRIGGER USER`, `tbl_name = 'audit'`, statement, args...)
}

// LegacyAudit puts db's audit table back as it was before the chain
// (migration 0025: no role, year, subject or hashes, no triggers) with
// the rows given, and forgets migration 0040, so that the next store.Open
// chains them.
func LegacyAudit(t testing.TB, db *store.DB, rows ...store.AuditEntry) {
	t.Helper()
	x := SQL(t, db)
	stmts := []string{`DROP TABLE audit`, `CREATE TABLE audit (
		id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL,
		remote_addr TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')`}
	if db.Engine == store.EnginePostgres {
		stmts = []string{`DROP TABLE audit`, `DROP FUNCTION audit_append_only()`, `CREATE TABLE audit (
			id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL,
			remote_addr TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')`}
	}
	stmts = append(stmts, `CREATE INDEX audit_at ON audit (at)`, `DELETE FROM schema_migrations WHERE version = 40`)
	for _, s := range stmts {
		if _, err := x.Exec(s); err != nil {
			t.Fatalf("legacy audit: %s: %v", s, err)
		}
	}
	for _, e := range rows {
		var at any = e.At.UTC()
		if db.Engine == store.EngineSQLite {
			at = e.At.UTC().Format("2006-01-02T15:04:05.000000000Z")
		}
		if _, err := x.Exec(x.Rebind(`INSERT INTO audit (at, user_name, action, remote_addr, detail) VALUES (?, ?, ?, ?, ?)`),
			at, e.User, string(e.Action), e.RemoteAddr, e.Detail); err != nil {
			t.Fatalf("legacy audit row: %v", err)
		}
	}
}

// auditRewrites are refused to every role: the audit trail is append-only
// (its triggers, and no role but the owner may UPDATE, DELETE or TRUNCATE
// it, or disable a trigger).
func auditRewrites() []Attempt {
	return []Attempt{
		{"change an audit row", `UPDATE audit SET detail = 'x'`, nil},
		{"delete the audit trail", `DELETE FROM audit`, nil},
		{"truncate the audit trail", `TRUNCATE audit`, nil},
		{"disable the audit trigger", `ALTER TABLE audit DISABLE TRIGGER audit_append_only`, nil},
	}
}
