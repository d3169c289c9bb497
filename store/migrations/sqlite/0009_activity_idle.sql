-- activity_idle_months holds, per resource and month, the days whose
-- activity was idle (Art. 27) under the thresholds recorded in
-- summary_state('activity_idle'): bit d-1 is day d. The findings refresh
-- reads it instead of filtering every activity row. Ingestion ORs in the
-- idle days of the rows it inserts; an update or delete of activity rows,
-- or a policy with other thresholds, empties the recorded thresholds and
-- the next refresh rebuilds the summary in one pass over activity.
CREATE TABLE activity_idle_months (
    resource_id TEXT NOT NULL,
    month       TEXT NOT NULL,
    days        INTEGER NOT NULL,
    PRIMARY KEY (resource_id, month)
) WITHOUT ROWID;

CREATE TABLE summary_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A database without activity starts with the (empty) summary current for
-- the default thresholds (evaluation.DefaultPolicy().IdleKey(); a test
-- checks that they agree), so ingestion keeps it from the first file on.
INSERT INTO summary_state (name, value)
SELECT 'activity_idle', CASE WHEN EXISTS (SELECT 1 FROM activity) THEN '' ELSE 'idle.cpu_avg_below = 5
idle.cpu_max_below = 10
idle.net_bytes_below = 10485760
idle.disk_used_below = 5
' END;

CREATE TRIGGER activity_idle_update AFTER UPDATE ON activity BEGIN
    UPDATE summary_state SET value = '' WHERE name = 'activity_idle' AND value <> '';
END;
CREATE TRIGGER activity_idle_delete AFTER DELETE ON activity BEGIN
    UPDATE summary_state SET value = '' WHERE name = 'activity_idle' AND value <> '';
END;
