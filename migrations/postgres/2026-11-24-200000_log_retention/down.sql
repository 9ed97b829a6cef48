DROP INDEX ix_pipelines_logs_expired_finished;
ALTER TABLE pipelines DROP COLUMN logs_expired;
