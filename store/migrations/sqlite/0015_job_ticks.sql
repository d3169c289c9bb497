-- One run per scheduled tick: job_runs records the time the schedule named
-- for a run (scheduled; NULL for a run started by hand), and at most one
-- run of a job per tick may be running or succeeded. A run left running by
-- a process that died is marked abandoned (a status of its own).
CREATE TABLE job_runs_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    holder      TEXT NOT NULL DEFAULT '',
    scheduled   TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'abandoned')),
    counts      TEXT NOT NULL DEFAULT '{}',
    error       TEXT NOT NULL DEFAULT ''
);
INSERT INTO job_runs_new (id, job, scope, holder, started_at, finished_at, status, counts, error)
SELECT id, job, scope, holder, started_at, finished_at, status, counts, error FROM job_runs;
DROP TABLE job_runs;
ALTER TABLE job_runs_new RENAME TO job_runs;
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);
CREATE UNIQUE INDEX job_runs_tick ON job_runs (job, scheduled) WHERE scheduled IS NOT NULL AND status IN ('running', 'succeeded');
