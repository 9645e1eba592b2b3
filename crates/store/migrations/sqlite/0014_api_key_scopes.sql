-- What a key may do: post requests or only read them in full, and where (a region code whose
-- cases it may post and read in full; every region when empty).
ALTER TABLE api_keys ADD COLUMN may_post INTEGER NOT NULL DEFAULT 1;
ALTER TABLE api_keys ADD COLUMN region TEXT;
