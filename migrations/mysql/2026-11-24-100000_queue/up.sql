-- The durable queue: push order, where a task is (pending, running, or one of the outcomes kept
-- for a while as a tombstone: done, canceled, expired, taken), its lease and how it ended.
ALTER TABLE tasks ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN state VARCHAR(16) NOT NULL DEFAULT 'pending';
ALTER TABLE tasks ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN deadline BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN ended BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ix_tasks_state_seq ON tasks (state, seq);
