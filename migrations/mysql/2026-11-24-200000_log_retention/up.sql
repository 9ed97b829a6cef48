-- When retention deleted a pipeline's step logs (unix time; 0: kept), so a sweep skips it.
ALTER TABLE pipelines ADD COLUMN logs_expired BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ix_pipelines_logs_expired_finished ON pipelines (logs_expired, finished);
