-- Votes (表决) of a street, community or grid: single choice or approval, open between two
-- times, one ballot per eligible household or person.
CREATE TABLE votes (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL, -- street, community or grid
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL, -- single | approval
    eligibility TEXT NOT NULL, -- households | persons
    opens_at INTEGER NOT NULL,
    closes_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER,
    published_by TEXT,
    eligible INTEGER -- the roll's size when the results were published
);
CREATE INDEX votes_by_region ON votes (region_code, closes_at);
CREATE TABLE vote_options (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (vote_id, position)
);
-- Who has voted, never how: the key makes a second ballot of one voter impossible.
CREATE TABLE vote_voters (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    voter_key TEXT NOT NULL, -- household:ID or resident:ID
    channel TEXT NOT NULL, -- online | paper
    marked_by TEXT -- the staff member who marked a paper voter
);
CREATE UNIQUE INDEX vote_voters_once ON vote_voters (vote_id, voter_key);
-- Ballots cast online: no voter, no time, a random id (kept in the id's order, not the order
-- they were cast, where the store allows).
CREATE TABLE ballots (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    id TEXT NOT NULL,
    choices TEXT NOT NULL, -- option positions, ascending, comma-separated
    PRIMARY KEY (vote_id, id)
) WITHOUT ROWID;
-- Paper ballots as counted aloud (唱票), entered by two staff members independently; the
-- count stands when two entries agree.
CREATE TABLE vote_paper_entries (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    entered_by TEXT NOT NULL,
    ballots INTEGER NOT NULL,
    invalid INTEGER NOT NULL,
    counts TEXT NOT NULL, -- per option in position order, comma-separated
    entered_at INTEGER NOT NULL,
    PRIMARY KEY (vote_id, entered_by)
);
-- The result as published, which a tally of the stored ballots must reproduce.
CREATE TABLE vote_results (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    position INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (vote_id, position)
);
