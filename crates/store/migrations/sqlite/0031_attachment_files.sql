-- Attachments move out of the database into content-addressed files (crates/store/src/files.rs):
-- a row keeps the file's SHA-256 digest and size. `bytes` stays only for rows written before
-- this migration, until `migrate` has moved them into files (then it is NULL everywhere).
CREATE TABLE attachments_by_digest (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    event_seq  INTEGER NOT NULL DEFAULT 1,
    media_type TEXT NOT NULL,
    digest     TEXT,
    size       INTEGER NOT NULL,
    bytes      BLOB,
    created_at INTEGER NOT NULL,
    CHECK ((digest IS NULL) <> (bytes IS NULL))
);
INSERT INTO attachments_by_digest (id, case_id, event_seq, media_type, digest, size, bytes, created_at)
    SELECT id, case_id, event_seq, media_type, NULL, LENGTH(bytes), bytes, created_at FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_by_digest RENAME TO attachments;
CREATE INDEX attachments_by_case ON attachments (case_id);
-- The sweep asks which files are still named.
CREATE INDEX attachments_by_file ON attachments (digest);
