-- The audit trail becomes an append-only hash chain (docs/audit.md): each
-- row names its role, year and subject, and carries the SHA-256 of the row
-- before it (prev_sha256; 64 zeros for the first) and of its own canonical
-- content, which covers prev_sha256 (store.AuditCanonical). The rows that
-- existed before are chained here, in id order, by the same encoding built
-- in SQL (cloudbill_sha256 is registered by the store). Triggers then
-- refuse every UPDATE and DELETE, and an INSERT that would replace a row.
ALTER TABLE audit ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN prev_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';

WITH RECURSIVE
body (id, text) AS NOT MATERIALIZED (
    SELECT id, 'cloudbill-audit-v1' || char(10)
        || length(CAST(CAST(id AS TEXT) AS BLOB)) || ':' || CAST(id AS TEXT) || char(10)
        || length(CAST(at AS BLOB)) || ':' || at || char(10)
        || length(CAST(user_name AS BLOB)) || ':' || user_name || char(10)
        || length(CAST(role AS BLOB)) || ':' || role || char(10)
        || length(CAST(action AS BLOB)) || ':' || action || char(10)
        || length(CAST(CAST(year AS TEXT) AS BLOB)) || ':' || CAST(year AS TEXT) || char(10)
        || length(CAST(subject AS BLOB)) || ':' || subject || char(10)
        || length(CAST(remote_addr AS BLOB)) || ':' || remote_addr || char(10)
        || length(CAST(detail AS BLOB)) || ':' || detail || char(10)
    FROM audit
),
chain (id, prev, sha) AS (
    SELECT b.id, '0000000000000000000000000000000000000000000000000000000000000000',
        cloudbill_sha256(b.text || '64:0000000000000000000000000000000000000000000000000000000000000000' || char(10))
    FROM body b WHERE b.id = (SELECT min(id) FROM audit)
    UNION ALL
    SELECT b.id, c.sha, cloudbill_sha256(b.text || '64:' || c.sha || char(10))
    FROM chain c JOIN body b ON b.id = (SELECT min(a.id) FROM audit a WHERE a.id > c.id)
)
UPDATE audit SET prev_sha256 = chain.prev, sha256 = chain.sha FROM chain WHERE chain.id = audit.id;

CREATE INDEX audit_year ON audit (year, id);
-- One successor per row: two writers chaining onto the same row (a fork)
-- cannot both commit, whatever their isolation.
CREATE UNIQUE INDEX audit_one_successor ON audit (prev_sha256);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a row cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a row cannot be deleted'); END;
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
WHEN EXISTS (SELECT 1 FROM audit a WHERE a.id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a row cannot be replaced'); END;
