-- Nightly ingestion: list rejects by file quickly (cloudbill rejects --file).
-- The staging tables are per-session temporary tables (ON COMMIT DELETE ROWS),
-- created on first use, so two ingests never share one.
CREATE INDEX rejects_file ON rejects (file, line);
