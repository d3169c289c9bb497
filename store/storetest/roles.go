package storetest

// What each role of deploy/postgres-setup.sql must not do, as SQL its
// credentials could run (a database with reference data loaded and 2024
// version 1 issued). Every attempt must be refused: Refusals lists the
// ones that were not.

// schemaChanges are refused to every role but the owner.
func schemaChanges() []Attempt {
	return []Attempt{
		{"alter a table", `ALTER TABLE usage ADD COLUMN note TEXT`, nil},
		{"create a table", `CREATE TABLE public.extra (n int)`, nil},
		{"create a function", `CREATE FUNCTION public.statements_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM statements'`, nil},
		{"drop a table", `DROP TABLE job_runs`, nil},
		{"truncate", `TRUNCATE usage`, nil},
		{"disable a trigger", `ALTER TABLE statements DISABLE TRIGGER statements_issued`, nil},
		{"bypass triggers", `SET session_replication_role = replica`, nil},
		{"write the migration ledger", `DELETE FROM schema_migrations`, nil},
	}
}

// statementForgeries are refused to every role but the owner.
func statementForgeries() []Attempt {
	return []Attempt{
		{"insert an issued statement", `INSERT INTO statements (year, version, status, created_at, issued_at, sha256, policy, evaluation, gross, net)
			VALUES (2024, 99, 'issued', now(), now(), 'x', '', '[]', 0, 0)`, nil},
		{"issue a version by UPDATE", `UPDATE statements SET status = 'issued', issued_at = now() WHERE year = 2024`, nil},
		{"change statement lines", `UPDATE statement_lines SET gross = 0.10 WHERE year = 2024`, nil},
		{"delete a statement", `DELETE FROM statements WHERE year = 2024`, nil},
		{"write a snapshot", `INSERT INTO statement_snapshots (year, version, body) VALUES (2024, 99, '{}')`, nil},
		{"change a snapshot", `UPDATE statement_snapshots SET body = '{}'`, nil},
	}
}

// referenceChanges are refused to every role but the loader.
func referenceChanges() []Attempt {
	return []Attempt{
		{"load a catalogue", `INSERT INTO catalogue (item_code, effective_from, effective_to, category, name, unit, cycle, price, approval_ref)
			VALUES ('FORGED', '2024-01-01', NULL, 'x', 'x', 'x', 'year', 1, 'x')`, nil},
		{"change a price", `UPDATE catalogue SET price = 1`, nil},
		{"rename a department", `UPDATE departments SET name = 'x'`, nil},
		{"add a holiday", `INSERT INTO calendar (day, kind, name) VALUES ('2024-12-30', 'holiday', 'x')`, nil},
		{"change a score", `UPDATE scores SET score = 100`, nil},
		{"add an event", `INSERT INTO events (resource_id, event, at, day, item_code, quantity, ref) VALUES ('R1', 'released', now(), '2024-12-01', '', NULL, 'x')`, nil},
	}
}

// eventRewrites are refused to every role: events are append-only.
func eventRewrites() []Attempt {
	return append([]Attempt{
		{"delete events", `DELETE FROM events`, nil},
		{"change an event", `UPDATE events SET quantity = 1`, nil},
		{"delete a department", `DELETE FROM departments`, nil},
	}, auditRewrites()...)
}

// DaemonMayNot is what the daemon's role must not do: the schema, the
// reference data, events, issuing and issued statements, snapshots.
func DaemonMayNot() []Attempt {
	out := append(schemaChanges(), statementForgeries()...)
	out = append(out, referenceChanges()...)
	out = append(out, eventRewrites()...)
	return append(out, Attempt{"call issue_statement", `SELECT issue_statement(2024, 1, 'x', now(), '{}')`, nil})
}

// LoaderMayNot is what the loader's role must not do: metering, findings,
// jobs, statements, temporary tables, and rewriting events.
func LoaderMayNot() []Attempt {
	out := append(schemaChanges(), statementForgeries()...)
	out = append(out, eventRewrites()...)
	return append(out,
		Attempt{"ingest metering", `INSERT INTO usage (resource_id, item_code, day, quantity) VALUES ('R1', 'VCPU', '2024-06-01', 4)`, nil},
		Attempt{"clear findings", `DELETE FROM findings`, nil},
		Attempt{"store a draft", `INSERT INTO statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES (2024, 98, 'draft', now(), 'x', '', '[]', 0, 0)`, nil},
		Attempt{"write job history", `UPDATE job_runs SET status = 'failed'`, nil},
		Attempt{"create a temporary table", `CREATE TEMP TABLE staging (n int)`, nil},
		Attempt{"call issue_statement", `SELECT issue_statement(2024, 1, 'x', now(), '{}')`, nil},
	)
}

// IssuerMayNot is what the issuer's role must not do: everything but
// calling issue_statement and keeping job history.
func IssuerMayNot() []Attempt {
	out := append(schemaChanges(), statementForgeries()...)
	out = append(out, referenceChanges()...)
	out = append(out, eventRewrites()...)
	return append(out,
		Attempt{"ingest metering", `INSERT INTO usage (resource_id, item_code, day, quantity) VALUES ('R1', 'VCPU', '2024-06-01', 4)`, nil},
		Attempt{"store a draft", `INSERT INTO statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES (2024, 98, 'draft', now(), 'x', '', '[]', 0, 0)`, nil},
		Attempt{"create a temporary table", `CREATE TEMP TABLE staging (n int)`, nil},
	)
}

// ReaderMayNot is what the reader's role must not do: anything but read.
func ReaderMayNot() []Attempt {
	out := append(schemaChanges(), statementForgeries()...)
	out = append(out, referenceChanges()...)
	out = append(out, eventRewrites()...)
	return append(out,
		Attempt{"ingest metering", `INSERT INTO usage (resource_id, item_code, day, quantity) VALUES ('R1', 'VCPU', '2024-06-01', 4)`, nil},
		Attempt{"clear findings", `DELETE FROM findings`, nil},
		Attempt{"store a draft", `INSERT INTO statements (year, version, status, created_at, sha256, policy, evaluation, gross, net) VALUES (2024, 98, 'draft', now(), 'x', '', '[]', 0, 0)`, nil},
		Attempt{"write job history", `INSERT INTO job_runs (job, started_at, status) VALUES ('x', now(), 'running')`, nil},
		Attempt{"take a lock row", `INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES ('x', 'y', now(), now())`, nil},
		Attempt{"create a temporary table", `CREATE TEMP TABLE staging (n int)`, nil},
		Attempt{"call issue_statement", `SELECT issue_statement(2024, 1, 'x', now(), '{}')`, nil},
	)
}
