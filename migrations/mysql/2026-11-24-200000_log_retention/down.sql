DROP INDEX ix_pipelines_logs_expired_finished ON pipelines;
ALTER TABLE pipelines DROP COLUMN logs_expired;
