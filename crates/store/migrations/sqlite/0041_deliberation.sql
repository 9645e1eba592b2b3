-- 议事: topics of a street, community or grid, their proposals and comments, the supports that
-- put a proposal on the agenda, and each space's threshold. Authors are kept as a kind and an
-- id (a resident's or a staff member's), never by name.
CREATE TABLE participation_spaces (
    region_code TEXT PRIMARY KEY,
    support_threshold INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE topics (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    origin TEXT NOT NULL, -- resident | staff | cases
    author_kind TEXT NOT NULL, -- resident | staff
    author_id TEXT NOT NULL,
    state TEXT NOT NULL, -- pending | published | hidden
    hidden_reason TEXT,
    moderated_by TEXT,
    created_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX topics_by_region ON topics (region_code, created_at);
CREATE INDEX topics_by_state ON topics (state, created_at);
CREATE INDEX topics_by_author ON topics (author_id);
-- The cases a topic was raised from, and a case's topics (linked both ways).
CREATE TABLE topic_cases (
    topic_id TEXT NOT NULL REFERENCES topics (id),
    case_id TEXT NOT NULL,
    PRIMARY KEY (topic_id, case_id)
);
CREATE INDEX topic_cases_by_case ON topic_cases (case_id);
CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL REFERENCES topics (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id TEXT NOT NULL,
    hidden_reason TEXT,
    supports INTEGER NOT NULL,
    on_agenda_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX proposals_by_topic ON proposals (topic_id, created_at);
CREATE INDEX proposals_by_author ON proposals (author_id);
-- One support per resident and proposal: the key decides under concurrency.
CREATE TABLE proposal_supports (
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    resident_id TEXT NOT NULL,
    supported_at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, resident_id)
);
CREATE TABLE topic_comments (
    id TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL REFERENCES topics (id),
    proposal_id TEXT REFERENCES proposals (id),
    author_kind TEXT NOT NULL,
    author_id TEXT NOT NULL,
    body TEXT NOT NULL,
    hidden_reason TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX topic_comments_by_topic ON topic_comments (topic_id, created_at);
