//! What monitoring reaches: liveness, readiness, the metrics scrape, and the per-request
//! measurements behind it.

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::telemetry;

/// Longest a readiness probe waits for the database: a probe that hangs is read as a
/// timeout by the orchestrator anyway, and a prompt 503 says why.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Liveness: the process answers. It touches nothing else, so a database outage makes the
/// server unready, not restarted in a loop.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers, so requests can be served.
async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.ctx.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database cannot be reached");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Who may read `/metrics`.
#[derive(Debug, PartialEq, Eq)]
enum Scrape {
    Allowed,
    /// A token is configured and this request did not present it.
    Unauthorized,
    /// No token is configured and the request came from elsewhere: the page does not exist
    /// for it.
    Hidden,
}

/// With a token, only its bearer may scrape. Without one, only this machine may, and a
/// request a proxy forwarded is from elsewhere whatever the proxy's own address.
fn scrape_access(token: Option<&SecretString>, peer: IpAddr, headers: &HeaderMap) -> Scrape {
    match token.map(|t| t.expose_secret().as_bytes()) {
        Some(expected) => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("")
                .as_bytes();
            if !expected.is_empty()
                && presented.len() == expected.len()
                && bool::from(presented.ct_eq(expected))
            {
                Scrape::Allowed
            } else {
                Scrape::Unauthorized
            }
        }
        None => {
            let forwarded =
                headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
            if peer.is_loopback() && !forwarded {
                Scrape::Allowed
            } else {
                Scrape::Hidden
            }
        }
    }
}

async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match scrape_access(
        state.ctx.settings.metrics_token.as_ref(),
        peer.ip(),
        &headers,
    ) {
        Scrape::Allowed => {}
        Scrape::Unauthorized => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a valid bearer token is required",
            )
                .into_response();
        }
        Scrape::Hidden => return crate::web::error::Error::NotFound.into_response(),
    }
    // The queue gauges are the process's; a scrape holds them from counting to rendering so
    // that another scrape at the same moment (of another app in the same process, as in the
    // tests) cannot overwrite them with its own counts in between.
    let _scrape = SCRAPE.lock().await;
    sample_queues(&state).await;
    let body = telemetry::render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// One scrape at a time counts and renders the queue gauges.
static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Queue depths are counted when scraped: two indexed counts per scrape cost less than
/// keeping gauges right through every claim, send and retry of several instances.
async fn sample_queues(state: &AppState) {
    let store = &state.ctx.store;
    match tokio::try_join!(
        store.mail_queue().mail_queue_depth(),
        store.campaigns().campaign_queue_depth()
    ) {
        Ok((badge, campaign)) => telemetry::mail_queues(badge, campaign),
        // The scrape still shows everything else; the gauges keep their last values.
        Err(e) => tracing::warn!(error = %e, "could not count the mail queues"),
    }
}

/// The route template a request matched, handed from inside the router to
/// [`track_requests`] outside it, which sees the request before routing.
#[derive(Clone)]
struct Route(MatchedPath);

/// Runs on matched routes only: notes the template on the response.
pub async fn note_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Counts and times every request by route template, method and status. Unknown paths are
/// `unmatched`: a raw path could hold a badge token, and each distinct one would be a new
/// series.
pub async fn track_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |r| r.0.as_str());
    telemetry::http_request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));

    #[test]
    fn without_a_token_only_this_machine_may_scrape() {
        assert_eq!(
            scrape_access(None, LOOPBACK, &headers(&[])),
            Scrape::Allowed
        );
        assert_eq!(
            scrape_access(None, ELSEWHERE, &headers(&[])),
            Scrape::Hidden
        );
    }

    #[test]
    fn a_request_forwarded_by_a_local_proxy_is_not_local() {
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(scrape_access(None, LOOPBACK, &forwarded), Scrape::Hidden);
        let forwarded = headers(&[("forwarded", "for=203.0.113.9")]);
        assert_eq!(scrape_access(None, LOOPBACK, &forwarded), Scrape::Hidden);
    }

    #[test]
    fn with_a_token_only_its_bearer_may_scrape_even_from_this_machine() {
        let token = SecretString::from("s3cret-scrape");
        let t = Some(&token);
        assert_eq!(
            scrape_access(t, LOOPBACK, &headers(&[])),
            Scrape::Unauthorized
        );
        let wrong = headers(&[("authorization", "Bearer s3cret-scrapf")]);
        assert_eq!(scrape_access(t, LOOPBACK, &wrong), Scrape::Unauthorized);
        let right = headers(&[("authorization", "Bearer s3cret-scrape")]);
        assert_eq!(scrape_access(t, ELSEWHERE, &right), Scrape::Allowed);
    }

    #[test]
    fn an_empty_token_lets_nobody_in() {
        let token = SecretString::from("");
        let bare = headers(&[("authorization", "Bearer ")]);
        assert_eq!(
            scrape_access(Some(&token), LOOPBACK, &bare),
            Scrape::Unauthorized
        );
    }
}
