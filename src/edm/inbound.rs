//! Mail that comes back: delivery status notifications, abuse reports and unsubscribe mails.

use jiff::{SignedDuration, Timestamp};

use crate::{
    context::Context,
    domain::campaigns::link::TEST_SEND,
    formats::dsn::{DsnError, parse_report},
    store::BounceReport,
};

/// What one inbound message did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundOutcome {
    /// Recipients reported: (kind, now suppressed).
    pub bounces: Vec<(String, bool)>,
    /// An unsubscribe mail was honoured.
    pub unsubscribed: bool,
}

/// Why an inbound message was not used.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Reads a DSN (RFC 3464), a feedback report (RFC 5965), or a mail sent to the unsubscribe
/// mailbox whose subject carries the token from `List-Unsubscribe`.
pub async fn read_inbound(
    ctx: &Context,
    raw: &[u8],
    now: Timestamp,
) -> Result<InboundOutcome, InboundError> {
    let edm = &ctx.settings.edm;
    match parse_report(raw) {
        Ok(report) => {
            let mut outcome = InboundOutcome::default();
            let window = SignedDuration::from_hours(24 * edm.soft_bounce_days.max(0));
            for r in &report.recipients {
                if forgotten(ctx, &r.email).await? {
                    // Already suppressed by its hash; recording it would store it again.
                    continue;
                }
                let recorded = ctx
                    .store
                    .campaigns()
                    .record_bounce(
                        &BounceReport {
                            email: &r.email,
                            kind: r.kind.as_str(),
                            status: &r.status,
                            detail: &r.diagnostic,
                            message_id: report.original_message_id.as_deref(),
                        },
                        edm.soft_bounce_limit.max(1),
                        window.as_millis() as i64,
                        now,
                    )
                    .await
                    .map_err(anyhow::Error::from)?;
                outcome
                    .bounces
                    .push((r.kind.as_str().to_owned(), recorded.suppressed));
            }
            tracing::info!(recipients = report.recipients.len(), "delivery report read");
            Ok(outcome)
        }
        Err(DsnError::NotAMessage) => Err(InboundError::Unreadable("not an email message".into())),
        Err(e @ DsnError::NoRecipient) => Err(InboundError::Unreadable(e.to_string())),
        Err(DsnError::NoReport) => unsubscribe_mail(ctx, raw, now).await,
    }
}

/// The address belongs to an erased person only: nobody registered holds it now.
async fn forgotten(ctx: &Context, email: &str) -> Result<bool, InboundError> {
    let hash = ctx.edm.addresses.hash(email);
    let erased = ctx
        .store
        .campaigns()
        .suppressions_of(&hash)
        .await
        .map_err(anyhow::Error::from)?
        .iter()
        .any(|r| r == "erased");
    Ok(erased
        && !ctx
            .store
            .attendees()
            .address_registered(email)
            .await
            .map_err(anyhow::Error::from)?)
}

async fn unsubscribe_mail(
    ctx: &Context,
    raw: &[u8],
    now: Timestamp,
) -> Result<InboundOutcome, InboundError> {
    let message = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .ok_or_else(|| InboundError::Unreadable("not an email message".into()))?;
    let subject = message.subject().unwrap_or("");
    let token = subject
        .split_whitespace()
        .skip_while(|w| !w.eq_ignore_ascii_case("unsubscribe"))
        .nth(1)
        .ok_or_else(|| {
            InboundError::Unreadable(
                "neither a delivery report nor an unsubscribe mail (subject 'unsubscribe TOKEN')"
                    .into(),
            )
        })?;
    let send_id = ctx
        .edm
        .signer
        .verify_unsubscribe(token)
        .ok_or_else(|| InboundError::Unreadable("the unsubscribe token is not valid".into()))?;
    if send_id == TEST_SEND {
        return Ok(InboundOutcome::default());
    }
    let done = ctx
        .store
        .campaigns()
        .unsubscribe_send(send_id, now)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(InboundOutcome {
        bounces: vec![],
        unsubscribed: done.is_some(),
    })
}
