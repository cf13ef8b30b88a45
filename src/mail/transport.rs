//! `MailTransport`: the configured way out for composed messages.

use lettre::Message;

use super::{MailError, MailSettings, Outbox, Receipt, SendError, SmtpRelay, TransportKind};
use crate::domain::email::Email;

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
