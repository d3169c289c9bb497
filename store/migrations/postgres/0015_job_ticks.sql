-- One run per scheduled tick: job_runs records the time the schedule named
-- for a run (scheduled; NULL for a run started by hand), and at most one
-- run of a job per tick may be running or succeeded. A run left running by
-- a process that died is marked abandoned (a status of its own).
ALTER TABLE job_runs ADD COLUMN scheduled TIMESTAMPTZ;
ALTER TABLE job_runs DROP CONSTRAINT job_runs_status_check;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'abandoned'));
CREATE UNIQUE INDEX job_runs_tick ON job_runs (job, scheduled) WHERE scheduled IS NOT NULL AND status IN ('running', 'succeeded');
