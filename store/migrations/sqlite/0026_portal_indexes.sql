-- The portal reads one department's lines and one line (resource, item)
-- of a statement version, whose primary key leads with the provider; one
-- district's department rows; and the findings of one district,
-- department or resource (the findings_days index would scan them all).
CREATE INDEX statement_lines_department ON statement_lines (year, version, department_code);
CREATE INDEX statement_lines_resource ON statement_lines (year, version, resource_id, item_code);
CREATE INDEX statement_departments_district ON statement_departments (year, version, district_code);
CREATE INDEX findings_resource ON findings (resource_id, last_day);
CREATE INDEX findings_district ON findings (district_code, last_day);
CREATE INDEX findings_department ON findings (department_code, last_day);
