-- Every ingest starts by reading each resource's first confirmation day
-- (LoadKnown): this index answers it from the confirmed events alone.
CREATE INDEX events_confirmed ON events (event, resource_id, day);
