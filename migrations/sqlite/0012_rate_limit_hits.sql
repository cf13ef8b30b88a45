-- Requests per client and minute, as on PostgreSQL. On SQLite one process is the whole
-- deployment and limits are counted in its memory, so this table stays empty; it exists so
-- that the store's statements are the same on both databases and tested on both.
CREATE TABLE rate_limit_hits (
    scope TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (scope, client, window_start)
) WITHOUT ROWID;
