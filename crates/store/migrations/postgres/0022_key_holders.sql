-- The data keys each running process holds, reported every few seconds: a key rotation seals
-- with a new key only once every process can open it, and re-seals the old values only once no
-- process seals with the old key any more. A report lapses at expires_at (a process that died).
CREATE TABLE key_holders (
    instance   TEXT PRIMARY KEY,
    sealing    TEXT NOT NULL,
    opening    TEXT NOT NULL,
    seen_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
