-- usage_months summarises usage by (resource, item, month, quantity): bit
-- d-1 of days is set when the usage row of day d of that month has that
-- quantity. Each usage row has its bit in exactly one summary row, so the
-- settlement counts a segment's days per quantity with a mask and a
-- popcount over about a thirtieth of the rows it would otherwise read.
-- Ingestion adds the bits of the rows it inserts, in the same transaction
-- (a trigger on INSERT would cost a COPY of new rows a second pass over
-- them); statement-level triggers move the bits of rows that are updated
-- or deleted, in one set-based pass over the transition tables.
CREATE TABLE usage_months (
    resource_id TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    month       DATE NOT NULL,
    quantity    NUMERIC NOT NULL,
    days        INTEGER NOT NULL,
    PRIMARY KEY (resource_id, item_code, month, quantity)
);

INSERT INTO usage_months (resource_id, item_code, month, quantity, days)
SELECT resource_id, item_code, date_trunc('month', day)::date, quantity,
       bit_or(1 << (extract(day FROM day)::int - 1))
FROM usage
GROUP BY 1, 2, 3, 4;

CREATE FUNCTION usage_months_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE usage_months m SET days = m.days & ~g.days
    FROM (SELECT resource_id, item_code, date_trunc('month', day)::date AS month, quantity,
                 bit_or(1 << (extract(day FROM day)::int - 1)) AS days
          FROM old_rows GROUP BY 1, 2, 3, 4) g
    WHERE m.resource_id = g.resource_id AND m.item_code = g.item_code AND m.month = g.month AND m.quantity = g.quantity;
    DELETE FROM usage_months m
    USING (SELECT DISTINCT resource_id, item_code, date_trunc('month', day)::date AS month, quantity FROM old_rows) g
    WHERE m.days = 0 AND m.resource_id = g.resource_id AND m.item_code = g.item_code AND m.month = g.month AND m.quantity = g.quantity;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO usage_months AS m (resource_id, item_code, month, quantity, days)
        SELECT resource_id, item_code, date_trunc('month', day)::date, quantity,
               bit_or(1 << (extract(day FROM day)::int - 1))
        FROM new_rows
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (resource_id, item_code, month, quantity) DO UPDATE SET days = m.days | excluded.days;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER usage_months_update AFTER UPDATE ON usage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_months_sync();
CREATE TRIGGER usage_months_delete AFTER DELETE ON usage
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_months_sync();

-- The settlement's scratch segments carry the first day of their first month.
ALTER TABLE settle_segments ADD COLUMN month_from DATE;
