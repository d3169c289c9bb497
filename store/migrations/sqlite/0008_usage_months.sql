-- usage_months summarises usage by (resource, item, month, quantity): bit
-- d-1 of days is set when the usage row of day d of that month has that
-- quantity (the exact text stored in usage). Each usage row has its bit in
-- exactly one summary row, so the settlement and the findings count days
-- per quantity with masks over about a thirtieth of the rows. Ingestion
-- adds the bits of the rows it inserts, in the same transaction; these
-- triggers move the bits of rows that are updated or deleted.
CREATE TABLE usage_months (
    resource_id TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    month       TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    days        INTEGER NOT NULL,
    PRIMARY KEY (resource_id, item_code, month, quantity)
) WITHOUT ROWID;

-- Bits of one group are distinct days, so their sum is their union.
INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
SELECT resource_id, item_code, substr(day, 1, 8) || '01', quantity,
       sum(1 << (CAST(substr(day, 9, 2) AS INTEGER) - 1))
FROM usage
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER usage_months_update AFTER UPDATE ON usage BEGIN
    UPDATE usage_months SET days = days & ~(1 << (CAST(substr(old.day, 9, 2) AS INTEGER) - 1))
    WHERE resource_id = old.resource_id AND item_code = old.item_code
      AND month = substr(old.day, 1, 8) || '01' AND quantity = old.quantity;
    DELETE FROM usage_months
    WHERE resource_id = old.resource_id AND item_code = old.item_code
      AND month = substr(old.day, 1, 8) || '01' AND quantity = old.quantity AND days = 0;
    INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
    VALUES (new.resource_id, new.item_code, substr(new.day, 1, 8) || '01', new.quantity,
            1 << (CAST(substr(new.day, 9, 2) AS INTEGER) - 1))
    ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = days | excluded.days;
END;

CREATE TRIGGER usage_months_delete AFTER DELETE ON usage BEGIN
    UPDATE usage_months SET days = days & ~(1 << (CAST(substr(old.day, 9, 2) AS INTEGER) - 1))
    WHERE resource_id = old.resource_id AND item_code = old.item_code
      AND month = substr(old.day, 1, 8) || '01' AND quantity = old.quantity;
    DELETE FROM usage_months
    WHERE resource_id = old.resource_id AND item_code = old.item_code
      AND month = substr(old.day, 1, 8) || '01' AND quantity = old.quantity AND days = 0;
END;
