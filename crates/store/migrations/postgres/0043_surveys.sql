-- 问需、问效: questionnaires of a street, community or grid, or about the cases a unit closed in
-- a period (then their reporters answer). Who answered is kept apart from the answers, which
-- name the resident only in an identified survey.
CREATE TABLE surveys (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    purpose TEXT NOT NULL, -- needs | effect
    anonymity TEXT NOT NULL, -- anonymous | identified
    questions TEXT NOT NULL, -- JSON
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    task_id TEXT, -- the decision carried out it asks about
    unit_id TEXT, -- with cases_from and cases_to: the unit's cases it asks about
    cases_from BIGINT,
    cases_to BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX surveys_by_region ON surveys (region_code, opens_at);
CREATE TABLE survey_respondents (
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    resident_id TEXT NOT NULL,
    PRIMARY KEY (survey_id, resident_id)
);
CREATE TABLE survey_responses (
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    id TEXT NOT NULL,
    resident_id TEXT, -- identified surveys only
    answers TEXT NOT NULL, -- JSON
    PRIMARY KEY (survey_id, id)
);
