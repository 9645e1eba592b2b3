-- Attachments move out of the database into content-addressed files (crates/store/src/files.rs):
-- a row keeps the file's SHA-256 digest and size. `bytes` stays only for rows written before
-- this migration, until `migrate` has moved them into files (then it is NULL everywhere).
ALTER TABLE attachments ADD COLUMN digest TEXT;
ALTER TABLE attachments ADD COLUMN size BIGINT;
UPDATE attachments SET size = octet_length(bytes);
ALTER TABLE attachments ALTER COLUMN size SET NOT NULL;
ALTER TABLE attachments ALTER COLUMN bytes DROP NOT NULL;
ALTER TABLE attachments ADD CONSTRAINT attachments_digest_or_bytes CHECK ((digest IS NULL) <> (bytes IS NULL));
-- The sweep asks which files are still named.
CREATE INDEX attachments_by_file ON attachments (digest);
