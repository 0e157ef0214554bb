-- One name for the failure class in every table: `failure_class`.
ALTER TABLE results RENAME COLUMN class TO failure_class;
ALTER TABLE incidents RENAME COLUMN cause_class TO failure_class;
