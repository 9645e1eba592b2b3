-- Counters of cases per Beijing day and place, changed in the transaction of every change of
-- a case (crates/domain/src/rollups.rs). `cut` says which dimensions a row tells apart;
-- absent places and units are empty strings, so that every row has one key. `place` repeats
-- the code of the cut's own level, so one index finds a place's days at every level.
CREATE TABLE case_rollups (
    cut               BIGINT NOT NULL,
    day               BIGINT NOT NULL,
    place             TEXT NOT NULL,
    district_code     TEXT NOT NULL,
    street_code       TEXT NOT NULL,
    community_code    TEXT NOT NULL,
    grid_code         TEXT NOT NULL,
    category_code     TEXT NOT NULL,
    lead_unit         TEXT NOT NULL,
    co_unit           TEXT NOT NULL,
    received          BIGINT NOT NULL DEFAULT 0,
    pending           BIGINT NOT NULL DEFAULT 0,
    overdue           BIGINT NOT NULL DEFAULT 0,
    patrols           BIGINT NOT NULL DEFAULT 0,
    patrols_on_spot   BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    responded_on_time BIGINT NOT NULL DEFAULT 0,
    evaluated         BIGINT NOT NULL DEFAULT 0,
    resolved          BIGINT NOT NULL DEFAULT 0,
    satisfied         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cut, day, place, district_code, street_code, community_code, grid_code, category_code, lead_unit, co_unit)
);
CREATE INDEX case_rollups_by_place ON case_rollups (cut, place, day);
-- The response rate's cases still inside their response window are read from the cases:
-- whether a deadline has passed depends on the moment of reading, not on any change.
CREATE INDEX cases_awaiting_contact ON cases (response_due)
    WHERE responded_on_time IS NULL AND first_dispatched_at IS NOT NULL;
