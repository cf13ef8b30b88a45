//! Per-client request limits for the forms bots like (registration, login), using governor.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::{net::IpAddr, num::NonZeroU32};

use crate::error::Error;

/// A limit of N requests per minute per client address, with a burst of the same size.
pub struct PerClientLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl PerClientLimit {
    /// `0` turns the limit off.
    pub fn per_minute(n: u32) -> PerClientLimit {
        PerClientLimit {
            limiter: NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    pub fn check(&self, client: IpAddr) -> Result<(), Error> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        // Forget clients that have been quiet for a while, so the table cannot grow forever.
        if limiter.len() > 50_000 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&client)
            .map_err(|_| Error::TooManyRequests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_quota_per_client() {
        let limit = PerClientLimit::per_minute(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limit.check(a).unwrap();
        }
        assert!(matches!(limit.check(a), Err(Error::TooManyRequests)));
        limit.check(b).unwrap();
    }

    #[test]
    fn zero_means_unlimited() {
        let limit = PerClientLimit::per_minute(0);
        for _ in 0..1000 {
            limit.check("10.0.0.1".parse().unwrap()).unwrap();
        }
    }
}
