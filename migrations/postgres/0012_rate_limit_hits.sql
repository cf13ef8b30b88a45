-- Requests per client, counted here so that a limit holds for every app instance on this
-- database together: one row per limited form (scope), client address and minute (unix ms
-- of its start). Rows older than the minute before are deleted by the instances themselves
-- (Store::forget_requests_before). UNLOGGED: the counts are worth nothing after a crash or
-- on a replica, so they are not written to the WAL.
CREATE UNLOGGED TABLE rate_limit_hits (
    scope TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (scope, client, window_start)
);
