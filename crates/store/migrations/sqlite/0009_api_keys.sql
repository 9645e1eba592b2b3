-- Keys of the systems that exchange data with the platform (Open311 clients, hotline
-- databases). Only a digest of each key is kept; a revoked key stays for the record.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
