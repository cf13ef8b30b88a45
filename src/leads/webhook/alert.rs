//! Posts a hot-lead alert to `leads.alert_webhook_url`, signed like the lead webhook.

use std::sync::{Arc, atomic::AtomicUsize};

use secrecy::ExposeSecret;
use serde::Serialize;

use super::{client, post_one};
use crate::leads::LeadSettings;

/// The body of one alert request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HotLead<'a> {
    pub event: &'a str,
    pub alert_id: i64,
    pub rule: &'a str,
    /// `enters` or `tier_a`.
    pub trigger: &'a str,
    pub attendee_id: i64,
    pub name: &'a str,
    pub company: &'a str,
    pub job_title: &'a str,
    pub tier: Option<&'a str>,
    pub session: Option<&'a str>,
    pub room: Option<&'a str>,
    pub reason: &'a str,
    /// RFC 3339.
    pub at: String,
    /// The owner's login name, if the lead has one.
    pub owner: Option<&'a str>,
}

/// Posts one alert; whether the receiver took it.
pub async fn post(settings: &LeadSettings, url: &str, alert: &HotLead<'_>) -> bool {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            tracing::error!("alert webhook: leads.alert_webhook_url is not an http(s) URL");
            return false;
        }
    }
    let Ok(client) = client(settings) else {
        return false;
    };
    let secret = settings
        .webhook_secret
        .as_ref()
        .map(|s| s.expose_secret().as_bytes().to_vec());
    let body = serde_json::to_vec(alert).unwrap_or_default();
    post_one(
        client,
        url.to_owned(),
        secret,
        body,
        alert.attendee_id,
        Arc::new(AtomicUsize::new(0)),
    )
    .await
}
