-- 驻区单位 and 双报到: units based in a community and in-service party members reporting to it
-- are helpers too (their kinds), a party member with the unit they work at. Each commits, per
-- year, to provide something counted (开放停车位 20 个, 义诊 4 次); each delivery is recorded
-- with its day and added to what the commitment has delivered in the same transaction.
ALTER TABLE helpers ADD COLUMN affiliation TEXT;

CREATE TABLE helper_commitments (
    helper_id TEXT NOT NULL REFERENCES helpers (id),
    seq INTEGER NOT NULL,
    year INTEGER NOT NULL,
    what TEXT NOT NULL,
    unit TEXT NOT NULL,
    target INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (helper_id, seq)
);

CREATE TABLE commitment_deliveries (
    helper_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    n INTEGER NOT NULL,
    on_day TEXT NOT NULL, -- YYYY-MM-DD
    amount INTEGER NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (helper_id, seq, n)
);
