//! The optional lead webhook: after a build, each lead that is new or changed tier (of the
//! routed tiers) is posted as JSON, signed with HMAC-SHA256 when a secret is set, retried
//! on network errors and 5xx replies. `outcome` posts sales' outcomes the same way.

pub mod alert;
pub mod outcome;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::{StreamExt, stream};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::Sha256;

use super::LeadSettings;
use crate::domain::leads::package::LeadPackage;

/// The body of one webhook request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeadReady<'a> {
    pub event: &'a str,
    pub lead: &'a LeadPackage,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub posted: usize,
    pub failed: usize,
}

const ATTEMPTS: u32 = 3;

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!(
        "sha256={}",
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    )
}

fn client(settings: &LeadSettings) -> reqwest::Result<reqwest::Client> {
    crate::context::install_tls_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.webhook_timeout_ms.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// After this many leads in a row could not be posted, the receiver is taken to be down and
/// the rest are counted as failed without trying, so a dead webhook cannot hold a build up.
pub const GIVE_UP_AFTER: usize = 20;

/// Requests prepared at a time, so a large build never holds every body in memory.
const CHUNK: usize = 256;

/// Posts every lead; failures are counted and logged (without personal data), never fatal.
pub async fn post_all(
    settings: &LeadSettings,
    url: &str,
    event: &str,
    leads: &[LeadPackage],
) -> Posted {
    let all_failed = Posted {
        posted: 0,
        failed: leads.len(),
    };
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            tracing::error!(
                "lead webhook: leads.webhook_url is not an http(s) URL; nothing posted"
            );
            return all_failed;
        }
    }
    let client = match client(settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "lead webhook: no HTTP client");
            return all_failed;
        }
    };
    let secret = settings
        .webhook_secret
        .as_ref()
        .map(|s| s.expose_secret().as_bytes().to_vec());
    let failing = Arc::new(AtomicUsize::new(0));
    let mut posted = 0;
    for chunk in leads.chunks(CHUNK) {
        let requests: Vec<_> = chunk
            .iter()
            .map(|lead| {
                let body = serde_json::to_vec(&LeadReady { event, lead }).unwrap_or_default();
                post_one(
                    client.clone(),
                    url.to_owned(),
                    secret.clone(),
                    body,
                    lead.attendee_id,
                    failing.clone(),
                )
            })
            .collect();
        let results: Vec<bool> = stream::iter(requests)
            .buffer_unordered(settings.webhook_concurrency.max(1))
            .collect()
            .await;
        posted += results.iter().filter(|ok| **ok).count();
    }
    if failing.load(Ordering::Relaxed) >= GIVE_UP_AFTER {
        tracing::error!(
            posted,
            "lead webhook: gave up after {GIVE_UP_AFTER} failures in a row"
        );
    }
    Posted {
        posted,
        failed: leads.len() - posted,
    }
}

async fn post_one(
    client: reqwest::Client,
    url: String,
    secret: Option<Vec<u8>>,
    body: Vec<u8>,
    attendee: i64,
    failing: Arc<AtomicUsize>,
) -> bool {
    for attempt in 1..=ATTEMPTS {
        if failing.load(Ordering::Relaxed) >= GIVE_UP_AFTER {
            return false;
        }
        let mut req = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Badgetrail-Attendee", attendee.to_string());
        if let Some(secret) = &secret {
            req = req.header("X-Badgetrail-Signature", signature(secret, &body));
        }
        match req.body(body.clone()).send().await {
            Ok(r) if r.status().is_success() => {
                failing.store(0, Ordering::Relaxed);
                return true;
            }
            Ok(r) if r.status().is_client_error() => {
                tracing::warn!(attendee, status = %r.status(), "lead webhook refused a lead");
                failing.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            Ok(r) => tracing::warn!(attendee, attempt, status = %r.status(), "lead webhook failed"),
            Err(e) => {
                tracing::warn!(attendee, attempt, error = %e.without_url(), "lead webhook failed")
            }
        }
        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
    }
    failing.fetch_add(1, Ordering::Relaxed);
    false
}
