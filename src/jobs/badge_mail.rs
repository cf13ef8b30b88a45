//! Sends queued badge emails: claim with a lease, render, send, record the outcome.

use std::time::Duration;

use anyhow::Context as _;
use futures_util::{StreamExt, stream};
use jiff::{Timestamp, ToSpan};
use tokio::sync::watch;

use crate::{
    context::Context,
    domain::email::Email,
    mail::{BadgeEmail, SendError, compose_badge_email},
    qr,
    store::MailJob,
};

/// A claim lasts this long; a message whose sender died is retried after it.
const LEASE_MS: i64 = 120_000;
/// Attempts before a message with temporary failures is given up.
const MAX_ATTEMPTS: i64 = 8;
const BATCH: i64 = 64;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailRun {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl MailRun {
    pub fn total(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Sends every message that is due now, one batch at a time, until none is left.
pub async fn run_once(ctx: &Context) -> anyhow::Result<MailRun> {
    let mut run = MailRun::default();
    loop {
        let now = Timestamp::now();
        let jobs = ctx
            .store
            .mail_queue()
            .claim_mail(now, LEASE_MS, BATCH)
            .await?;
        if jobs.is_empty() {
            return Ok(run);
        }
        let parallel = ctx.settings.mail.smtp_pool_size.max(1);
        let results: Vec<_> = stream::iter(jobs)
            .map(|job| async move { (job.clone(), send_one(ctx, &job).await) })
            .buffer_unordered(parallel)
            .collect()
            .await;
        for (job, result) in results {
            match result {
                Ok(message_id) => {
                    ctx.store
                        .mail_queue()
                        .mark_mail_sent(job.id, &message_id, Timestamp::now())
                        .await?;
                    run.sent += 1;
                    crate::telemetry::badge_mail("sent", 1);
                }
                Err(Failure::Temporary(e)) if job.attempts < MAX_ATTEMPTS => {
                    let backoff = 30_i64 * (1 << job.attempts.min(10));
                    let retry_at = Timestamp::now() + backoff.seconds();
                    tracing::warn!(job = job.id, attempts = job.attempts, error = %e, "badge email will be retried");
                    ctx.store
                        .mail_queue()
                        .mark_mail_failed(job.id, &e, Some(retry_at))
                        .await?;
                    run.retrying += 1;
                    crate::telemetry::badge_mail("retrying", 1);
                }
                Err(Failure::Temporary(e) | Failure::Permanent(e)) => {
                    tracing::error!(job = job.id, error = %e, "badge email failed for good");
                    ctx.store
                        .mail_queue()
                        .mark_mail_failed(job.id, &e, None)
                        .await?;
                    run.failed += 1;
                    crate::telemetry::badge_mail("failed", 1);
                }
            }
        }
    }
}

/// Runs passes until `shutdown` turns true, sleeping between empty passes. A poll interval
/// of 0 turns the background mailer off (mail is then sent by `badgetrail send-mail`).
pub async fn run_until_shutdown(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    if ctx.settings.mail_poll_ms == 0 {
        return;
    }
    let pause = Duration::from_millis(ctx.settings.mail_poll_ms);
    loop {
        if let Err(e) = run_once(&ctx).await {
            tracing::error!(error = ?e, "mail pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

enum Failure {
    Temporary(String),
    Permanent(String),
}

async fn send_one(ctx: &Context, job: &MailJob) -> Result<String, Failure> {
    let message = compose(ctx, job)
        .await
        .map_err(|e| Failure::Permanent(format!("{e:#}")))?;
    match ctx.mail.send(&message).await {
        Ok(receipt) => Ok(receipt.message_id),
        Err(SendError::Transient(e)) => Err(Failure::Temporary(e)),
        Err(SendError::Permanent(e)) => Err(Failure::Permanent(e)),
    }
}

async fn compose(ctx: &Context, job: &MailJob) -> anyhow::Result<lettre::Message> {
    anyhow::ensure!(job.kind == "badge", "unknown mail kind '{}'", job.kind);
    let attendee = ctx
        .store
        .attendees()
        .attendee(job.attendee_id)
        .await?
        .context("attendee no longer exists")?;
    let event = ctx
        .store
        .events()
        .event_by_id(attendee.event_id)
        .await?
        .context("event no longer exists")?;
    let to = Email::parse(&attendee.email).map_err(|e| anyhow::anyhow!("stored email {e}"))?;
    // Rendering checks the image decodes back to the token; a bad image is never sent.
    let png = qr::render_png(&attendee.token)?;
    let badge_url = format!("{}/b/{}", ctx.settings.public_url, attendee.token);
    let manage_url = format!(
        "{}/me/{}",
        ctx.settings.public_url,
        ctx.edm.manage_links.issue(attendee.id, Timestamp::now())
    );
    let first_name = crate::domain::attendee::first_name(&attendee.name);
    let dates = event.info.dates();
    let email = BadgeEmail {
        to: &to,
        to_name: &attendee.name,
        first_name,
        company: &attendee.answers.company,
        event_name: &event.info.name,
        event_venue: &event.info.venue,
        event_dates: &dates,
        badge_url: &badge_url,
        manage_url: &manage_url,
        qr_png: &png,
    };
    Ok(compose_badge_email(&ctx.settings.mail.from, &email)?)
}
