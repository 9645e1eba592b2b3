-- 防治微腐败: the 小微权力清单 (a district's applying to all its communities, a community's own
-- beside it), disclosures kept as versions (a correction supersedes, nothing is erased), and
-- residents' reports of misconduct: what they say and who sent them sealed, routed to one
-- discipline unit, followed by tracking number and a keyed digest of the query code, each move
-- logged. The lists are reference-sized; disclosures lead their key with the community, and a
-- report with its id, its moves colocated with it.
CREATE TABLE small_powers (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    area TEXT NOT NULL,
    title TEXT NOT NULL,
    holder TEXT NOT NULL,
    procedure TEXT NOT NULL, -- steps separated by newlines
    basis TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX small_powers_by_region ON small_powers (region_code);

CREATE TABLE disclosures (
    community_code TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    period_label TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    lines TEXT NOT NULL, -- JSON
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    superseded_at INTEGER,
    PRIMARY KEY (community_code, id),
    UNIQUE (community_code, kind, period_from, version)
);
CREATE UNIQUE INDEX disclosures_by_id ON disclosures (id);

CREATE TABLE misconduct_reports (
    id TEXT PRIMARY KEY,
    tracking_no TEXT NOT NULL UNIQUE,
    query_code_tag TEXT NOT NULL,
    place_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    account_enc BLOB NOT NULL,
    state TEXT NOT NULL,
    finding TEXT,
    reply TEXT,
    received_at INTEGER NOT NULL,
    accept_due INTEGER NOT NULL,
    conclude_due INTEGER,
    ended_at INTEGER
);
CREATE INDEX misconduct_by_unit ON misconduct_reports (unit_id, state, received_at);

CREATE TABLE misconduct_moves (
    report_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    move TEXT NOT NULL,
    note TEXT NOT NULL,
    by_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (report_id, seq)
);
