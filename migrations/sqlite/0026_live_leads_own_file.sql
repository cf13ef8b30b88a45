-- The live leads moved to a file of their own beside this one (migrations/sqlite_live),
-- which has its own write lock: the rows were copied there before this runs
-- (store::sqlite::migrate_live).
DROP TABLE live_leads;
