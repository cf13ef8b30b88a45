//! Per-client request limits for the forms bots like (registration, login), using governor.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
};

use axum::http::HeaderMap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::Error;

/// A limit of N requests per minute per client address, with a burst of the same size.
pub struct PerClientLimit {
    /// What the limit guards, as the refusal metric labels it.
    name: &'static str,
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl PerClientLimit {
    /// `0` turns the limit off.
    pub fn per_minute(name: &'static str, n: u32) -> PerClientLimit {
        PerClientLimit {
            name,
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
        limiter.check_key(&client).map_err(|_| {
            crate::telemetry::rate_limited(self.name);
            Error::TooManyRequests
        })
    }
}

/// The client's address: the TCP peer, or the first `X-Forwarded-For` hop when the server
/// sits behind a trusted proxy.
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    peer.ip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_quota_per_client() {
        let limit = PerClientLimit::per_minute("test", 3);
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
        let limit = PerClientLimit::per_minute("test", 0);
        for _ in 0..1000 {
            limit.check("10.0.0.1".parse().unwrap()).unwrap();
        }
    }

    #[test]
    fn forwarded_for_is_only_read_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&h, peer, false), peer.ip());
        assert_eq!(
            client_ip(&h, peer, true),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }
}
