-- Every ingest starts by reading each resource's first confirmation day
-- (LoadKnown): this index answers it from the confirmed events alone, in
-- resource order, instead of scanning and grouping every event.
CREATE INDEX events_confirmed ON events (event, resource_id, day);
