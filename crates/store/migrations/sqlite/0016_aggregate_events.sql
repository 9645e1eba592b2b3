-- Events, audit entries and outbox rows of any aggregate (a case today; a dispute, a vote or an
-- incident as they come), keyed by the aggregate's type and id. Cases' events move over as
-- they are; the table is rebuilt because SQLite cannot drop the old reference to cases.
CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    actor_kind     TEXT NOT NULL,
    actor_id       TEXT,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL
);
INSERT INTO events (id, aggregate_type, aggregate_id, seq, at, actor_kind, actor_id, kind, payload)
    SELECT id, 'case', case_id, seq, at, actor_kind, actor_id, kind, payload FROM case_events;
DROP TABLE case_events;
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
