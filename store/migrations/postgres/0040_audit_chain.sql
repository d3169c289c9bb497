-- The audit trail becomes an append-only hash chain (docs/audit.md): each
-- row names its role, year and subject, and carries the SHA-256 of the row
-- before it (prev_sha256; 64 zeros for the first) and of its own canonical
-- content, which covers prev_sha256 (store.AuditCanonical). The rows that
-- existed before are chained here, in id order, by the same encoding built
-- in SQL. Triggers then refuse every UPDATE, DELETE and TRUNCATE, whoever
-- asks; the duty roles may only INSERT and SELECT (deploy/postgres-setup.sql).
ALTER TABLE audit ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN prev_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';

WITH RECURSIVE
body (id, text) AS NOT MATERIALIZED (
    SELECT id, 'cloudbill-audit-v1' || E'\n'
        || octet_length(id::text) || ':' || id::text || E'\n'
        || '30:' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z' || E'\n'
        || octet_length(user_name) || ':' || user_name || E'\n'
        || octet_length(role) || ':' || role || E'\n'
        || octet_length(action) || ':' || action || E'\n'
        || octet_length(year::text) || ':' || year::text || E'\n'
        || octet_length(subject) || ':' || subject || E'\n'
        || octet_length(remote_addr) || ':' || remote_addr || E'\n'
        || octet_length(detail) || ':' || detail || E'\n'
    FROM audit
),
chain (id, prev, sha) AS (
    SELECT b.id, repeat('0', 64),
        encode(sha256(convert_to(b.text || '64:' || repeat('0', 64) || E'\n', 'UTF8')), 'hex')
    FROM body b WHERE b.id = (SELECT min(id) FROM audit)
    UNION ALL
    SELECT b.id, c.sha, encode(sha256(convert_to(b.text || '64:' || c.sha || E'\n', 'UTF8')), 'hex')
    FROM chain c JOIN body b ON b.id = (SELECT min(a.id) FROM audit a WHERE a.id > c.id)
)
UPDATE audit SET prev_sha256 = chain.prev, sha256 = chain.sha FROM chain WHERE chain.id = audit.id;

CREATE INDEX audit_year ON audit (year, id);
-- One successor per row: two writers chaining onto the same row (a fork)
-- cannot both commit, whatever their isolation.
CREATE UNIQUE INDEX audit_one_successor ON audit (prev_sha256);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON public.audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON public.audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
