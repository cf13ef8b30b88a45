//! The optional lead webhook: after a build, each lead that is new or changed tier (of the
//! routed tiers) is posted as JSON, signed with HMAC-SHA256 when a secret is set, retried
//! on network errors and 5xx replies.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::Sha256;

use super::LeadSettings;
use crate::domain::lead::LeadPackage;

/// The body of one webhook request.
#[derive(Debug, Serialize)]
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

/// Posts every lead; failures are counted and logged (without personal data), never fatal.
pub async fn post_all(
    settings: &LeadSettings,
    url: &str,
    event: &str,
    leads: &[LeadPackage],
) -> Posted {
    let client = match client(settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "lead webhook: no HTTP client");
            return Posted {
                posted: 0,
                failed: leads.len(),
            };
        }
    };
    let secret = settings
        .webhook_secret
        .as_ref()
        .map(|s| s.expose_secret().as_bytes().to_vec());
    let requests: Vec<_> = leads
        .iter()
        .map(|lead| {
            let body = serde_json::to_vec(&LeadReady { event, lead }).unwrap_or_default();
            post_one(
                client.clone(),
                url.to_owned(),
                secret.clone(),
                body,
                lead.attendee_id,
            )
        })
        .collect();
    let results: Vec<bool> = stream::iter(requests)
        .buffer_unordered(settings.webhook_concurrency.max(1))
        .collect()
        .await;
    let posted = results.iter().filter(|ok| **ok).count();
    Posted {
        posted,
        failed: results.len() - posted,
    }
}

async fn post_one(
    client: reqwest::Client,
    url: String,
    secret: Option<Vec<u8>>,
    body: Vec<u8>,
    attendee: i64,
) -> bool {
    for attempt in 1..=ATTEMPTS {
        let mut req = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Badgetrail-Attendee", attendee.to_string());
        if let Some(secret) = &secret {
            req = req.header("X-Badgetrail-Signature", signature(secret, &body));
        }
        match req.body(body.clone()).send().await {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if r.status().is_client_error() => {
                tracing::warn!(attendee, status = %r.status(), "lead webhook refused a lead");
                return false;
            }
            Ok(r) => tracing::warn!(attendee, attempt, status = %r.status(), "lead webhook failed"),
            Err(e) => {
                tracing::warn!(attendee, attempt, error = %e.without_url(), "lead webhook failed")
            }
        }
        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
    }
    false
}
