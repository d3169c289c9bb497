-- The rows of a statement (lines, runs, departments, districts) are
-- guarded by one check per SQL statement instead of one per row: a
-- settlement inserts tens of thousands of rows by COPY, and a per-row
-- EXISTS cost a second. AFTER … FOR EACH STATEMENT triggers see the
-- affected rows in transition tables; raising aborts the whole statement.
CREATE FUNCTION statement_rows_refuse_issued() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    y INTEGER;
    v INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT s.year, s.version INTO y, v FROM statements s
        WHERE s.status = 'issued' AND EXISTS (SELECT 1 FROM new_rows n WHERE n.year = s.year AND n.version = s.version) LIMIT 1;
    ELSE
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
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_issued', t);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued()', t || '_issued_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued()', t || '_issued_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_rows_refuse_issued()', t || '_issued_delete', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION statement_refuse_truncate()', t || '_no_truncate', t);
    END LOOP;
END $$;
