-- How long each category's personal data is kept after a case is finished, and when a case's
-- personal data was erased (its facts stay for statistics).
ALTER TABLE categories ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 1095;
ALTER TABLE cases ADD COLUMN personal_erased_at BIGINT;
CREATE INDEX cases_awaiting_erasure ON cases (updated_at) WHERE personal_erased_at IS NULL AND state IN ('closed', 'rejected', 'merged');
