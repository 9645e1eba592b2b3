-- 减负: the 准入清单 of each district (what upper levels may impose on communities), the
-- impositions communities register (matched to an entry or not, with what they ask that the
-- platform holds, as codes separated by commas), and the bulletins (通报) generated from the
-- data, each kept once per subject, period and start with its numbers as JSON, so its page,
-- PDF and workbook print the same. The list and the bulletins are small (reference tables on a
-- cluster); impositions lead their key with the community they would be distributed by.
CREATE TABLE burden_entries (
    id TEXT PRIMARY KEY,
    district_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL,
    basis TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX burden_entries_by_district ON burden_entries (district_code);

CREATE TABLE burden_impositions (
    community_code TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL,
    imposed_on TEXT NOT NULL, -- YYYY-MM-DD, Beijing date
    half_hours BIGINT NOT NULL,
    entry_id TEXT,
    asks TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (community_code, id)
);
CREATE INDEX burden_impositions_by_day ON burden_impositions (community_code, imposed_on);

CREATE TABLE bulletins (
    id TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    period TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    body TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    generated_by TEXT NOT NULL,
    UNIQUE (subject_kind, subject_code, period, period_from)
);
CREATE INDEX bulletins_by_period ON bulletins (period_from);
