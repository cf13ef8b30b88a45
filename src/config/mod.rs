//! The one settings struct: defaults, then an optional TOML file, then `BADGETRAIL_*` variables.

use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{badges::KeyStorage, mail::MailSettings};

mod decode;
mod edm;
mod leads;

pub use decode::DecodeSettings;
pub use edm::{DkimSettings, EdmSettings};
pub use leads::LeadSettings;

/// Everything configurable, loaded once at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://FILE` (the default, created on first run) or `postgres://...`.
    #[serde(serialize_with = "redacted")]
    pub database_url: SecretString,
    /// Upper bound on pooled database connections.
    pub database_max_connections: u32,
    /// Address the web server listens on.
    pub bind: String,
    /// The address people use to reach the server; links in emails and QR pages use it.
    pub public_url: String,
    pub key_storage: KeyStorage,
    pub keys_dir: PathBuf,
    /// Registrations accepted per client address per minute; 0 turns the limit off.
    pub registration_per_minute: u32,
    /// How many proxies of our own every request passes through; the client address is then
    /// read from `X-Forwarded-For`, that many entries from the right. 0: the TCP peer.
    pub trusted_proxy_hops: u32,
    /// Older form of `trusted_proxy_hops = 1`, still read; `trusted_proxy_hops` wins when set.
    pub trust_forwarded_for: bool,
    /// Largest accepted form or JSON body, in bytes.
    pub max_body_bytes: usize,
    /// How long a staff login lasts, in hours.
    pub login_hours: u32,
    /// Bearer token a Prometheus scraper presents to `GET /metrics`. Unset, `/metrics`
    /// answers only requests from this machine that no proxy forwarded.
    #[serde(skip_serializing)]
    pub metrics_token: Option<SecretString>,
    /// How often the background mailer looks for queued messages, in milliseconds (0: never).
    pub mail_poll_ms: u64,
    /// How often personal data past its event's retention period is erased, in hours
    /// (0: never; `badgetrail retention run` still works).
    pub retention_hours: u64,
    pub mail: MailSettings,
    /// Follow-up email campaigns.
    pub edm: EdmSettings,
    /// The lead builder: per-event files and the webhook.
    pub leads: LeadSettings,
    /// Server-side QR decoding of kiosk photos: how many at once, how long each.
    pub decode: DecodeSettings,
}

fn redacted<S: serde::Serializer>(url: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url.expose_secret()))
}

/// Hides the password of a connection URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: SecretString::from("sqlite://badgetrail.db"),
            database_max_connections: 8,
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            key_storage: KeyStorage::Database,
            keys_dir: PathBuf::from("keys"),
            registration_per_minute: 30,
            trusted_proxy_hops: 0,
            trust_forwarded_for: false,
            max_body_bytes: 64 * 1024,
            login_hours: 12,
            metrics_token: None,
            mail_poll_ms: 500,
            retention_hours: 24,
            mail: MailSettings::default(),
            edm: EdmSettings::default(),
            leads: LeadSettings::default(),
            decode: DecodeSettings::default(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` (or `badgetrail.toml` when it exists), then `DATABASE_URL`, then
    /// `BADGETRAIL_*` variables (`__` separates nested keys: `BADGETRAIL_MAIL__TRANSPORT=smtp`).
    pub fn load(file: Option<&Path>) -> Result<Settings, String> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(f) if !f.exists() => {
                return Err(format!("configuration file {} does not exist", f.display()));
            }
            Some(f) => fig = fig.merge(Toml::file(f)),
            None if Path::new("badgetrail.toml").exists() => {
                fig = fig.merge(Toml::file("badgetrail.toml"))
            }
            None => {}
        }
        fig = fig
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            )
            .merge(Env::prefixed("BADGETRAIL_").split("__"));
        let mut s: Settings = fig.extract().map_err(|e| format!("configuration: {e}"))?;
        s.public_url = s.public_url.trim_end_matches('/').to_owned();
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        crate::store::Backend::from_url(self.database_url.expose_secret())?;
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err("public_url must start with http:// or https://".into());
        }
        Ok(())
    }

    /// The number of trusted proxies in front of the server, from either setting.
    pub fn proxy_hops(&self) -> u32 {
        match (self.trusted_proxy_hops, self.trust_forwarded_for) {
            (0, true) => 1,
            (n, _) => n,
        }
    }

    /// Cookies are marked `Secure` whenever the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The settings as TOML with secrets hidden, for `badgetrail config`.
    pub fn redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/bt"),
            "postgres://app:***@db:5432/bt"
        );
        assert_eq!(
            redact_url("sqlite://badgetrail.db"),
            "sqlite://badgetrail.db"
        );
    }

    #[test]
    fn the_old_forwarded_for_switch_means_one_trusted_proxy() {
        let hops = |hops, old| {
            Settings {
                trusted_proxy_hops: hops,
                trust_forwarded_for: old,
                ..Settings::default()
            }
            .proxy_hops()
        };
        assert_eq!(hops(0, false), 0);
        assert_eq!(hops(0, true), 1);
        assert_eq!(hops(2, true), 2);
        assert_eq!(hops(2, false), 2);
    }

    #[test]
    fn printed_settings_hold_no_secret() {
        let s = Settings {
            database_url: SecretString::from("postgres://u:hunter22@h/d"),
            metrics_token: Some(SecretString::from("scrape-me-7")),
            ..Settings::default()
        };
        let printed = format!("{} {:?}", s.redacted_toml(), s);
        assert!(!printed.contains("hunter22"), "{printed}");
        assert!(!printed.contains("scrape-me-7"), "{printed}");
    }
}
