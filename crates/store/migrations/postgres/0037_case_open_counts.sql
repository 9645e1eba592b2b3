-- The open cases counted by place and by what the workbench queues tell apart
-- (crates/domain/src/rollups.rs, `OpenKey`), changed in the transaction of every change of a
-- case like the counters per day: a queue's size is then a sum over a few rows, where counting
-- a district's dispatched cases walked one index entry per case (200,000 at ten million cases,
-- 35 ms on PostgreSQL). Absent places are empty strings; cases at rest are not counted. A store
-- with open cases and none counted is counted when it is next opened (`fill_empty_rollups`).
CREATE TABLE case_open_counts (
    district_code     TEXT NOT NULL,
    street_code       TEXT NOT NULL,
    community_code    TEXT NOT NULL,
    grid_code         TEXT NOT NULL,
    state             TEXT NOT NULL,
    due_status        TEXT NOT NULL,
    returned          BIGINT NOT NULL,
    extension_pending BIGINT NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (district_code, street_code, community_code, grid_code, state, due_status, returned, extension_pending)
);
