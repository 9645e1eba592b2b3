-- 五社联动: who helps, and residents' needs matched to them.
--
-- helpers: social organisations, social workers, volunteers and community self-organisations.
-- A person registers on their phone as a resident (resident_id, one registration each); an
-- organisation is registered by staff. The name (and an organisation's contact) is one sealed
-- value; lists read shown_name, masked for people. Staff verify a registration before the
-- helper is suggested; the hours and points confirmed are totals on the row, so a redemption
-- beyond the balance is refused in the statement that takes it, as a fund's payment is.
CREATE TABLE helpers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    shown_name TEXT NOT NULL,
    personal_enc BYTEA NOT NULL,
    resident_id TEXT,
    credit_code TEXT,
    qualification TEXT,
    certificate_no TEXT,
    availability BIGINT NOT NULL,
    about TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    state_by TEXT,
    state_at BIGINT,
    minutes_confirmed BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX helpers_one_per_resident ON helpers (resident_id) WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX helpers_one_per_credit_code ON helpers (credit_code) WHERE credit_code IS NOT NULL;
CREATE INDEX helpers_by_region ON helpers (region_code, state);

-- What each helper can do: matching reads the verified helpers of a skill.
CREATE TABLE helper_skills (
    skill TEXT NOT NULL,
    helper_id TEXT NOT NULL REFERENCES helpers (id),
    PRIMARY KEY (skill, helper_id)
);
CREATE INDEX helper_skills_by_helper ON helper_skills (helper_id);

-- Points earned (each need confirmed) and redeemed, never changed; each keeps the balance
-- after it.
CREATE TABLE helper_points (
    helper_id TEXT NOT NULL REFERENCES helpers (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    need_id TEXT,
    minutes BIGINT NOT NULL,
    points BIGINT NOT NULL,
    item TEXT,
    balance_after BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (helper_id, id)
);
CREATE INDEX helper_points_earned ON helper_points (recorded_at) WHERE kind = 'earned';

-- A need (需求): what, where, when, how urgent; from a case asking for help, a household
-- visit, a survey, or a resident's own request (resident_id). The address and who to ask for
-- are sealed (contact_enc): read by coordinators, and by the helper once they accept.
CREATE TABLE needs (
    id TEXT PRIMARY KEY,
    community_code TEXT NOT NULL,
    household_id TEXT REFERENCES households (id),
    source TEXT NOT NULL,
    source_id TEXT,
    resident_id TEXT,
    skill TEXT NOT NULL,
    what TEXT NOT NULL,
    contact_enc BYTEA NOT NULL,
    on_day TEXT NOT NULL, -- YYYY-MM-DD
    part TEXT NOT NULL,
    urgency TEXT NOT NULL,
    state TEXT NOT NULL,
    helper_id TEXT REFERENCES helpers (id),
    minutes BIGINT,
    report_note TEXT,
    rating BIGINT,
    rating_note TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX needs_by_place ON needs (community_code, state, on_day);
CREATE INDEX needs_by_helper ON needs (helper_id, state) WHERE helper_id IS NOT NULL;
CREATE INDEX needs_by_resident ON needs (resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX needs_by_source ON needs (source_id) WHERE source_id IS NOT NULL;

-- Every move of a need, in order: who made it (a role, "resident" or "helper"), to whom it was
-- offered, and what was said.
CREATE TABLE need_moves (
    need_id TEXT NOT NULL REFERENCES needs (id),
    seq BIGINT NOT NULL,
    move TEXT NOT NULL,
    state_after TEXT NOT NULL,
    helper_id TEXT,
    by_kind TEXT NOT NULL,
    by_id TEXT,
    note TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (need_id, seq)
);

-- Photos a helper reports with, in files named by their digest (as cases' photos are).
CREATE TABLE need_photos (
    need_id TEXT NOT NULL REFERENCES needs (id),
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (need_id, digest)
);
CREATE INDEX need_photos_by_digest ON need_photos (digest);
