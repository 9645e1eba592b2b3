-- 矛盾纠纷调处: the roster of mediators of each community, street and district; disputes with
-- their sealed parties, the factors their risk grade is decided on, the level handling them
-- and where they stand; the mediators assigned; every move (sessions with attendance,
-- agreements with their terms, follow-ups, escalations, hand-overs) and every grade, in order.
CREATE TABLE mediators (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE INDEX mediators_by_region ON mediators (region_code, kind);

CREATE TABLE disputes (
    id TEXT PRIMARY KEY,
    community_code TEXT NOT NULL,
    grid_code TEXT,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    case_id TEXT,
    summary TEXT NOT NULL,
    place TEXT NOT NULL,
    parties_enc BYTEA NOT NULL,
    parties_shown TEXT NOT NULL,
    party_count BIGINT NOT NULL,
    threat_of_violence BIGINT NOT NULL,
    threat_of_self_harm BIGINT NOT NULL,
    earlier_reports BIGINT NOT NULL,
    petitioned_higher BIGINT NOT NULL,
    vulnerable_party BIGINT NOT NULL,
    grade TEXT NOT NULL,
    level TEXT NOT NULL,
    state TEXT NOT NULL,
    recurrences BIGINT NOT NULL,
    referred_to TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    -- The day the current agreement is to be followed up (YYYY-MM-DD), while it waits.
    follow_up_on TEXT,
    agreed_at BIGINT,
    ended_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX disputes_by_place ON disputes (community_code, created_at);
-- The follow-ups due, soonest first.
CREATE INDEX disputes_following_up ON disputes (follow_up_on) WHERE follow_up_on IS NOT NULL;
-- A case is converted once.
CREATE UNIQUE INDEX disputes_of_case ON disputes (case_id) WHERE case_id IS NOT NULL;

CREATE TABLE dispute_mediators (
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    PRIMARY KEY (dispute_id, mediator_id)
);

CREATE TABLE dispute_moves (
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    seq BIGINT NOT NULL,
    move TEXT NOT NULL,
    state_after TEXT NOT NULL,
    level_after TEXT NOT NULL,
    on_day TEXT,
    present TEXT,
    terms TEXT,
    follow_up_on TEXT,
    kept BIGINT,
    referred_to TEXT,
    note TEXT,
    by_kind TEXT NOT NULL,
    by_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);

CREATE TABLE dispute_grades (
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    seq BIGINT NOT NULL,
    grade TEXT NOT NULL,
    factors TEXT NOT NULL,
    reasons TEXT NOT NULL,
    note TEXT,
    by_kind TEXT NOT NULL,
    by_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);
