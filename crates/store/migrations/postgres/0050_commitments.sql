-- 驻区单位 and 双报到: units based in a community and in-service party members reporting to it
-- are helpers too (their kinds), a party member with the unit they work at. Each commits, per
-- year, to provide something counted (开放停车位 20 个, 义诊 4 次); each delivery is recorded
-- with its day and added to what the commitment has delivered in the same transaction.
ALTER TABLE helpers ADD COLUMN affiliation TEXT;

CREATE TABLE helper_commitments (
    helper_id TEXT NOT NULL REFERENCES helpers (id),
    seq BIGINT NOT NULL,
    year BIGINT NOT NULL,
    what TEXT NOT NULL,
    unit TEXT NOT NULL,
    target BIGINT NOT NULL,
    delivered BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (helper_id, seq)
);

CREATE TABLE commitment_deliveries (
    helper_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    n BIGINT NOT NULL,
    on_day TEXT NOT NULL, -- YYYY-MM-DD
    amount BIGINT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (helper_id, seq, n)
);
