-- Reference data: inventory, catalogue, lifecycle events, scores, calendar.
-- Decimals are TEXT (SQLite's NUMERIC affinity would turn them into floats),
-- civil dates are TEXT YYYY-MM-DD, instants are UTC RFC 3339 TEXT.
CREATE TABLE districts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE departments (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    district_code TEXT NOT NULL REFERENCES districts (code)
);
CREATE TABLE providers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE systems (
    id               TEXT PRIMARY KEY,
    department_code  TEXT NOT NULL REFERENCES departments (code),
    name             TEXT NOT NULL,
    protection_level TEXT NOT NULL DEFAULT ''
);
CREATE TABLE resources (
    id            TEXT PRIMARY KEY,
    system_id     TEXT NOT NULL REFERENCES systems (id),
    provider_code TEXT NOT NULL REFERENCES providers (code),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL
);
CREATE INDEX resources_system ON resources (system_id);
CREATE TABLE catalogue (
    item_code      TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to   TEXT,
    category       TEXT NOT NULL,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL,
    cycle          TEXT NOT NULL CHECK (cycle IN ('year', 'month', 'day')),
    price          TEXT NOT NULL,
    approval_ref   TEXT NOT NULL,
    PRIMARY KEY (item_code, effective_from)
);
CREATE TABLE events (
    resource_id TEXT NOT NULL REFERENCES resources (id),
    event       TEXT NOT NULL,
    at          TEXT NOT NULL,
    day         TEXT NOT NULL,
    item_code   TEXT NOT NULL DEFAULT '',
    quantity    TEXT,
    ref         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (resource_id, event, at, item_code)
);
CREATE TABLE scores (
    provider_code TEXT NOT NULL REFERENCES providers (code),
    period        TEXT NOT NULL,
    dimension     TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    score         TEXT NOT NULL,
    PRIMARY KEY (provider_code, period, dimension, evaluator)
);
CREATE TABLE calendar (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);

-- Metering, keyed by resource_id first (the distribution column on Citus).
CREATE TABLE usage (
    resource_id TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    day         TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    PRIMARY KEY (resource_id, item_code, day)
) WITHOUT ROWID;
CREATE TABLE activity (
    resource_id   TEXT NOT NULL,
    day           TEXT NOT NULL,
    cpu_avg_pct   TEXT NOT NULL,
    cpu_max_pct   TEXT NOT NULL,
    mem_avg_pct   TEXT NOT NULL,
    disk_used_pct TEXT NOT NULL,
    net_in_bytes  INTEGER NOT NULL,
    net_out_bytes INTEGER NOT NULL,
    PRIMARY KEY (resource_id, day)
) WITHOUT ROWID;

-- Rejected metering rows, kept for re-processing.
CREATE TABLE rejects (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    file           TEXT NOT NULL,
    file_sha256    TEXT NOT NULL,
    line           INTEGER NOT NULL,
    col            TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL,
    raw            TEXT NOT NULL DEFAULT '',
    record_kind    TEXT NOT NULL DEFAULT '',
    retry_resource TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    resolved_at    TEXT
);
CREATE INDEX rejects_retry ON rejects (retry_resource) WHERE resolved_at IS NULL AND retry_resource <> '';

-- Ledger of loaded reference files and ingested metering files.
CREATE TABLE files (
    sha256       TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    accepted     INTEGER NOT NULL DEFAULT 0,
    replaced     INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    not_billable INTEGER NOT NULL DEFAULT 0,
    processed_at TEXT NOT NULL
);
