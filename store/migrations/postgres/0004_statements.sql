-- Versioned settlement statements. An issued statement never changes: the
-- triggers below refuse any update or delete of an issued statement or of
-- its rows (the only update allowed is draft → issued).
CREATE TABLE statements (
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'issued')),
    created_at  TIMESTAMPTZ NOT NULL,
    issued_at   TIMESTAMPTZ,
    sha256      TEXT NOT NULL,
    policy      TEXT NOT NULL,
    evaluation  TEXT NOT NULL,
    gross       NUMERIC NOT NULL,
    net         NUMERIC NOT NULL,
    PRIMARY KEY (year, version)
);
CREATE TABLE statement_lines (
    year            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    provider_code   TEXT NOT NULL,
    district_code   TEXT NOT NULL,
    department_code TEXT NOT NULL,
    system_id       TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    item_code       TEXT NOT NULL,
    billable_days   INTEGER NOT NULL,
    quantity_days   NUMERIC NOT NULL,
    gross           NUMERIC NOT NULL,
    PRIMARY KEY (year, version, provider_code, resource_id, item_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE TABLE statement_runs (
    year           INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    resource_id    TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    effective_from DATE NOT NULL,
    price          NUMERIC NOT NULL,
    cycle          TEXT NOT NULL,
    approval_ref   TEXT NOT NULL,
    quantity       NUMERIC NOT NULL,
    days           INTEGER NOT NULL,
    cycle_days     INTEGER NOT NULL,
    month          INTEGER NOT NULL DEFAULT 0,
    amount         NUMERIC NOT NULL,
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE INDEX statement_runs_line ON statement_runs (year, version, resource_id, item_code);
CREATE TABLE statement_departments (
    year            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    provider_code   TEXT NOT NULL,
    district_code   TEXT NOT NULL,
    department_code TEXT NOT NULL,
    gross           NUMERIC NOT NULL,
    coefficient     NUMERIC NOT NULL,
    net             NUMERIC NOT NULL,
    PRIMARY KEY (year, version, provider_code, department_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE TABLE statement_districts (
    year          INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    district_code TEXT NOT NULL,
    gross         NUMERIC NOT NULL,
    net           NUMERIC NOT NULL,
    PRIMARY KEY (year, version, district_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);

CREATE FUNCTION statement_refuse_issued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'statements' THEN
        IF OLD.status = 'issued' THEN
            RAISE EXCEPTION 'statement % version % is issued and cannot change', OLD.year, OLD.version;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version AND s.status = 'issued') THEN
            RAISE EXCEPTION 'statement % version % is issued and cannot change', NEW.year, NEW.version;
        END IF;
    ELSE
        IF EXISTS (SELECT 1 FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version AND s.status = 'issued') THEN
            RAISE EXCEPTION 'statement % version % is issued and cannot change', OLD.year, OLD.version;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER statements_issued BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statement_refuse_issued();
CREATE TRIGGER statement_lines_issued BEFORE INSERT OR UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION statement_refuse_issued();
CREATE TRIGGER statement_runs_issued BEFORE INSERT OR UPDATE OR DELETE ON statement_runs
    FOR EACH ROW EXECUTE FUNCTION statement_refuse_issued();
CREATE TRIGGER statement_departments_issued BEFORE INSERT OR UPDATE OR DELETE ON statement_departments
    FOR EACH ROW EXECUTE FUNCTION statement_refuse_issued();
CREATE TRIGGER statement_districts_issued BEFORE INSERT OR UPDATE OR DELETE ON statement_districts
    FOR EACH ROW EXECUTE FUNCTION statement_refuse_issued();
CREATE FUNCTION statement_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM statements WHERE status = 'issued') THEN
        RAISE EXCEPTION 'issued statements cannot be truncated';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER statements_no_truncate BEFORE TRUNCATE ON statements
    FOR EACH STATEMENT EXECUTE FUNCTION statement_refuse_truncate();
