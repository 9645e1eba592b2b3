-- Secondary indexes of the cases table dropped for a bulk import, with their definitions,
-- written in the same transaction as the drop: whoever opens the store next builds them again
-- if the import stopped before it could.
CREATE TABLE set_aside_indexes (
    name         TEXT PRIMARY KEY,
    definition   TEXT NOT NULL,
    set_aside_at INTEGER NOT NULL
);
