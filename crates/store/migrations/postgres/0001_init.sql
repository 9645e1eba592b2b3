-- PostgreSQL schema: the same tables as SQLite, so both backends share one SQL layer.
-- Times are BIGINT Unix milliseconds (UTC); ids are UUIDv7 text made in Rust.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE categories (
    code           TEXT PRIMARY KEY,
    parent_code    TEXT,
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    default_unit   TEXT NOT NULL,
    response_hours BIGINT NOT NULL,
    resolve_days   BIGINT NOT NULL
);

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL
);

CREATE TABLE responsibilities (
    category_code TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    unit_id       TEXT NOT NULL REFERENCES units (id),
    PRIMARY KEY (category_code, region_code)
);

CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL
);

CREATE TABLE cases (
    id                    TEXT PRIMARY KEY,
    tracking_no           TEXT NOT NULL UNIQUE,
    query_code_hash       TEXT NOT NULL,
    state                 TEXT NOT NULL,
    category_code         TEXT NOT NULL,
    request_type          TEXT NOT NULL,
    priority              TEXT NOT NULL,
    channel               TEXT NOT NULL,
    description           TEXT NOT NULL,
    district_code         TEXT,
    street_code           TEXT,
    community_code        TEXT,
    grid_code             TEXT,
    lat                   DOUBLE PRECISION,
    lng                   DOUBLE PRECISION,
    address               TEXT,
    anonymous             BIGINT NOT NULL,
    reporter_name_enc     BYTEA,
    reporter_phone_enc    BYTEA,
    reporter_name_masked  TEXT,
    reporter_phone_masked TEXT,
    received_at           BIGINT NOT NULL,
    clock_started_at      BIGINT NOT NULL,
    response_due          BIGINT NOT NULL,
    resolve_due           BIGINT NOT NULL,
    lead_unit             TEXT,
    co_units              TEXT NOT NULL,
    first_dispatched_at   BIGINT,
    dispatched_at         BIGINT,
    first_contact_at      BIGINT,
    handled_at            BIGINT,
    closed_at             BIGINT,
    result                TEXT,
    reject_reason         TEXT,
    merged_into           TEXT,
    pending_extension     TEXT,
    return_count          BIGINT NOT NULL,
    reopen_count          BIGINT NOT NULL,
    supervision_count     BIGINT NOT NULL,
    escalated             BIGINT NOT NULL,
    eval_resolved         BIGINT,
    eval_satisfaction     TEXT,
    eval_comment          TEXT,
    eval_at               BIGINT,
    eval_round            BIGINT,
    due_status            TEXT NOT NULL,
    version               BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- Queues: scope column + state, newest first (keyset on id).
CREATE INDEX cases_district_queue  ON cases (district_code, state, id);
CREATE INDEX cases_street_queue    ON cases (street_code, state, id);
CREATE INDEX cases_community_queue ON cases (community_code, state, id);
CREATE INDEX cases_grid_queue      ON cases (grid_code, state, id);
CREATE INDEX cases_unit_queue      ON cases (lead_unit, state, id);
CREATE INDEX cases_state_queue     ON cases (state, id);
-- Rates: covering index over the period of dispatch.
CREATE INDEX cases_rates ON cases (district_code, first_dispatched_at, first_contact_at, response_due, eval_resolved, eval_satisfaction);
-- Deadline worker: pending cases by due status.
CREATE INDEX cases_due ON cases (due_status, state, resolve_due);

-- Co-handling units, for the handler's scope.
CREATE TABLE case_co_units (
    unit_id TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (unit_id, case_id)
);

CREATE TABLE case_events (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    seq        BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT,
    action     TEXT NOT NULL,
    case_id    TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_by_case ON audit_log (case_id, at);

-- Events for other systems, written in the same transaction as the change.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    topic        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX outbox_by_case ON outbox (case_id);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
