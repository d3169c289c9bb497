-- archives records the metering files `cloudbill archive` wrote for a
-- closed year, one row per file (usage, activity), by the SHA-256 of the
-- file. The year's rows left the metering tables when it was archived; its
-- summaries (usage_months, activity_idle_months) stayed, and while the
-- file is not restored no rebuild of a summary touches the months of that
-- year (they are recomputed from rows that are no longer there). Ingesting
-- the archive file again restores the rows and sets restored_at.
CREATE TABLE archives (
    sha256      TEXT PRIMARY KEY,
    year        INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('usage', 'activity')),
    name        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    idle_key    TEXT NOT NULL DEFAULT '',
    archived_at TIMESTAMPTZ NOT NULL,
    restored_at TIMESTAMPTZ
);
CREATE INDEX archives_year ON archives (year, kind) WHERE restored_at IS NULL;
