//! `LeadSettings`: where each event's lead files live and the optional webhook.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The `leads` section of the application settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LeadSettings {
    /// Each event's files are `<config_dir>/<event slug>/scoring.toml`, `routing.toml` and
    /// `content.toml`; a missing file means the documented defaults (scoring), no routing,
    /// or nothing to show.
    pub config_dir: PathBuf,
    /// Posts each lead that is new or changed tier to this URL after a build (JSON).
    pub webhook_url: Option<String>,
    /// Signs webhook bodies (`X-Badgetrail-Signature: sha256=<hex HMAC>`). Never serialised.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<SecretString>,
    /// Per webhook request, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// Webhook requests in flight at once.
    pub webhook_concurrency: usize,
}

impl Default for LeadSettings {
    fn default() -> Self {
        LeadSettings {
            config_dir: PathBuf::from("leads"),
            webhook_url: None,
            webhook_secret: None,
            webhook_timeout_ms: 5_000,
            webhook_concurrency: 8,
        }
    }
}
