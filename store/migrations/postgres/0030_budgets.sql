-- Budgets (budgets.csv, the optional tenth reference file): what a county
-- finance office budgeted for the government cloud in a year, for one
-- department or (department_code '') for the whole district.
CREATE TABLE budgets (
    year            INTEGER NOT NULL,
    district_code   TEXT NOT NULL REFERENCES districts (code),
    department_code TEXT NOT NULL DEFAULT '',
    amount          NUMERIC NOT NULL CHECK (amount >= 0),
    approval_ref    TEXT NOT NULL,
    PRIMARY KEY (year, district_code, department_code)
);
