-- Metering is keyed by day first, as on SQLite (migration 0010). Nightly
-- files arrive in day order, so their rows go to the right-hand edge of
-- the primary-key index instead of to a different leaf page for every
-- (resource, item): with a year of rows, every page of the index, read
-- and written again each night. Nothing reads these tables by resource:
-- settlement and findings read the usage_months and activity_idle_months
-- summaries. resource_id stays in the key, so on Citus the tables are
-- still distributed by it.
ALTER TABLE usage DROP CONSTRAINT usage_pkey, ADD CONSTRAINT usage_pkey PRIMARY KEY (day, resource_id, item_code);
ALTER TABLE activity DROP CONSTRAINT activity_pkey, ADD CONSTRAINT activity_pkey PRIMARY KEY (day, resource_id);
