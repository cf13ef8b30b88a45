//! `LeadSettings`: where each event's lead files live, the optional webhooks and the CRM
//! owner names of the CRM export.

use std::{collections::BTreeMap, path::PathBuf};

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
    /// Posts each outcome sales record on a lead to this URL (JSON), signed with
    /// `webhook_secret` like the lead webhook, so a CRM can be kept in step.
    pub outcome_webhook_url: Option<String>,
    /// Login name -> the owner as the CRM knows them, for `leads export --preset`
    /// (Salesforce: the user's full name; HubSpot: the user's email address).
    pub crm_owners: BTreeMap<String, String>,
    /// Each accepted scan updates its attendee's live lead and checks the event's watch
    /// rules while the event runs (`leads::live_updates`).
    pub live_updates: bool,
    /// Posts each hot-lead alert to this URL (JSON), signed with `webhook_secret` like the
    /// lead webhook.
    pub alert_webhook_url: Option<String>,
    /// How often the server checks feedback deadlines (reminders, escalation), in minutes;
    /// 0 turns the check off (`badgetrail feedback deadlines` runs it once).
    pub deadline_check_minutes: u64,
}

impl Default for LeadSettings {
    fn default() -> Self {
        LeadSettings {
            config_dir: PathBuf::from("leads"),
            webhook_url: None,
            webhook_secret: None,
            webhook_timeout_ms: 5_000,
            webhook_concurrency: 8,
            outcome_webhook_url: None,
            crm_owners: BTreeMap::new(),
            deadline_check_minutes: 15,
            live_updates: true,
            alert_webhook_url: None,
        }
    }
}
