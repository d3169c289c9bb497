-- PostgreSQL set-up for cloudbill: a database, the role that owns its schema
-- and a least-privilege role for the daemon.
--
-- Run once, as a superuser (or a role with CREATEROLE and CREATEDB):
--
--   psql -v owner_password='…' -v daemon_password='…' -f deploy/postgres-setup.sql
--
-- Optional variables (defaults in brackets): -v dbname=… [cloudbill]
-- -v owner=… [cloudbill_owner] -v daemon=… [cloudbill_daemon].
--
-- Then create or upgrade the schema AS THE OWNER, at every new release:
--
--   CLOUDBILL_DB='postgres://cloudbill_owner@db.example/cloudbill' cloudbill migrate
--
-- and run everything else (serve, run, load, ingest, settle, report) as the
-- daemon role. What the daemon role can and cannot do:
--   * read and write rows of every table the owner creates (default
--     privileges below cover the tables of later migrations too): reference
--     data, metering, rejects, findings, statements, job_runs, locks;
--   * create TEMPORARY tables (the ingester's and the findings' staging);
--   * take advisory locks (every role can);
--   * NOT create, alter, drop or truncate tables, nor disable triggers: it
--     owns nothing, and has no CREATE on the schema, no TRUNCATE, no TRIGGER;
--   * NOT change an issued statement: the statements migration's triggers
--     refuse UPDATE and DELETE of issued statements and their rows, and only
--     an owner (or a superuser) could disable them;
--   * NOT write schema_migrations (it may read it, to see the schema is current).
-- The daemon never issues statements on its own; `cloudbill issue` is an
-- operator's act, which may use the same role or a separate one.

\set ON_ERROR_STOP on
\if :{?dbname}
\else
\set dbname cloudbill
\endif
\if :{?owner}
\else
\set owner cloudbill_owner
\endif
\if :{?daemon}
\else
\set daemon cloudbill_daemon
\endif
\if :{?owner_password}
\else
\echo 'set the passwords: psql -v owner_password=… -v daemon_password=… -f deploy/postgres-setup.sql'
\quit
\endif
\if :{?daemon_password}
\else
\echo 'set the passwords: psql -v owner_password=… -v daemon_password=… -f deploy/postgres-setup.sql'
\quit
\endif

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"daemon" LOGIN PASSWORD :'daemon_password' NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 32;
CREATE DATABASE :"dbname" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;

\connect :"dbname"

-- Nobody but the owner creates anything in the schema.
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO :"daemon";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"daemon";

-- Rows, not structure, of whatever the owner creates, now or in later migrations.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"daemon";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"daemon";

-- The migration ledger exists from the start (the same definition cloudbill
-- uses), so that the daemon can only read it.
SET ROLE :"owner";
CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
RESET ROLE;
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM :"daemon";
GRANT SELECT ON schema_migrations TO :"daemon";

-- Re-running this part after `cloudbill migrate` also covers tables created
-- before the default privileges existed:
--   GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cloudbill_daemon;
--   GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cloudbill_daemon;
--   REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM cloudbill_daemon;
