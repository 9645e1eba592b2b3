-- Residents' accounts (居民账号): a resident signs in with a mainland mobile and a code texted
-- to it. The number is kept sealed, masked and as a keyed tag (the tag finds their reports);
-- a code only as a keyed digest of the number and the code; a session only as the SHA-256
-- of its token. Distributed by phone_tag under Citus (residents, resident_codes) and by
-- token_hash (resident_sessions).
CREATE TABLE residents (
    id TEXT PRIMARY KEY,
    phone_tag TEXT NOT NULL UNIQUE,
    phone_enc BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    signed_in_at INTEGER NOT NULL
);
-- Every code sent, counted against the limits per number and per address (the address kept
-- as a keyed tag), tried at most a few times, used once.
CREATE TABLE resident_codes (
    id TEXT PRIMARY KEY,
    phone_tag TEXT NOT NULL,
    address_tag TEXT NOT NULL,
    code_tag TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX resident_codes_by_phone ON resident_codes (phone_tag, sent_at);
CREATE INDEX resident_codes_by_address ON resident_codes (address_tag, sent_at);
CREATE INDEX resident_codes_by_age ON resident_codes (sent_at);
CREATE TABLE resident_sessions (
    token_hash TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX resident_sessions_by_resident ON resident_sessions (resident_id);
