//! Per-client request limits for the forms bots like (registration, login): counted in this
//! process with governor on SQLite, where one process is the deployment, and in the database
//! on PostgreSQL, so that a limit holds for every app instance sharing it together.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicI64, Ordering},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jiff::Timestamp;

use crate::{
    store::{Backend, Store, WindowHits},
    web::error::Error,
};

/// The length of a counting window in the database.
const WINDOW_MS: i64 = 60_000;

/// A limit of N requests per minute per client address.
pub struct PerClientLimit {
    /// What the limit guards, as the refusal metric labels it.
    scope: &'static str,
    counter: Counter,
}

enum Counter {
    Off,
    /// GCRA in memory: a burst of N, then one more every minute / N.
    InProcess(DefaultKeyedRateLimiter<IpAddr>),
    /// Per-minute counts in the database (`RateLimits::count_request`), read as a sliding minute.
    Shared {
        store: Store,
        scope: &'static str,
        per_minute: i64,
        /// Windows before this one have been deleted by this instance.
        pruned_before: AtomicI64,
    },
}

impl PerClientLimit {
    /// The limit for a deployment on `store`: shared by every instance on PostgreSQL, in this
    /// process on SQLite. `scope` names what is limited; `0` turns the limit off.
    pub fn for_store(store: &Store, scope: &'static str, per_minute: u32) -> PerClientLimit {
        match (store.backend(), per_minute) {
            (_, 0) | (Backend::Sqlite, _) => PerClientLimit::in_process(scope, per_minute),
            (Backend::Postgres, n) => PerClientLimit {
                scope,
                counter: Counter::Shared {
                    store: store.clone(),
                    scope,
                    per_minute: i64::from(n),
                    pruned_before: AtomicI64::new(0),
                },
            },
        }
    }

    /// A limit counted in this process only. `0` turns the limit off.
    pub fn in_process(scope: &'static str, per_minute: u32) -> PerClientLimit {
        PerClientLimit {
            scope,
            counter: match NonZeroU32::new(per_minute) {
                None => Counter::Off,
                Some(n) => Counter::InProcess(RateLimiter::keyed(Quota::per_minute(n))),
            },
        }
    }

    /// Counts a request of `client` at `now`; `TooManyRequests` past the limit.
    pub async fn check(&self, client: IpAddr, now: Timestamp) -> Result<(), Error> {
        let verdict = self.count(client, now).await;
        if matches!(verdict, Err(Error::TooManyRequests)) {
            crate::telemetry::rate_limited(self.scope);
        }
        verdict
    }

    async fn count(&self, client: IpAddr, now: Timestamp) -> Result<(), Error> {
        match &self.counter {
            Counter::Off => Ok(()),
            Counter::InProcess(limiter) => {
                // Forget clients quiet for a while, so the table cannot grow forever.
                if limiter.len() > 50_000 {
                    limiter.retain_recent();
                }
                limiter
                    .check_key(&client)
                    .map_err(|_| Error::TooManyRequests)
            }
            Counter::Shared {
                store,
                scope,
                per_minute,
                pruned_before,
            } => {
                let now = now.as_millisecond();
                let window_start = now - now.rem_euclid(WINDOW_MS);
                // Once a window per instance: the windows before the previous one are no
                // longer read. Off the request's path; a failure only leaves rows for later.
                if pruned_before.fetch_max(window_start, Ordering::Relaxed) < window_start {
                    let store = store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store
                            .rate_limits()
                            .forget_requests_before(window_start - WINDOW_MS)
                            .await
                        {
                            tracing::warn!(error = %e, "could not delete old request counts");
                        }
                    });
                }
                let hits = store
                    .rate_limits()
                    .count_request(scope, &client.to_string(), window_start, WINDOW_MS)
                    .await?;
                if admits(hits, now - window_start, *per_minute) {
                    Ok(())
                } else {
                    Err(Error::TooManyRequests)
                }
            }
        }
    }
}

/// Whether the requests of the minute up to now stay within `limit`: this window's count
/// plus the previous window's, weighted by the share of that window still inside the
/// minute. Two fixed windows would let a client make twice the limit across a boundary.
fn admits(hits: WindowHits, elapsed_ms: i64, limit: i64) -> bool {
    let still_inside = WINDOW_MS - elapsed_ms.clamp(0, WINDOW_MS);
    hits.current * WINDOW_MS + hits.previous * still_inside <= limit * WINDOW_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_the_quota_per_client() {
        let limit = PerClientLimit::in_process("test", 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let now = Timestamp::now();
        for _ in 0..3 {
            limit.check(a, now).await.unwrap();
        }
        assert!(matches!(
            limit.check(a, now).await,
            Err(Error::TooManyRequests)
        ));
        limit.check(b, now).await.unwrap();
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let limit = PerClientLimit::in_process("test", 0);
        for _ in 0..1000 {
            limit
                .check("10.0.0.1".parse().unwrap(), Timestamp::now())
                .await
                .unwrap();
        }
    }

    fn hits(current: i64, previous: i64) -> WindowHits {
        WindowHits { current, previous }
    }

    #[test]
    fn a_window_alone_admits_up_to_the_limit() {
        assert!(admits(hits(3, 0), 0, 3));
        assert!(admits(hits(3, 0), 59_999, 3));
        assert!(!admits(hits(4, 0), 30_000, 3));
    }

    #[test]
    fn the_previous_window_counts_for_the_part_still_inside_the_minute() {
        // Three just before the boundary, then one just after: four within a second.
        assert!(!admits(hits(1, 3), 1_000, 3));
        // Half-way through, the previous three weigh one and a half.
        assert!(admits(hits(1, 3), 30_000, 3));
        assert!(!admits(hits(2, 3), 30_000, 3));
        // Two thirds through, they weigh one.
        assert!(admits(hits(2, 3), 40_000, 3));
    }
}
