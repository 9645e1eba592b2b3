-- Categories whose cases tell something private of a person are never published.
ALTER TABLE categories ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
-- The shipped taxonomy's: housing aid, labour contracts, home care, allowances for the
-- elderly, social insurance, relief, disability, family disputes.
UPDATE categories SET sensitive = 1 WHERE code IN ('0701', '0802', '1102', '1103', '1201', '1202', '1203', '1602');
