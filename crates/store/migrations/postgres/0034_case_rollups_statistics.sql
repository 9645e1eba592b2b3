-- The counterpart of SQLite's 0034, which writes fixed statistics for the counters' table
-- because SQLite plans without any: PostgreSQL gathers its own, and a store upgraded with
-- counters already in it gets them now rather than at the next ANALYZE (imports end with one,
-- and a server without autovacuum would otherwise plan the counters blind).
ANALYZE case_rollups;
