-- Scratch table of the settlement's grouped pass. Rows are written and read
-- inside one settle transaction that is rolled back, so they are never
-- committed and concurrent settlements never see each other's rows. It is
-- a real (unlogged) table rather than a TEMP table because PostgreSQL runs
-- no parallel workers over temporary tables.
CREATE UNLOGGED TABLE settle_segments (
    id          BIGINT NOT NULL,
    resource_id TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    seg_from    DATE NOT NULL,
    seg_to      DATE NOT NULL,
    approved    NUMERIC NOT NULL
);
