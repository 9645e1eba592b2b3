-- A resident's household (居民-户). The resident asks, naming their community and their
-- household as they would write it; a grid worker of that community confirms, choosing the
-- household in one of their grids (or adding it), or refuses with a reason. A grid worker
-- may also link a resident directly. One link per resident; asking again replaces it.
CREATE TABLE resident_households (
    resident_id TEXT PRIMARY KEY REFERENCES residents (id),
    community_code TEXT NOT NULL,
    label TEXT NOT NULL, -- as the resident wrote it
    state TEXT NOT NULL, -- requested | confirmed | refused
    household_id TEXT REFERENCES households (id),
    grid_code TEXT,
    asked_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    reason TEXT
);
CREATE INDEX resident_households_by_community ON resident_households (community_code, state);
CREATE INDEX resident_households_by_grid ON resident_households (grid_code, state);
CREATE INDEX resident_households_by_household ON resident_households (household_id);
