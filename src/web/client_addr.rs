//! The client's address, read through as many proxies as the deployment trusts.
//!
//! Each proxy appends to `X-Forwarded-For` the address the request came to it from, and keeps
//! whatever the request already carried, which the client wrote as it liked. So the list is
//! read from the right: with `n` trusted proxies in front of the server, the `n`-th entry from
//! the right was written by the outermost of them and is the client's address; the entries
//! left of it are the client's own words. A list too short for `n`, or an entry that is not an
//! address, means the request did not come through all of those proxies, and the peer address
//! is used instead.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The client's address: the TCP peer with no trusted proxy, else the `X-Forwarded-For`
/// entry that the outermost of `trusted_hops` proxies wrote.
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trusted_hops: u32) -> IpAddr {
    let Some(skip) = (trusted_hops as usize).checked_sub(1) else {
        return peer.ip();
    };
    // Several header lines are one list, in order. A line that is not text would shift every
    // position after it, so none of them can be trusted.
    let Ok(lines) = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str())
        .collect::<Result<Vec<&str>, _>>()
    else {
        return peer.ip();
    };
    lines
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(','))
        .nth(skip)
        .and_then(|entry| parse_entry(entry.trim()))
        .unwrap_or(peer.ip())
}

/// An address as proxies write it: bare, or with a port (`[v6]:port` for IPv6).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", l.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const PEER: &str = "10.0.0.1:5000";

    fn read(lines: &[&str], hops: u32) -> IpAddr {
        client_ip(&headers(lines), PEER.parse().unwrap(), hops)
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(read(&["203.0.113.9"], 0), ip("10.0.0.1"));
    }

    #[test]
    fn behind_one_proxy_an_address_the_client_wrote_is_not_believed() {
        // The client sent "X-Forwarded-For: 198.51.100.66"; the proxy appended its peer.
        assert_eq!(read(&["198.51.100.66, 203.0.113.9"], 1), ip("203.0.113.9"));
        assert_eq!(
            read(&["198.51.100.66", "203.0.113.9"], 1),
            ip("203.0.113.9")
        );
        assert_eq!(read(&["203.0.113.9"], 1), ip("203.0.113.9"));
    }

    #[test]
    fn behind_two_proxies_the_outer_one_names_the_client() {
        // Client -> CDN (appends the client) -> load balancer (appends the CDN) -> server.
        assert_eq!(
            read(&["198.51.100.66, 203.0.113.9, 192.0.2.7"], 2),
            ip("203.0.113.9")
        );
        assert_eq!(read(&["203.0.113.9", "192.0.2.7"], 2), ip("203.0.113.9"));
    }

    #[test]
    fn a_list_shorter_than_the_trusted_proxies_falls_back_to_the_peer() {
        assert_eq!(read(&["203.0.113.9"], 2), ip("10.0.0.1"));
        assert_eq!(read(&[], 1), ip("10.0.0.1"));
    }

    #[test]
    fn an_entry_that_is_no_address_falls_back_to_the_peer() {
        assert_eq!(read(&["203.0.113.9, unknown"], 1), ip("10.0.0.1"));
        assert_eq!(read(&["203.0.113.9,"], 1), ip("10.0.0.1"));
    }

    #[test]
    fn entries_with_ports_and_ipv6_are_read() {
        assert_eq!(read(&["203.0.113.9:41000"], 1), ip("203.0.113.9"));
        assert_eq!(read(&["[2001:db8::7]:41000"], 1), ip("2001:db8::7"));
        assert_eq!(read(&[" 2001:db8::7 "], 1), ip("2001:db8::7"));
    }

    #[test]
    fn a_header_line_that_is_not_text_is_not_believed() {
        let mut h = headers(&["203.0.113.9"]);
        h.append(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"198.51.100.\xff").unwrap(),
        );
        assert_eq!(client_ip(&h, PEER.parse().unwrap(), 1), ip("10.0.0.1"));
    }
}
