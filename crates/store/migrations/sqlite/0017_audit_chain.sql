-- The audit log made tamper-evident: shortly after it is written, each entry is sealed in
-- turn, given the next place in the chain and the hash of its content with the hash of the
-- entry sealed before it; an entry changed or removed afterwards breaks the chain there.
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_log ADD COLUMN chain_hash TEXT;
CREATE UNIQUE INDEX audit_by_chain ON audit_log (chain_seq);
CREATE INDEX audit_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
-- The viewer's filter by kind, newest first. By actor and by period it reads newest first
-- through the primary key (ids are time-ordered): an index for each slowed every write of the
-- platform, each of which writes an audit entry, by about a tenth (intake bench).
CREATE INDEX audit_by_action ON audit_log (action, id);
