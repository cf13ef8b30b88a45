//! Request counts per client and minute, shared by every app instance on the database.

use super::{Pool, Store, StoreResult, on_writer};

/// The store's handle on shared rate limits: `store.rate_limits()`.
#[derive(Clone, Copy)]
pub struct RateLimits<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn rate_limits(&self) -> RateLimits<'_> {
        RateLimits { pool: &self.pool }
    }
}

/// What counting one request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowHits {
    /// Requests in the request's own window so far, itself included.
    pub current: i64,
    /// Requests in the window before.
    pub previous: i64,
}

impl RateLimits<'_> {
    /// Counts a request of `client` in `scope` in the window that starts at `window_start`
    /// (unix ms) and returns that window's count and the count of the window `window_ms`
    /// earlier: one statement, atomic however many instances count at once.
    pub async fn count_request(
        self,
        scope: &str,
        client: &str,
        window_start: i64,
        window_ms: i64,
    ) -> StoreResult<WindowHits> {
        let (current, previous): (i64, i64) = on_writer!(self, p => sqlx::query_as(
            "INSERT INTO rate_limit_hits (scope, client, window_start, hits) VALUES ($1, $2, $3, 1)
             ON CONFLICT (scope, client, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
             RETURNING hits, COALESCE((SELECT b.hits FROM rate_limit_hits b
               WHERE b.scope = $1 AND b.client = $2 AND b.window_start = $3 - $4), 0)",
        )
        .bind(scope)
        .bind(client)
        .bind(window_start)
        .bind(window_ms)
        .fetch_one(p)
        .await)?;
        Ok(WindowHits { current, previous })
    }

    /// Deletes the counts of windows that started before `before` (unix ms).
    pub async fn forget_requests_before(self, before: i64) -> StoreResult<u64> {
        let gone = on_writer!(self, p => sqlx::query(
            "DELETE FROM rate_limit_hits WHERE window_start < $1",
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(gone)
    }
}
