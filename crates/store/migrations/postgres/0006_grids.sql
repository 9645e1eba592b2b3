-- Grid management (网格化管理): boundaries, grids and their workers, households and visits,
-- photos of cases, and how each case was placed.

CREATE TABLE region_boundaries (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    geometry   TEXT NOT NULL, -- GeoJSON MultiPolygon
    updated_at BIGINT NOT NULL
);

CREATE TABLE grids (
    code           TEXT PRIMARY KEY, -- community code + 3-digit serial
    community_code TEXT NOT NULL,
    name           TEXT NOT NULL,
    geometry       TEXT NOT NULL, -- GeoJSON MultiPolygon
    area_m2        DOUBLE PRECISION NOT NULL,
    centroid_lng   DOUBLE PRECISION NOT NULL,
    centroid_lat   DOUBLE PRECISION NOT NULL,
    synthetic      BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX grids_by_community ON grids (community_code);

-- Kept in step with the scope of grid workers' accounts (users.scope), for grid → worker.
CREATE TABLE grid_workers (
    grid_code TEXT NOT NULL,
    user_id   TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (grid_code, user_id)
);

CREATE TABLE households (
    id         TEXT PRIMARY KEY,
    grid_code  TEXT NOT NULL,
    label      TEXT NOT NULL, -- e.g. 3号楼2单元401; no personal data
    created_at BIGINT NOT NULL,
    UNIQUE (grid_code, label)
);

CREATE TABLE visits (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    grid_code    TEXT NOT NULL,
    worker_id    TEXT NOT NULL,
    visited_on   TEXT NOT NULL, -- YYYY-MM-DD, Beijing date
    topic        TEXT NOT NULL,
    follow_up    TEXT,
    case_id      TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX visits_by_grid ON visits (grid_code, visited_on);

CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    media_type TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_by_case ON attachments (case_id);

ALTER TABLE cases ADD COLUMN located_by TEXT;
ALTER TABLE cases ADD COLUMN resolved_on_spot BIGINT NOT NULL DEFAULT 0;
