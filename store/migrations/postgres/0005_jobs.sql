-- Job history and the daemon's locks (issue 7).
-- job_runs: one row per attempt to run a job (daemon, catch-up or one-shot).
CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    job         TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    holder      TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    counts      TEXT NOT NULL DEFAULT '{}',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);

-- locks: on PostgreSQL the mutex itself is a session advisory lock
-- (pg_try_advisory_lock, released when its connection ends); the holder
-- also writes a row here so that operators can see who runs what. Same
-- shape as on SQLite, where the row with its lease is the mutex.
CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
