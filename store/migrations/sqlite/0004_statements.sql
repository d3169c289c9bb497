-- Versioned settlement statements. An issued statement never changes: the
-- triggers below refuse any update or delete of an issued statement or of
-- its rows (the only update allowed is draft → issued).
CREATE TABLE statements (
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'issued')),
    created_at  TEXT NOT NULL,
    issued_at   TEXT,
    sha256      TEXT NOT NULL,
    policy      TEXT NOT NULL,
    evaluation  TEXT NOT NULL,
    gross       TEXT NOT NULL,
    net         TEXT NOT NULL,
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
    quantity_days   TEXT NOT NULL,
    gross           TEXT NOT NULL,
    PRIMARY KEY (year, version, provider_code, resource_id, item_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE TABLE statement_runs (
    year           INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    resource_id    TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    price          TEXT NOT NULL,
    cycle          TEXT NOT NULL,
    approval_ref   TEXT NOT NULL,
    quantity       TEXT NOT NULL,
    days           INTEGER NOT NULL,
    cycle_days     INTEGER NOT NULL,
    month          INTEGER NOT NULL DEFAULT 0,
    amount         TEXT NOT NULL,
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE INDEX statement_runs_line ON statement_runs (year, version, resource_id, item_code);
CREATE TABLE statement_departments (
    year            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    provider_code   TEXT NOT NULL,
    district_code   TEXT NOT NULL,
    department_code TEXT NOT NULL,
    gross           TEXT NOT NULL,
    coefficient     TEXT NOT NULL,
    net             TEXT NOT NULL,
    PRIMARY KEY (year, version, provider_code, department_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
CREATE TABLE statement_districts (
    year          INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    district_code TEXT NOT NULL,
    gross         TEXT NOT NULL,
    net           TEXT NOT NULL,
    PRIMARY KEY (year, version, district_code),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);

CREATE TRIGGER statements_issued_no_update BEFORE UPDATE ON statements
WHEN OLD.status = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statements_issued_no_delete BEFORE DELETE ON statements
WHEN OLD.status = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_lines_issued_no_insert BEFORE INSERT ON statement_lines
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_lines_issued_no_update BEFORE UPDATE ON statement_lines
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_lines_issued_no_delete BEFORE DELETE ON statement_lines
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_runs_issued_no_insert BEFORE INSERT ON statement_runs
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_runs_issued_no_update BEFORE UPDATE ON statement_runs
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_runs_issued_no_delete BEFORE DELETE ON statement_runs
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_departments_issued_no_insert BEFORE INSERT ON statement_departments
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_departments_issued_no_update BEFORE UPDATE ON statement_departments
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_departments_issued_no_delete BEFORE DELETE ON statement_departments
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_districts_issued_no_insert BEFORE INSERT ON statement_districts
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_districts_issued_no_update BEFORE UPDATE ON statement_districts
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_districts_issued_no_delete BEFORE DELETE ON statement_districts
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
