-- The over_budget findings of each year (docs/rules.md §10), replaced as a
-- whole by the latest forecast of the year (a monthly or quarterly report):
-- budget_forecasts holds the as-of date of that forecast, so that a report
-- of an earlier period written later does not replace a newer forecast.
CREATE TABLE budget_forecasts (
    year  INTEGER PRIMARY KEY,
    as_of DATE NOT NULL
);
CREATE TABLE budget_findings (
    year            INTEGER NOT NULL,
    district_code   TEXT NOT NULL,
    department_code TEXT NOT NULL DEFAULT '',
    budget          NUMERIC NOT NULL,
    forecast        NUMERIC NOT NULL,
    as_of           DATE NOT NULL,
    PRIMARY KEY (year, district_code, department_code)
);
