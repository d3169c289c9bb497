-- The portal's district and department pages count their findings and add
-- up the idle amounts (the 市本级 has most of the city's findings): the
-- indexes of migration 0026 on (district_code, last_day) and
-- (department_code, last_day) are widened to cover those queries, so they
-- read no row. The findings page's and city's as-of date (max(as_of))
-- reads one entry of an index instead of every finding.
DROP INDEX findings_district;
DROP INDEX findings_department;
CREATE INDEX findings_district ON findings (district_code, last_day, first_day, kind, amount);
CREATE INDEX findings_department ON findings (department_code, last_day, first_day, kind, amount);
CREATE INDEX findings_as_of ON findings (as_of);
