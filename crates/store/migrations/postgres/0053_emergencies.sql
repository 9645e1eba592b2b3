-- 应急管理: incidents with their area's grids and their plan's tasks; the house-by-house check,
-- one row per household of the area that was checked; notices and the texts they queued (sent
-- by the notification gateway like case messages); shelters, supplies and the log; residents
-- who chose to receive the notices of their household's area.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    district_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    drill BIGINT NOT NULL,
    polygon TEXT,
    active BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    closed_at BIGINT,
    summary TEXT,
    created_by TEXT NOT NULL
);

CREATE INDEX incidents_by_district ON incidents (district_code, started_at);

CREATE TABLE incident_grids (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    grid_code TEXT NOT NULL,
    PRIMARY KEY (incident_id, grid_code)
);

CREATE TABLE incident_tasks (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    title TEXT NOT NULL,
    assignee TEXT NOT NULL,
    unit_id TEXT,
    household_id TEXT,
    grid_code TEXT,
    done BIGINT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by TEXT
);

CREATE INDEX incident_tasks_by_incident ON incident_tasks (incident_id, created_at);
-- A household found needing help is one task, however often it is checked.
CREATE UNIQUE INDEX incident_tasks_by_household ON incident_tasks (incident_id, household_id) WHERE household_id IS NOT NULL;

CREATE TABLE incident_checks (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    grid_code TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    by_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, household_id)
);

CREATE INDEX incident_checks_by_grid ON incident_checks (incident_id, grid_code);

CREATE TABLE incident_notices (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE incident_alerts (
    id TEXT PRIMARY KEY,
    notice_id TEXT NOT NULL REFERENCES incident_notices (id),
    incident_id TEXT NOT NULL,
    staff_id TEXT,
    resident_id TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    provider TEXT,
    last_error TEXT
);

CREATE INDEX incident_alerts_due ON incident_alerts (next_attempt_at) WHERE state = 'pending';
CREATE INDEX incident_alerts_by_notice ON incident_alerts (notice_id, state);

CREATE TABLE incident_shelters (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    occupancy BIGINT NOT NULL,
    peak BIGINT NOT NULL
);

CREATE TABLE incident_supplies (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    item TEXT NOT NULL,
    unit TEXT NOT NULL,
    stock BIGINT NOT NULL,
    handed_out BIGINT NOT NULL,
    UNIQUE (incident_id, item)
);

CREATE TABLE incident_log (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at BIGINT NOT NULL,
    by_kind TEXT NOT NULL,
    by_id TEXT,
    text TEXT NOT NULL
);

CREATE INDEX incident_log_by_incident ON incident_log (incident_id, at);

CREATE TABLE alert_subscriptions (
    resident_id TEXT PRIMARY KEY,
    subscribed_at BIGINT NOT NULL
);
