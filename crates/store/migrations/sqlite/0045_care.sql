-- Care for those who need it most (关爱服务). A household's members whose situation calls for
-- regular visits, each with flags (独居老人, 残疾人, 低保, …) kept only with the consent
-- recorded beside them. The name, phone and note are one sealed value (personal_enc), erased
-- when consent is withdrawn; lists show the masked name. Each flag carries when its next visit
-- is due, moved on by every visit to the household, so a worker's queue and the missed visits
-- are read by (grid, due day). Both tables are keyed by grid first, as households and visits
-- are distributed by grid.
CREATE TABLE care_members (
    grid_code TEXT NOT NULL,
    id TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    name_masked TEXT NOT NULL,
    personal_enc BLOB,
    birth_year INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    erased_at INTEGER,
    PRIMARY KEY (grid_code, id)
);
CREATE INDEX care_members_by_id ON care_members (id);
CREATE INDEX care_members_by_household ON care_members (household_id);

CREATE TABLE care_flags (
    grid_code TEXT NOT NULL,
    id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    flag TEXT NOT NULL,
    visit_every_days INTEGER NOT NULL,
    consent_by TEXT NOT NULL,
    consent_form TEXT NOT NULL,
    consent_on TEXT NOT NULL, -- YYYY-MM-DD
    consent_reference TEXT NOT NULL,
    began_on TEXT NOT NULL, -- YYYY-MM-DD, Beijing date
    last_visited_on TEXT,
    next_visit_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    ended_at INTEGER,
    ended_by TEXT,
    end_reason TEXT,
    PRIMARY KEY (grid_code, id)
);
CREATE INDEX care_flags_due ON care_flags (grid_code, next_visit_on) WHERE ended_at IS NULL;
CREATE INDEX care_flags_by_member ON care_flags (member_id);
CREATE INDEX care_flags_by_household ON care_flags (household_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX care_flags_one_active ON care_flags (grid_code, member_id, flag) WHERE ended_at IS NULL;
