-- A lead package is a few kilobytes of JSON, so PostgreSQL compresses it on the way in.
-- lz4 does that several times faster than the default pglz at about the same size, which
-- is most of the time a large build spends writing. Servers built without lz4 keep pglz.
DO $$
BEGIN
    ALTER TABLE leads ALTER COLUMN package SET COMPRESSION lz4;
    ALTER TABLE leads ALTER COLUMN explanation SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server; lead packages stay compressed with pglz';
END
$$;
