-- Reference data: inventory, catalogue, lifecycle events, scores, calendar.
-- Inventory and catalogue are small: reference tables on Citus.
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
    effective_from DATE NOT NULL,
    effective_to   DATE,
    category       TEXT NOT NULL,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL,
    cycle          TEXT NOT NULL CHECK (cycle IN ('year', 'month', 'day')),
    price          NUMERIC NOT NULL CHECK (price > 0),
    approval_ref   TEXT NOT NULL,
    PRIMARY KEY (item_code, effective_from)
);
CREATE TABLE events (
    resource_id TEXT NOT NULL REFERENCES resources (id),
    event       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    day         DATE NOT NULL,
    item_code   TEXT NOT NULL DEFAULT '',
    quantity    NUMERIC,
    ref         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (resource_id, event, at, item_code)
);
CREATE TABLE scores (
    provider_code TEXT NOT NULL REFERENCES providers (code),
    period        TEXT NOT NULL,
    dimension     TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    score         NUMERIC NOT NULL,
    PRIMARY KEY (provider_code, period, dimension, evaluator)
);
CREATE TABLE calendar (
    day  DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);

-- Metering, keyed by resource_id first: on Citus,
-- SELECT create_distributed_table('usage', 'resource_id') and the same for activity.
CREATE TABLE usage (
    resource_id TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    day         DATE NOT NULL,
    quantity    NUMERIC NOT NULL,
    PRIMARY KEY (resource_id, item_code, day)
);
CREATE TABLE activity (
    resource_id   TEXT NOT NULL,
    day           DATE NOT NULL,
    cpu_avg_pct   NUMERIC NOT NULL,
    cpu_max_pct   NUMERIC NOT NULL,
    mem_avg_pct   NUMERIC NOT NULL,
    disk_used_pct NUMERIC NOT NULL,
    net_in_bytes  BIGINT NOT NULL,
    net_out_bytes BIGINT NOT NULL,
    PRIMARY KEY (resource_id, day)
);

CREATE TABLE rejects (
    id             BIGSERIAL PRIMARY KEY,
    file           TEXT NOT NULL,
    file_sha256    TEXT NOT NULL,
    line           INTEGER NOT NULL,
    col            TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL,
    raw            TEXT NOT NULL DEFAULT '',
    record_kind    TEXT NOT NULL DEFAULT '',
    retry_resource TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ
);
CREATE INDEX rejects_retry ON rejects (retry_resource) WHERE resolved_at IS NULL AND retry_resource <> '';

CREATE TABLE files (
    sha256       TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    rows_read    BIGINT NOT NULL DEFAULT 0,
    accepted     BIGINT NOT NULL DEFAULT 0,
    replaced     BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    rejected     BIGINT NOT NULL DEFAULT 0,
    not_billable BIGINT NOT NULL DEFAULT 0,
    processed_at TIMESTAMPTZ NOT NULL
);
