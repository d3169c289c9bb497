-- PostgreSQL set-up for cloudbill: a database, the role that owns its schema
-- and one login role per duty. Run it as a superuser (or a role with
-- CREATEROLE and CREATEDB) TWICE: once before the first `cloudbill migrate`
-- (roles, database, schema) and once after every `cloudbill migrate` (the
-- rights on the tables the migrations made). Running it again is always
-- safe: it creates what is missing and sets every right to what is below.
--
--   psql -X -v owner_password='…' -v loader_password='…' -v daemon_password='…' \
--        -v issuer_password='…' -v reader_password='…' -f deploy/postgres-setup.sql
--
-- A password is set only when its variable is given (a role without one
-- can still log in by a method that needs none, such as peer or cert).
-- Optional names (defaults in brackets): -v dbname=… [cloudbill]
-- -v owner=… [cloudbill_owner] -v loader=… [cloudbill_loader]
-- -v daemon=… [cloudbill_daemon] -v issuer=… [cloudbill_issuer]
-- -v reader=… [cloudbill_reader].
--
-- The duties (README.md, PostgreSQL; docs/operations.md, Roles):
--   owner  owns the schema and runs `cloudbill migrate`, nothing else.
--   loader `cloudbill load`: inserts and updates the reference tables
--          (districts … calendar, budgets), appends events; deletes only the
--          budgets of a year a new budgets.csv restates.
--   daemon `cloudbill serve`/`run`, `ingest`, `findings`, `settle`,
--          `summaries`, `report --month|--quarter`: writes metering,
--          rejects, findings (the over_budget ones too), job history and
--          locks; inserts draft statements (never updates or deletes one);
--          creates TEMPORARY tables (the ingester's staging); appends the
--          sign-off records (cloudbill signoff, the portal). It cannot
--          load or change reference data, delete or change events, issue,
--          or touch a snapshot.
--   issuer `cloudbill issue`: executes issue_statement (migration 0018),
--          which runs as the owner and checks the draft's rows against its
--          fingerprint before issuing; writes job history and locks,
--          and appends the issue to the audit trail.
--   reader `cloudbill report` (of issued versions), `jobs`, `diff`, the
--          portal: reads, nothing else.
-- Every role but the owner reads every table. Nobody but the owner creates,
-- alters, drops or truncates anything, or may disable a trigger; only the
-- daemon has TEMPORARY, and the triggers name their tables with the schema
-- and fix their search_path, so its temp tables cannot shadow them.

\set ON_ERROR_STOP on
\set QUIET on
\if :{?dbname}
\else
\set dbname cloudbill
\endif
\if :{?owner}
\else
\set owner cloudbill_owner
\endif
\if :{?loader}
\else
\set loader cloudbill_loader
\endif
\if :{?daemon}
\else
\set daemon cloudbill_daemon
\endif
\if :{?issuer}
\else
\set issuer cloudbill_issuer
\endif
\if :{?reader}
\else
\set reader cloudbill_reader
\endif

-- Roles: created when missing; a role that may do more than its duty is
-- reported (this script does not take a superuser's rights away).
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', r)
FROM unnest(ARRAY[:'owner', :'loader', :'daemon', :'issuer', :'reader']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) \gexec
SELECT format('DO $w$ BEGIN RAISE WARNING %L; END $w$', format('role %s is a superuser, or may create roles or databases, replicate or bypass row security: it should not', rolname))
FROM pg_catalog.pg_roles
WHERE rolname IN (:'owner', :'loader', :'daemon', :'issuer', :'reader')
  AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) \gexec
ALTER ROLE :"daemon" CONNECTION LIMIT 32;
\if :{?owner_password}
ALTER ROLE :"owner" PASSWORD :'owner_password';
\endif
\if :{?loader_password}
ALTER ROLE :"loader" PASSWORD :'loader_password';
\endif
\if :{?daemon_password}
ALTER ROLE :"daemon" PASSWORD :'daemon_password';
\endif
\if :{?issuer_password}
ALTER ROLE :"issuer" PASSWORD :'issuer_password';
\endif
\if :{?reader_password}
ALTER ROLE :"reader" PASSWORD :'reader_password';
\endif

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'dbname', :'owner', 'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = :'dbname') \gexec

\connect :"dbname"

BEGIN;

-- Who may connect, and who may create temporary tables: the daemon alone.
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO :"loader", :"daemon", :"issuer", :"reader";
REVOKE TEMPORARY ON DATABASE :"dbname" FROM :"loader", :"issuer", :"reader";
GRANT TEMPORARY ON DATABASE :"dbname" TO :"daemon";

-- Nobody but the owner creates anything in the schema.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"loader", :"daemon", :"issuer", :"reader";

-- Every role reads the tables the owner creates, now or in later
-- migrations; writing is granted table by table below. (Earlier versions
-- of this script let the daemon write every future table: taken back.)
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM :"daemon";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT ON TABLES TO :"loader", :"daemon", :"issuer", :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"daemon", :"issuer";

-- The migration ledger exists from the start (the definition cloudbill
-- uses), so that every other role can only read it.
SET LOCAL client_min_messages = warning;
SET ROLE :"owner";
CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
RESET ROLE;

-- Rights by duty on the tables that exist: everything taken back, then
-- read for all, then each duty's writes.
SELECT format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', r) FROM unnest(ARRAY[:'loader', :'daemon', :'issuer', :'reader']) AS r \gexec
SELECT format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', r) FROM unnest(ARRAY[:'loader', :'daemon', :'issuer', :'reader']) AS r \gexec
SELECT format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM %I', r) FROM unnest(ARRAY[:'loader', :'daemon', :'issuer', :'reader']) AS r \gexec
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"loader", :"daemon", :"issuer", :"reader";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"loader", :"daemon", :"issuer";

SELECT format('GRANT %s ON TABLE public.%I TO %I', d.rights, d.tab, d.role)
FROM (VALUES
    -- loader: reference data; events are append-only
    (:'loader', 'INSERT, UPDATE', 'districts'),
    (:'loader', 'INSERT, UPDATE', 'departments'),
    (:'loader', 'INSERT, UPDATE', 'providers'),
    (:'loader', 'INSERT, UPDATE', 'systems'),
    (:'loader', 'INSERT, UPDATE', 'resources'),
    (:'loader', 'INSERT, UPDATE', 'catalogue'),
    (:'loader', 'INSERT, UPDATE', 'scores'),
    (:'loader', 'INSERT, UPDATE', 'calendar'),
    (:'loader', 'INSERT', 'events'),
    (:'loader', 'INSERT, UPDATE, DELETE', 'budgets'),
    (:'loader', 'INSERT', 'files'),
    -- daemon: metering, its summaries, rejects, findings, jobs; drafts
    (:'daemon', 'INSERT, UPDATE, DELETE', 'files'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'rejects'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'usage'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'usage_months'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'activity'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'activity_idle_months'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'summary_state'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'findings'),
    -- the monthly and quarterly reports' over_budget findings
    (:'daemon', 'INSERT, UPDATE, DELETE', 'budget_findings'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'budget_forecasts'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'job_runs'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'locks'),
    (:'daemon', 'INSERT, UPDATE', 'archives'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'budget_forecasts'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'budget_findings'),
    (:'daemon', 'INSERT', 'statements'),
    (:'daemon', 'INSERT', 'statement_lines'),
    (:'daemon', 'INSERT', 'statement_runs'),
    (:'daemon', 'INSERT', 'statement_departments'),
    (:'daemon', 'INSERT', 'statement_districts'),
    -- the portal (cloudbill serve --web runs as the daemon): sessions, the
    -- sign-in throttle and the append-only audit trail; accounts are the
    -- loader's (cloudbill user add|disable|passwd, an administrative act)
    (:'daemon', 'INSERT, UPDATE, DELETE', 'sessions'),
    (:'daemon', 'INSERT, UPDATE, DELETE', 'login_failures'),
    (:'daemon', 'INSERT', 'audit'),
    (:'loader', 'INSERT, UPDATE', 'users'),
    (:'loader', 'DELETE', 'sessions'),
    -- the audit chain (docs/audit.md): appended to by every duty that acts
    -- (load, ingest, settle, reconcile, issue, the portal), never changed:
    -- INSERT and SELECT only, and its triggers refuse UPDATE and DELETE
    (:'loader', 'INSERT', 'audit'),
    (:'issuer', 'INSERT', 'audit'),
    -- the sign-off of a draft (docs/signoff.md: cloudbill signoff and the
    -- portal run as the daemon): records are appended, an objection is
    -- resolved and closed; nothing is deleted
    (:'daemon', 'INSERT', 'signoff_publications'),
    (:'daemon', 'INSERT', 'signoff_confirmations'),
    (:'daemon', 'INSERT, UPDATE', 'signoff_objections'),
    (:'daemon', 'INSERT', 'signoff_evidence'),
    (:'daemon', 'INSERT', 'signoff_approvals'),
    -- issuer: issue_statement does the rest, as the owner
    (:'issuer', 'INSERT, UPDATE, DELETE', 'job_runs'),
    (:'issuer', 'INSERT, UPDATE, DELETE', 'locks')
) AS d (role, rights, tab)
WHERE pg_catalog.to_regclass(format('public.%I', d.tab)) IS NOT NULL \gexec

SELECT format('GRANT EXECUTE ON FUNCTION public.issue_statement(INTEGER, INTEGER, TEXT, TIMESTAMPTZ, TEXT) TO %I', :'issuer')
WHERE pg_catalog.to_regprocedure('public.issue_statement(integer, integer, text, timestamptz, text)') IS NOT NULL \gexec

-- A table this script does not know is read by every role and written by
-- none: say so, so that its duty is decided here.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND tablename <> ALL (ARRAY[
        'schema_migrations', 'districts', 'departments', 'providers', 'systems', 'resources', 'catalogue', 'scores',
        'calendar', 'events', 'files', 'rejects', 'usage', 'usage_months', 'activity', 'activity_idle_months',
        'summary_state', 'findings', 'job_runs', 'locks', 'statements', 'statement_lines', 'statement_runs',
        'statement_departments', 'statement_districts', 'statement_snapshots',
        'users', 'sessions', 'login_failures', 'audit', 'archives', 'budgets', 'budget_forecasts', 'budget_findings',
        'signoff_publications', 'signoff_confirmations', 'signoff_objections', 'signoff_evidence', 'signoff_approvals']) ORDER BY 1
    LOOP
        RAISE WARNING 'table % is not in deploy/postgres-setup.sql: every role reads it, none writes it', t;
    END LOOP;
END $$;

COMMIT;
