//! Erasure: one attendee's personal data removed everywhere, in one transaction, plus the
//! copies of their email in the file outbox.

use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;

use crate::{
    context::Context,
    store::{ErasureCounts, ErasureInput, StoreError},
};

/// Who asked for an erasure. The log says which kind; staff log their own actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureRequester {
    /// The person themselves, through their own pages.
    Attendee,
    /// A staff member (login name), on the person's request.
    Staff(String),
    /// The event's retention period ended.
    Retention,
}

impl ErasureRequester {
    /// `attendee`, `staff` or `retention`.
    pub fn kind(&self) -> &'static str {
        match self {
            ErasureRequester::Attendee => "attendee",
            ErasureRequester::Staff(_) => "staff",
            ErasureRequester::Retention => "retention",
        }
    }
}

/// What an erasure removed, in counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    pub attendee_id: i64,
    /// The attendee had been erased before: nothing more was changed.
    pub already_erased: bool,
    #[serde(flatten)]
    pub removed: ErasureCounts,
    /// Messages to the person deleted from the file outbox.
    pub outbox_files: u64,
}

/// Erases the attendee's personal data (see `Attendees::erase_attendee` for what is kept and
/// why), then deletes the copies of their email from the file outbox. Erasing an erased
/// attendee again reports `already_erased` and changes nothing.
pub async fn erase_attendee(
    ctx: &Context,
    attendee_id: i64,
    now: Timestamp,
    requested_by: ErasureRequester,
) -> anyhow::Result<ErasureReport> {
    let (mut report, email) = erase_in_store(ctx, attendee_id, now).await?;
    if let Some(email) = email {
        report.outbox_files = sweep_outbox(ctx, vec![email]).await?;
    }
    log(&report, &requested_by);
    Ok(report)
}

/// The database part of an erasure; returns the address it removed (for the outbox).
pub(super) async fn erase_in_store(
    ctx: &Context,
    attendee_id: i64,
    now: Timestamp,
) -> anyhow::Result<(ErasureReport, Option<String>)> {
    let hasher = ctx.edm.addresses.clone();
    let hash = move |email: &str| hasher.hash(email);
    let erased = ctx
        .store
        .attendees()
        .erase_attendee(&ErasureInput {
            attendee_id,
            visitor: visitor_number(),
            hash: &hash,
            now,
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => anyhow::anyhow!("no attendee {attendee_id}"),
            other => anyhow::Error::from(other).context("erasing an attendee"),
        })?;
    let report = ErasureReport {
        attendee_id,
        already_erased: erased.email.is_none(),
        removed: erased.counts,
        outbox_files: 0,
    };
    Ok((report, erased.email))
}

/// Deletes the outbox files that mention any of `addresses`.
pub(super) async fn sweep_outbox(ctx: &Context, addresses: Vec<String>) -> anyhow::Result<u64> {
    let dir = ctx.settings.mail.outbox_dir.clone();
    let shown = dir.display().to_string();
    tokio::task::spawn_blocking(move || super::outbox::sweep(&dir, &addresses))
        .await
        .context("the outbox sweep stopped")?
        .with_context(|| format!("deleting erased people's email from {shown}"))
}

pub(super) fn log(report: &ErasureReport, requested_by: &ErasureRequester) {
    let r = &report.removed;
    tracing::info!(
        attendee = report.attendee_id,
        requested_by = requested_by.kind(),
        already_erased = report.already_erased,
        scans = r.scans_anonymised,
        leads = r.leads,
        campaign_sends = r.campaign_sends_anonymised,
        badge_emails = r.badge_emails,
        outbox_files = report.outbox_files,
        "personal data erased"
    );
}

/// A random positive number to stand in for the person on their scans.
fn visitor_number() -> i64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS has no randomness");
    (i64::from_be_bytes(bytes) & i64::MAX).max(1)
}
