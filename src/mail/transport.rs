//! `MailTransport`: the configured way out for composed messages, and what a send reports.

use lettre::Message;

use super::{MailError, MailSettings, Outbox, SmtpRelay, TransportKind};
use crate::domain::email::Email;

/// Proof that a message left us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message's Message-ID, without angle brackets.
    pub message_id: String,
    /// The relay's final reply, or the path of the written `.eml` file.
    pub detail: String,
}

/// Why a send failed, and so whether it is worth trying again later.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The relay deferred (4xx), or it could not be reached or timed out.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The relay refused the message for good (5xx).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Where composed messages go, chosen by `MailSettings::transport`.
pub enum MailTransport {
    Outbox(Outbox),
    Smtp(SmtpRelay),
}

impl MailTransport {
    pub fn from_settings(settings: &MailSettings) -> Result<MailTransport, MailError> {
        Ok(match settings.transport {
            TransportKind::Outbox => MailTransport::Outbox(Outbox::new(&settings.outbox_dir)),
            TransportKind::Smtp => MailTransport::Smtp(SmtpRelay::from_settings(settings)?),
        })
    }

    pub async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let result = match self {
            MailTransport::Outbox(outbox) => outbox.send(message).await,
            MailTransport::Smtp(relay) => relay.send(message).await,
        };
        let to = masked_recipients(message);
        match &result {
            Ok(receipt) => tracing::debug!(
                %to, message_id = %receipt.message_id, detail = %receipt.detail, "email sent"
            ),
            Err(err) => tracing::warn!(%to, error = %err, "email not sent"),
        }
        if let (MailTransport::Smtp(_), Err(err)) = (self, &result) {
            crate::telemetry::smtp_error(match err {
                SendError::Transient(_) => "transient",
                SendError::Permanent(_) => "permanent",
            });
        }
        result
    }

    /// Ends open SMTP sessions politely; nothing to do for the outbox.
    pub async fn close(&self) {
        if let MailTransport::Smtp(relay) = self {
            relay.close().await;
        }
    }
}

/// The Message-ID of `message` without angle brackets, or "" when it has none.
pub fn message_id(message: &Message) -> String {
    let raw = message.headers().get_raw("Message-ID").unwrap_or_default();
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// Recipients for logs: never the full address.
fn masked_recipients(message: &Message) -> String {
    let masked: Vec<String> = message
        .envelope()
        .to()
        .iter()
        .map(|address| {
            Email::parse(address.as_ref()).map_or_else(|_| "***".to_owned(), |e| e.masked())
        })
        .collect();
    masked.join(", ")
}
