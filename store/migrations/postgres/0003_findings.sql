-- Resource-use findings (docs/rules.md §8), refreshed as a whole by the
-- nightly job: one row per run of days of one kind for one resource (and
-- item), or for one system (zombie: resource_id '').
CREATE TABLE findings (
    kind            TEXT NOT NULL,
    district_code   TEXT NOT NULL,
    department_code TEXT NOT NULL,
    system_id       TEXT NOT NULL,
    resource_id     TEXT NOT NULL DEFAULT '',
    item_code       TEXT NOT NULL DEFAULT '',
    first_day       DATE NOT NULL,
    last_day        DATE NOT NULL,
    days            INTEGER NOT NULL,
    amount          NUMERIC NOT NULL,
    action          TEXT NOT NULL,
    as_of           DATE NOT NULL,
    PRIMARY KEY (kind, system_id, resource_id, item_code, first_day)
);
CREATE INDEX findings_days ON findings (last_day, first_day);
