-- Cases brought over from other hotline systems, by their id there: importing the same
-- file again finds them here and creates nothing twice.
CREATE TABLE case_imports (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);
