-- The settlement matches segments to the usage_months summary in Go now;
-- its scratch table (migration 0006) is no longer used.
DROP TABLE settle_segments;
