-- Idempotency keys of reports (幂等键): a client that sends a report again with the key it sent
-- before (after a timeout, a failover, a double click) is answered with the case the first one
-- made, not given a second case. A key is kept a day, then swept. The answer is kept as given,
-- its query code sealed (the case keeps only a hash of it). Keyed by key first, as intake
-- reads a batch's keys by key alone (and `key` is the distribution key under Citus).
CREATE TABLE intake_keys (
    client TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    case_id TEXT NOT NULL,
    tracking_no TEXT NOT NULL,
    query_code_enc BYTEA NOT NULL,
    state TEXT NOT NULL,
    response_due BIGINT NOT NULL,
    resolve_due BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (key, client)
);
CREATE INDEX intake_keys_by_age ON intake_keys (created_at);
