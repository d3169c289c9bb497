-- The portal reads one district's, one department's lines and one line
-- (resource, item) of a statement version; the primary key leads with the
-- provider. Findings are read per resource on a line's page.
CREATE INDEX statement_lines_department ON statement_lines (year, version, department_code);
CREATE INDEX statement_lines_resource ON statement_lines (year, version, resource_id, item_code);
CREATE INDEX statement_departments_district ON statement_departments (year, version, district_code);
CREATE INDEX findings_resource ON findings (resource_id);
