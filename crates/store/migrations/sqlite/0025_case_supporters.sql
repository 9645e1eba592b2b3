-- 附议: residents who, about to report a problem already reported nearby, join that case
-- instead of opening another. Each is counted; one who leaves a mobile and asks is texted as
-- the case moves on (the phone sealed like a reporter's, erased with the case's personal data).
CREATE TABLE case_supporters (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    phone_enc    BLOB,
    phone_masked TEXT,
    notify       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX case_supporters_by_case ON case_supporters (case_id);

-- The open cases of a category around a point, offered to join before a new report: each
-- state's range of latitudes, read from the index, not every open case.
CREATE INDEX cases_open_nearby ON cases (category_code, state, lat);
