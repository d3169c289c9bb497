-- What an issued version's documents print besides its own rows: the names
-- of districts, departments, providers, systems, resources and catalogue
-- items, the holiday calendar, the policy and the SLA obligations,
-- findings and scores, frozen when the version is issued (in the same
-- transaction), so that renaming a department or loading a holiday, an
-- event or a score later never changes an issued version's documents.
-- body is the JSON store.Snapshot writes; statements.snapshot_sha256 is its
-- SHA-256, set by the same UPDATE that issues the version. A version
-- issued before this migration has neither (its documents read the live
-- tables, and cloudbill says so). The snapshot's triggers are those of
-- every row of a statement (migration 0017).
CREATE TABLE statement_snapshots (
    year    INTEGER NOT NULL,
    version INTEGER NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (year, version),
    FOREIGN KEY (year, version) REFERENCES statements (year, version)
);
ALTER TABLE statements ADD COLUMN snapshot_sha256 TEXT;
