-- Charity resources (慈善资源): a community's or street's fund and its ledger. The fund row
-- keeps the running totals, so a payment is refused in the one statement that records it when
-- it would take the money below nothing (money_in - money_out >= amount), on both backends and
-- under concurrent writers. Entries are never changed or deleted; each keeps the balance after
-- it. Distributed by fund (entries co-located with their fund).
CREATE TABLE funds (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    money_in BIGINT NOT NULL DEFAULT 0,
    money_out BIGINT NOT NULL DEFAULT 0,
    goods_in BIGINT NOT NULL DEFAULT 0,
    goods_out BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX funds_by_region ON funds (region_code);

CREATE TABLE fund_entries (
    fund_id TEXT NOT NULL REFERENCES funds (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    fen BIGINT NOT NULL,
    description TEXT NOT NULL,
    donor TEXT,
    donor_public BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (fund_id, id)
);
