-- Nightly ingestion: list rejects by file quickly (cloudbill rejects --file).
CREATE INDEX rejects_file ON rejects (file, line);
