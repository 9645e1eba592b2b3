-- 物业管理: a community's residential compounds (小区) with the company that manages each, and
-- residents' ratings, one per resident, compound and year (a later rating replaces it).
CREATE TABLE compounds (
    id TEXT PRIMARY KEY,
    community_code TEXT NOT NULL,
    name TEXT NOT NULL,
    company TEXT NOT NULL,
    company_code TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (community_code, name)
);

CREATE TABLE compound_ratings (
    compound_id TEXT NOT NULL REFERENCES compounds (id),
    resident_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    score BIGINT NOT NULL,
    comment TEXT,
    rated_at BIGINT NOT NULL,
    PRIMARY KEY (compound_id, resident_id, year)
);
