-- Every function cloudbill's triggers run is immune to shadowing. The
-- daemon's role has TEMPORARY (the ingester stages rows in temp tables),
-- and a session's temp schema is searched for tables before every other
-- schema unless the search_path names it: a session that created
-- pg_temp.statements made the unqualified "statements" of the trigger
-- functions read its shadow, which had no issued version, and could
-- rewrite an issued version's lines while the version still read issued.
-- Each function is therefore created again (a) naming every table with the
-- schema this migration runs in (%1$I below, fixed now) and (b) with
-- search_path = pg_catalog, <schema>, pg_temp: the temp schema last.
--
-- Also:
--   * the row triggers take a share lock on the headers of the versions
--     their rows belong to, so that no row slips into a version while it
--     is being issued (issue_statement, migration 0018, locks the header
--     FOR UPDATE). A row lock needs a right on statements that the daemon
--     lacks, so they run as the owner (SECURITY DEFINER);
--   * a statement is stored as a draft; only the owner of statements turns
--     it into issued (in practice issue_statement, which runs as the
--     owner), and only together with its snapshot (migration 0016);
--   * statement_snapshots gets the triggers of every row of a statement.
DO $migration$
DECLARE
    s TEXT := current_schema();
BEGIN
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statement_refuse_issued() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'statement %% version %% is issued and cannot change', OLD.year, OLD.version;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statement_issue_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status <> 'draft' THEN
        RAISE EXCEPTION 'statement %% version %%: a statement is stored as a draft and issued by cloudbill issue', NEW.year, NEW.version
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'issued' AND OLD.status <> 'issued' THEN
        -- current_user: inside issue_statement (SECURITY DEFINER) the owner.
        IF NOT pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'MEMBER') THEN
            RAISE EXCEPTION 'statement %% version %%: only cloudbill issue (the function issue_statement) issues a statement', NEW.year, NEW.version
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.snapshot_sha256 IS NULL
           OR NOT EXISTS (SELECT 1 FROM %1$I.statement_snapshots p WHERE p.year = NEW.year AND p.version = NEW.version) THEN
            RAISE EXCEPTION 'statement %% version %% is issued together with its snapshot, by cloudbill issue', NEW.year, NEW.version;
        END IF;
    END IF;
    RETURN NEW;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statement_rows_refuse_issued() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, %1$I, pg_temp AS $$
DECLARE
    y INTEGER;
    v INTEGER;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM 1 FROM %1$I.statements s
        WHERE (s.year, s.version) IN (SELECT n.year, n.version FROM new_rows n)
        ORDER BY s.year, s.version FOR SHARE OF s;
        SELECT n.year, n.version INTO y, v FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM %1$I.statements s WHERE s.year = n.year AND s.version = n.version) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'statement %% version %% does not exist', y, v USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT s.year, s.version INTO y, v FROM %1$I.statements s
        WHERE s.status = 'issued' AND EXISTS (SELECT 1 FROM new_rows n WHERE n.year = s.year AND n.version = s.version) LIMIT 1;
    END IF;
    IF y IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM 1 FROM %1$I.statements s
        WHERE (s.year, s.version) IN (SELECT o.year, o.version FROM old_rows o)
        ORDER BY s.year, s.version FOR SHARE OF s;
        SELECT s.year, s.version INTO y, v FROM %1$I.statements s
        WHERE s.status = 'issued' AND EXISTS (SELECT 1 FROM old_rows o WHERE o.year = s.year AND o.version = s.version) LIMIT 1;
    END IF;
    IF y IS NOT NULL THEN
        RAISE EXCEPTION 'statement %% version %% is issued and cannot change', y, v;
    END IF;
    RETURN NULL;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statement_refuse_truncate() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM %1$I.statements WHERE status = 'issued') THEN
        RAISE EXCEPTION 'issued statements cannot be truncated';
    END IF;
    RETURN NULL;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statements_refuse_orphans() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
DECLARE
    y INTEGER;
    v INTEGER;
BEGIN
    SELECT o.year, o.version INTO y, v FROM old_rows o
    WHERE NOT EXISTS (SELECT 1 FROM %1$I.statements s WHERE s.year = o.year AND s.version = o.version)
      AND (EXISTS (SELECT 1 FROM %1$I.statement_lines l WHERE l.year = o.year AND l.version = o.version)
       OR EXISTS (SELECT 1 FROM %1$I.statement_runs r WHERE r.year = o.year AND r.version = o.version)
       OR EXISTS (SELECT 1 FROM %1$I.statement_departments d WHERE d.year = o.year AND d.version = o.version)
       OR EXISTS (SELECT 1 FROM %1$I.statement_districts d WHERE d.year = o.year AND d.version = o.version)
       OR EXISTS (SELECT 1 FROM %1$I.statement_snapshots p WHERE p.year = o.year AND p.version = o.version))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement %% version %% still has rows', y, v USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.usage_months_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
BEGIN
    UPDATE %1$I.usage_months m SET days = m.days & ~g.days
    FROM (SELECT resource_id, item_code, date_trunc('month', day)::date AS month, quantity,
                 bit_or(1 << (extract(day FROM day)::int - 1)) AS days
          FROM old_rows GROUP BY 1, 2, 3, 4) g
    WHERE m.resource_id = g.resource_id AND m.item_code = g.item_code AND m.month = g.month AND m.quantity = g.quantity;
    DELETE FROM %1$I.usage_months m
    USING (SELECT DISTINCT resource_id, item_code, date_trunc('month', day)::date AS month, quantity FROM old_rows) g
    WHERE m.days = 0 AND m.resource_id = g.resource_id AND m.item_code = g.item_code AND m.month = g.month AND m.quantity = g.quantity;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO %1$I.usage_months AS m (resource_id, item_code, month, quantity, days)
        SELECT resource_id, item_code, date_trunc('month', day)::date, quantity,
               bit_or(1 << (extract(day FROM day)::int - 1))
        FROM new_rows
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days;
    END IF;
    RETURN NULL;
END $$
$f$, s);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.activity_idle_stale() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %1$I, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
        UPDATE %1$I.summary_state SET value = '' WHERE name = 'activity_idle' AND value <> '';
    END IF;
    RETURN NULL;
END $$
$f$, s);
END $migration$;

CREATE TRIGGER statements_issue_guard BEFORE INSERT OR UPDATE ON statements
    FOR EACH ROW EXECUTE FUNCTION statement_issue_guard();
CREATE TRIGGER statement_snapshots_issued_insert AFTER INSERT ON statement_snapshots
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued();
CREATE TRIGGER statement_snapshots_issued_update AFTER UPDATE ON statement_snapshots
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued();
CREATE TRIGGER statement_snapshots_issued_delete AFTER DELETE ON statement_snapshots
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued();
CREATE TRIGGER statement_snapshots_no_truncate BEFORE TRUNCATE ON statement_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION statement_refuse_truncate();
