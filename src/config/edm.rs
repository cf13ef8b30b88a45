//! `EdmSettings`: how follow-up email campaigns are sent, signed, tracked and footed.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// DKIM signing of campaign messages (RFC 6376; Ed25519 per RFC 8463, or RSA).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DkimSettings {
    /// The selector published in DNS: `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// The signing domain (`d=`), normally the From domain.
    pub domain: String,
    /// `ed25519` (key file: base64 of the 32-byte seed) or `rsa` (key file: PKCS#1 PEM).
    pub algorithm: String,
    pub key_file: PathBuf,
}

/// The `edm` section of the application settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct EdmSettings {
    /// From mailbox of campaign messages; `mail.from` when unset.
    pub from: Option<String>,
    /// The sender's postal address for the footer, lines separated by `\n`.
    pub postal_address: String,
    /// The frequency window new campaigns start with, in hours.
    pub frequency_hours: i64,
    /// Campaign messages per second across all connections; 0 = no limit.
    pub rate_per_second: u32,
    /// Concurrent SMTP connections used for campaigns.
    pub connections: usize,
    /// Messages claimed at a time.
    pub batch: usize,
    /// How long a claimed message stays leased to its sender, in seconds.
    pub lease_secs: u64,
    /// First retry delay after a temporary failure, doubled on each attempt, in seconds.
    pub retry_base_secs: u64,
    /// Attempts before a message with temporary failures is given up.
    pub max_attempts: i64,
    /// How often the server looks for campaign messages to send, in ms; 0 = never.
    pub poll_ms: u64,
    /// Address that unsubscribes when mailed (`mailto:` in List-Unsubscribe);
    /// `unsubscribe@<from domain>` when unset.
    pub unsubscribe_mailbox: Option<String>,
    /// Domain part of `List-Id`; the From domain when unset.
    pub list_id_domain: Option<String>,
    /// Signs unsubscribe and tracking links; a random key kept in the database when unset.
    #[serde(skip_serializing)]
    pub link_secret: Option<SecretString>,
    /// Bearer token the mail system presents to `POST /api/v1/edm/inbound`; the endpoint is
    /// off when unset.
    #[serde(skip_serializing)]
    pub inbound_token: Option<SecretString>,
    /// Soft bounces within `soft_bounce_days` that suppress an address.
    pub soft_bounce_limit: i64,
    pub soft_bounce_days: i64,
    pub dkim: Option<DkimSettings>,
}

impl Default for EdmSettings {
    fn default() -> Self {
        EdmSettings {
            from: None,
            postal_address: "Badgetrail Events\nExample Street 1\n10115 Berlin, Germany".into(),
            frequency_hours: 72,
            rate_per_second: 50,
            connections: 4,
            batch: 64,
            lease_secs: 120,
            retry_base_secs: 60,
            max_attempts: 5,
            poll_ms: 1000,
            unsubscribe_mailbox: None,
            list_id_domain: None,
            link_secret: None,
            inbound_token: None,
            soft_bounce_limit: 3,
            soft_bounce_days: 14,
            dkim: None,
        }
    }
}

impl EdmSettings {
    pub fn postal_lines(&self) -> Vec<String> {
        self.postal_address
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
