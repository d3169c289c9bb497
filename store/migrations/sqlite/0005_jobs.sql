-- Job history and the daemon's locks (issue 7).
-- job_runs: one row per attempt to run a job (daemon, catch-up or one-shot).
-- Instants are UTC RFC 3339 text with a fixed width, so text order is time order.
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    holder      TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    counts      TEXT NOT NULL DEFAULT '{}',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);

-- locks: a named mutex with a lease. A holder takes a free or expired row
-- with one conditional upsert, renews expires_at while it works and deletes
-- the row when done; a crashed holder's row expires on its own.
CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
