DROP INDEX ix_tasks_state_seq;
ALTER TABLE tasks DROP COLUMN ended;
ALTER TABLE tasks DROP COLUMN deadline;
ALTER TABLE tasks DROP COLUMN status;
ALTER TABLE tasks DROP COLUMN state;
ALTER TABLE tasks DROP COLUMN seq;
