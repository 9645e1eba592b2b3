-- SQLite plans without statistics (DEVELOPERS.md), and without them it read one place's days
-- of counters (`cut = ? AND place = ? AND day` in a range) along the primary key, every
-- place's rows of those days, instead of by `case_rollups_by_place`: a grid's rates over a
-- year read 270,000 rows at ten million cases (50-160 ms) instead of 400.
--
-- These statistics tell it the counters' shape, taken from that store (4.6 million rows;
-- rows per cut; per cut and place; per cut, place and day; then the rest of the key): with
-- them it takes the place's index when a reading names a place, and the primary key when it
-- names days only. They are the shape, not a count: they need no refreshing as the counters
-- grow. Only `case_rollups` gets statistics; every other table is planned as before.
--
-- `sqlite_stat1` can only be made by ANALYZE; analysing the migrations' own table makes it
-- without sampling the counters (SQLite built with STAT4, as the bundled one is, would keep
-- samples of them, and with samples taken before a cut existed it read that cut along the
-- primary key again).
ANALYZE _sqlx_migrations;
DELETE FROM sqlite_stat1 WHERE tbl = 'case_rollups';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('case_rollups', 'case_rollups_by_place', '4600000 575000 4320 4 4 4 4 4 2 1 1'),
    ('case_rollups', 'sqlite_autoindex_case_rollups_1', '4600000 575000 525 4 4 4 4 4 2 1 1');
