-- The ledger records how many bytes of each metering file were read (and
-- hashed: sha256 is the digest of exactly those bytes). A file whose size
-- matches no ledger row cannot be in the ledger, so ingestion hashes a
-- file ahead of reading it only when its size is one the ledger knows.
-- Rows recorded before this migration have no size (NULL).
ALTER TABLE files ADD COLUMN bytes INTEGER;
