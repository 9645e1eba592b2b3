-- The audit log made tamper-evident: shortly after it is written, each entry is sealed in
-- turn, given the next place in the chain and the hash of its content with the hash of the
-- entry sealed before it; an entry changed or removed afterwards breaks the chain there.
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_log ADD COLUMN chain_hash TEXT;
CREATE UNIQUE INDEX audit_by_chain ON audit_log (chain_seq);
CREATE INDEX audit_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
-- The viewer's filters: by kind, by actor, newest first.
CREATE INDEX audit_by_action ON audit_log (action, id);
CREATE INDEX audit_by_actor ON audit_log (actor_id, id);
CREATE INDEX audit_by_time ON audit_log (at);
