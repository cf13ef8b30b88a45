//! `MailSettings`: who badge emails come from and which transport carries them.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Where composed messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// Each message becomes an `.eml` file in `outbox_dir` (development, audits).
    #[default]
    Outbox,
    /// Each message is relayed to `smtp_host:smtp_port`.
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same host or a trusted network.
    #[default]
    None,
    /// Connect in plain text, then upgrade with `STARTTLS` (usually port 587 or 25).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// The `mail` section of the application settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct MailSettings {
    /// The From mailbox, e.g. "Cloud Summit <noreply@badgetrail.example>".
    pub from: String,
    pub transport: TransportKind,
    /// Directory of the outbox transport; created when missing.
    pub outbox_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    /// Never serialised; `Debug` shows it redacted.
    #[serde(skip_serializing)]
    pub smtp_password: Option<SecretString>,
    /// Extra root certificate (PEM) to trust, for a relay behind a private CA.
    pub smtp_ca_file: Option<PathBuf>,
    /// How many SMTP connections may be open at once.
    pub smtp_pool_size: usize,
    /// Limit for connecting and for each message exchange.
    pub smtp_timeout_secs: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Badgetrail <noreply@badgetrail.example>".to_owned(),
            transport: TransportKind::Outbox,
            outbox_dir: PathBuf::from("outbox"),
            smtp_host: "localhost".to_owned(),
            smtp_port: 25,
            smtp_security: SmtpSecurity::None,
            smtp_username: None,
            smtp_password: None,
            smtp_ca_file: None,
            smtp_pool_size: 4,
            smtp_timeout_secs: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::{IntoDeserializer, value::Error};

    use super::*;

    #[test]
    fn names_are_lowercase() {
        let kind = TransportKind::deserialize("smtp".into_deserializer());
        assert_eq!(kind, Ok::<_, Error>(TransportKind::Smtp));
        let security = SmtpSecurity::deserialize("starttls".into_deserializer());
        assert_eq!(security, Ok::<_, Error>(SmtpSecurity::StartTls));
        let security = SmtpSecurity::deserialize("tls".into_deserializer());
        assert_eq!(security, Ok::<_, Error>(SmtpSecurity::Tls));
    }

    #[test]
    fn debug_does_not_show_the_password() {
        let settings = MailSettings {
            smtp_password: Some(SecretString::from("hunter2")),
            ..MailSettings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
