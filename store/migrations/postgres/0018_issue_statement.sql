-- A statement is issued only through issue_statement(year, version,
-- sha256, issued_at, snapshot), which runs as the owner of the schema
-- (SECURITY DEFINER; EXECUTE is granted by deploy/postgres-setup.sql to the
-- issuer role alone). In one transaction, under the year's lock and with
-- the version's header locked FOR UPDATE, it checks that the version is
-- the year's latest and a draft, recomputes the version's fingerprint in
-- SQL from its lines (statement_rows_sha256: the bytes of
-- billing.WriteSettlementCSV) and refuses the version unless the rows hash
-- to the stored fingerprint and the stored fingerprint is the one the
-- issuer was shown; then it stores the snapshot and marks the version
-- issued with the snapshot's SHA-256. The trigger statements_issue_guard
-- (migration 0017) refuses any other way to issue for every role but the
-- owner, so a role that may insert drafts cannot forge an issued version.
--
-- The canonical CSV (docs/rules.md §5, billing.WriteSettlementCSV):
--   provider_code,district_code,department_code,system_id,resource_id,item_code,billable_days,quantity_days,gross
-- then one line per statement line in byte order of those six codes, each
-- line ending in \n; a code is quoted as encoding/csv quotes it;
-- billable_days an integer, quantity_days a plain decimal without trailing
-- zeros (trim_scale), gross with two decimals.
DO $migration$
DECLARE
    s TEXT := current_schema();
    -- A code as encoding/csv writes it (fieldNeedsQuotes): empty never
    -- quoted; \. always; quoted when it holds a quote, comma, CR or LF or
    -- its first rune is a Unicode space; a quote inside doubled. Written
    -- out for each column (a function call per field costs seconds at
    -- 100,000 lines).
    q TEXT := $q$CASE WHEN %1$s = '' THEN ''
            WHEN %1$s = '\.' OR strpos(%1$s, '"') > 0 OR strpos(%1$s, ',') > 0 OR strpos(%1$s, E'\r') > 0 OR strpos(%1$s, E'\n') > 0
              OR %1$s ~ '^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
                THEN '"' || replace(%1$s, '"', '""') || '"'
            ELSE %1$s END$q$;
    fields TEXT;
BEGIN
    fields := format(q, 'l.provider_code') || $c$ || ',' || $c$ || format(q, 'l.district_code') || $c$ || ',' || $c$
        || format(q, 'l.department_code') || $c$ || ',' || $c$ || format(q, 'l.system_id') || $c$ || ',' || $c$
        || format(q, 'l.resource_id') || $c$ || ',' || $c$ || format(q, 'l.item_code');
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.statement_rows_sha256(p_year INTEGER, p_version INTEGER) RETURNS TEXT LANGUAGE sql STABLE
SET search_path = pg_catalog, %1$I, pg_temp AS $$
    SELECT encode(sha256(convert_to(
        'provider_code,district_code,department_code,system_id,resource_id,item_code,billable_days,quantity_days,gross' || E'\n'
        || coalesce(string_agg(
            %2$s
            || ',' || l.billable_days::text || ',' || trim_scale(l.quantity_days)::text || ',' || round(l.gross, 2)::text || E'\n',
            '' ORDER BY l.provider_code COLLATE "C", l.district_code COLLATE "C", l.department_code COLLATE "C",
                        l.system_id COLLATE "C", l.resource_id COLLATE "C", l.item_code COLLATE "C"), ''),
        'UTF8')), 'hex')
    FROM %1$I.statement_lines l
    WHERE l.year = p_year AND l.version = p_version
$$
$f$, s, fields);

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %1$I.issue_statement(p_year INTEGER, p_version INTEGER, p_sha256 TEXT, p_issued_at TIMESTAMPTZ, p_snapshot TEXT)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, %1$I, pg_temp AS $$
DECLARE
    latest INTEGER;
    state TEXT;
    stored TEXT;
    rows_sha TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(7420012, p_year); -- the year's lock, as store.SaveStatement takes it
    SELECT st.version, st.status, st.sha256 INTO latest, state, stored FROM %1$I.statements st
    WHERE st.year = p_year ORDER BY st.version DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'statement %% has no version to issue', p_year USING ERRCODE = 'no_data_found';
    END IF;
    IF latest <> p_version THEN
        RAISE EXCEPTION 'statement %% version %% is not the latest: version %% is', p_year, p_version, latest
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF state <> 'draft' THEN
        RAISE EXCEPTION 'statement %% version %% is already issued', p_year, p_version
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    rows_sha := %1$I.statement_rows_sha256(p_year, p_version);
    IF rows_sha IS DISTINCT FROM stored THEN
        RAISE EXCEPTION 'statement %% version %%: its rows hash to %% but it was settled with %%: the database was changed behind cloudbill''s back',
            p_year, p_version, rows_sha, stored USING ERRCODE = 'data_corrupted';
    END IF;
    IF p_sha256 IS DISTINCT FROM stored THEN
        RAISE EXCEPTION 'statement %% version %%: its fingerprint is %%, not %% as the issuer was shown', p_year, p_version, stored, p_sha256
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF p_snapshot IS NULL OR p_issued_at IS NULL THEN
        RAISE EXCEPTION 'statement %% version %%: issuing needs the snapshot and the time', p_year, p_version
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    DELETE FROM %1$I.statement_snapshots WHERE year = p_year AND version = p_version;
    INSERT INTO %1$I.statement_snapshots (year, version, body) VALUES (p_year, p_version, p_snapshot);
    UPDATE %1$I.statements
    SET status = 'issued', issued_at = p_issued_at, snapshot_sha256 = encode(sha256(convert_to(p_snapshot, 'UTF8')), 'hex')
    WHERE year = p_year AND version = p_version;
END $$
$f$, s);
    EXECUTE format('REVOKE ALL ON FUNCTION %1$I.issue_statement(INTEGER, INTEGER, TEXT, TIMESTAMPTZ, TEXT) FROM PUBLIC', s);
END $migration$;
