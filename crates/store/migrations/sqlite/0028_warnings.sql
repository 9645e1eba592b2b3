-- 风险预警: warnings the platform raises (a surge, danger in the words, a repeated caller, a
-- reopened case), each once for its key, and what people did with it; and the words of danger
-- administrators keep.
CREATE TABLE warnings (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    warning_key    TEXT NOT NULL,
    state          TEXT NOT NULL,
    district_code  TEXT,
    street_code    TEXT,
    community_code TEXT,
    grid_code      TEXT,
    category_code  TEXT,
    case_id        TEXT,
    count          INTEGER,
    baseline       REAL,
    words          TEXT NOT NULL,
    raised_at      INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    handled_by     TEXT,
    reason         TEXT
);
CREATE UNIQUE INDEX warnings_by_key ON warnings (warning_key);
CREATE INDEX warnings_by_state ON warnings (state, raised_at);

CREATE TABLE danger_words (
    word TEXT PRIMARY KEY,
    kind TEXT NOT NULL
);
