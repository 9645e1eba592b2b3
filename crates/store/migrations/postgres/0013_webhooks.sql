-- Other systems' subscriptions to case events, and the delivery of the outbox to them (and to
-- NATS JetStream, target 'nats'): one delivery per target and event, retried until it is
-- taken, with every attempt logged.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    -- JSON list of topics ("case.dispatched", …); empty means every event.
    topics      TEXT NOT NULL,
    secret_enc  BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    disabled_at BIGINT
);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    target          TEXT NOT NULL,
    outbox_id       TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    topic           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL,
    UNIQUE (target, event_id)
);
CREATE INDEX deliveries_due ON deliveries (target, next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX deliveries_waiting_by_case ON deliveries (target, case_id, seq) WHERE delivered_at IS NULL;

CREATE TABLE delivery_attempts (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    target      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    topic       TEXT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_target ON delivery_attempts (target, at);

CREATE INDEX outbox_unpublished ON outbox (created_at, id) WHERE published_at IS NULL;
