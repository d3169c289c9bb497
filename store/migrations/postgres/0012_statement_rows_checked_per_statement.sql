-- A statement's rows must belong to a stored statement. The foreign keys
-- said so one row at a time: about 0.4 s of a settlement at 20,000
-- resources (one lookup per line and run). The per-statement triggers of
-- migration 0007 now check it once per SQL statement, over the transition
-- table, and a statement header with rows can no longer be deleted or
-- renumbered.
ALTER TABLE statement_lines DROP CONSTRAINT statement_lines_year_version_fkey;
ALTER TABLE statement_runs DROP CONSTRAINT statement_runs_year_version_fkey;
ALTER TABLE statement_departments DROP CONSTRAINT statement_departments_year_version_fkey;
ALTER TABLE statement_districts DROP CONSTRAINT statement_districts_year_version_fkey;

CREATE OR REPLACE FUNCTION statement_rows_refuse_issued() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    y INTEGER;
    v INTEGER;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT n.year, n.version INTO y, v FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.year = n.year AND s.version = n.version) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'statement % version % does not exist', y, v USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT s.year, s.version INTO y, v FROM statements s
        WHERE s.status = 'issued' AND EXISTS (SELECT 1 FROM new_rows n WHERE n.year = s.year AND n.version = s.version) LIMIT 1;
    END IF;
    IF y IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT s.year, s.version INTO y, v FROM statements s
        WHERE s.status = 'issued' AND EXISTS (SELECT 1 FROM old_rows o WHERE o.year = s.year AND o.version = s.version) LIMIT 1;
    END IF;
    IF y IS NOT NULL THEN
        RAISE EXCEPTION 'statement % version % is issued and cannot change', y, v;
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['statement_lines', 'statement_runs', 'statement_departments', 'statement_districts'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_issued_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued()', t || '_issued_update', t);
    END LOOP;
END $$;

CREATE FUNCTION statements_refuse_orphans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    y INTEGER;
    v INTEGER;
BEGIN
    SELECT o.year, o.version INTO y, v FROM old_rows o
    WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.year = o.year AND s.version = o.version)
      AND (EXISTS (SELECT 1 FROM statement_lines l WHERE l.year = o.year AND l.version = o.version)
       OR EXISTS (SELECT 1 FROM statement_runs r WHERE r.year = o.year AND r.version = o.version)
       OR EXISTS (SELECT 1 FROM statement_departments d WHERE d.year = o.year AND d.version = o.version)
       OR EXISTS (SELECT 1 FROM statement_districts d WHERE d.year = o.year AND d.version = o.version))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement % version % still has rows', y, v USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER statements_no_orphans_update AFTER UPDATE ON statements
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_orphans();
CREATE TRIGGER statements_no_orphans_delete AFTER DELETE ON statements
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statements_refuse_orphans();
