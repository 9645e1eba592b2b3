-- Text messages to residents through the notification gateway (an SMS provider, or the
-- development sink): one per notice, written in the transaction of the event it tells of,
-- retried with backoff until sent or given up, every attempt logged. A case's message goes to
-- its reporter's phone, read from the case when it is sent, so no phone is copied here.
ALTER TABLE cases ADD COLUMN notify_reporter INTEGER NOT NULL DEFAULT 0;

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    aggregate_type  TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    -- The case's supporter (附议) it goes to; none for the reporter.
    supporter_id    TEXT,
    -- pending, sent or failed (given up)
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    provider        TEXT,
    body            TEXT
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX messages_by_aggregate ON messages (aggregate_type, aggregate_id);

CREATE TABLE message_attempts (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    provider    TEXT NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX message_attempts_by_message ON message_attempts (message_id, at);
