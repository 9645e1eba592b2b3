-- Events, audit entries and outbox rows of any aggregate (a case today; a dispute, a vote or an
-- incident as they come), keyed by the aggregate's type and id.
ALTER TABLE case_events RENAME TO events;
ALTER TABLE events DROP CONSTRAINT case_events_case_id_fkey;
ALTER TABLE events DROP CONSTRAINT case_events_case_id_seq_key;
ALTER TABLE events RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE events ADD COLUMN aggregate_type TEXT NOT NULL DEFAULT 'case';
ALTER TABLE events ALTER COLUMN aggregate_type DROP DEFAULT;
CREATE UNIQUE INDEX events_by_aggregate ON events (aggregate_type, aggregate_id, seq);

ALTER TABLE audit_log RENAME COLUMN case_id TO subject_id;
ALTER TABLE audit_log ADD COLUMN subject_type TEXT;
UPDATE audit_log SET subject_type = 'case' WHERE subject_id IS NOT NULL;
DROP INDEX audit_by_case;
CREATE INDEX audit_by_subject ON audit_log (subject_type, subject_id, at);

ALTER TABLE outbox RENAME COLUMN case_id TO aggregate_id;
ALTER TABLE outbox ADD COLUMN aggregate_type TEXT NOT NULL DEFAULT 'case';
DROP INDEX outbox_by_case;
CREATE INDEX outbox_by_aggregate ON outbox (aggregate_type, aggregate_id);

ALTER TABLE deliveries RENAME COLUMN case_id TO aggregate_id;
DROP INDEX deliveries_waiting_by_case;
CREATE INDEX deliveries_waiting_by_aggregate ON deliveries (target, aggregate_id, seq) WHERE delivered_at IS NULL;
