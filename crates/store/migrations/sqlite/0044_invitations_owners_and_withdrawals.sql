-- How many reporters a 问效 survey of a unit's cases texted; the unit that owns a decision
-- carried out, whose handlers report its progress; votes and surveys withdrawn before they
-- opened, and why.
ALTER TABLE surveys ADD COLUMN invited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE surveys ADD COLUMN withdrawn_at INTEGER;
ALTER TABLE surveys ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE votes ADD COLUMN withdrawn_at INTEGER;
ALTER TABLE votes ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE tasks ADD COLUMN owner_unit TEXT;
CREATE INDEX tasks_by_owner_unit ON tasks (owner_unit, deadline) WHERE owner_unit IS NOT NULL;
