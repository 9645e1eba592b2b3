-- A staff account can be disabled (someone left): it cannot log in, its sessions end, and it
-- stays for the record of what it did.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
