-- An issued statement cannot be rewritten by a conflict path either. The
-- triggers of migration 0004 checked only the row a change leaves (OLD),
-- so that
--   * INSERT OR REPLACE INTO statements turned an issued header into a
--     draft: REPLACE deletes the row it replaces without firing delete
--     triggers (unless PRAGMA recursive_triggers is on: cloudbill turns it
--     on, a sqlite3 shell does not);
--   * UPDATE OR REPLACE statement_lines overwrote the lines of an issued
--     version the same way;
--   * UPDATE statement_lines SET version = 1 moved a draft's rows into
--     issued version 1.
-- Every table of a statement now also checks the row a change makes (NEW)
-- and refuses an INSERT whose key is an issued version's, whatever the
-- conflict clause. A statement is stored as a draft and becomes issued
-- only together with its snapshot (migration 0016).
CREATE TRIGGER statements_born_draft BEFORE INSERT ON statements
WHEN NEW.status <> 'draft'
BEGIN SELECT RAISE(ABORT, 'a statement is stored as a draft and issued by cloudbill issue'); END;
CREATE TRIGGER statements_issued_no_replace BEFORE INSERT ON statements
WHEN EXISTS (SELECT 1 FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version AND s.status = 'issued')
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statements_issued_no_overwrite BEFORE UPDATE ON statements
WHEN EXISTS (SELECT 1 FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version AND s.status = 'issued')
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statements_issued_with_snapshot BEFORE UPDATE ON statements
WHEN NEW.status = 'issued' AND (NEW.snapshot_sha256 IS NULL
    OR NOT EXISTS (SELECT 1 FROM statement_snapshots p WHERE p.year = NEW.year AND p.version = NEW.version))
BEGIN SELECT RAISE(ABORT, 'a statement is issued together with its snapshot, by cloudbill issue'); END;

CREATE TRIGGER statement_lines_issued_no_move BEFORE UPDATE ON statement_lines
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_runs_issued_no_move BEFORE UPDATE ON statement_runs
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_departments_issued_no_move BEFORE UPDATE ON statement_departments
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_districts_issued_no_move BEFORE UPDATE ON statement_districts
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;

CREATE TRIGGER statement_snapshots_issued_no_insert BEFORE INSERT ON statement_snapshots
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_snapshots_issued_no_update BEFORE UPDATE ON statement_snapshots
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_snapshots_issued_no_move BEFORE UPDATE ON statement_snapshots
WHEN (SELECT status FROM statements s WHERE s.year = NEW.year AND s.version = NEW.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
CREATE TRIGGER statement_snapshots_issued_no_delete BEFORE DELETE ON statement_snapshots
WHEN (SELECT status FROM statements s WHERE s.year = OLD.year AND s.version = OLD.version) = 'issued'
BEGIN SELECT RAISE(ABORT, 'statement is issued and cannot change'); END;
