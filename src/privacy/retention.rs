//! Retention: each event keeps personal data for a set time after it ends (longer for people
//! who agreed to marketing email), then erases it.

use jiff::Timestamp;
use serde::Serialize;

use super::erase::{ErasureRequester, erase_in_store, log, sweep_outbox};
use crate::{
    context::Context,
    domain::retention::{RetentionPolicy, event_end},
};

/// One event's part of a retention run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionLine {
    pub event: String,
    pub policy: RetentionPolicy,
    /// When the event ended (midnight after its last day, in its time zone).
    pub ended_at: Timestamp,
    /// People who agreed to marketing email, erased (or to be erased in a dry run).
    pub consented: usize,
    /// Everyone else, erased (or to be erased).
    pub other: usize,
}

/// What a retention run did, or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionRun {
    pub dry_run: bool,
    /// Every event, whether or not anyone in it was due.
    pub events: Vec<RetentionLine>,
    pub erased: usize,
    /// Messages to erased people deleted from the file outbox.
    pub outbox_files: u64,
}

/// Erases everyone whose event's retention period has passed at `now`; with `dry_run`,
/// only counts them and changes nothing.
pub async fn run(ctx: &Context, now: Timestamp, dry_run: bool) -> anyhow::Result<RetentionRun> {
    let mut out = RetentionRun {
        dry_run,
        ..RetentionRun::default()
    };
    let mut addresses = Vec::new();
    for event in ctx.store.events().list_events().await? {
        let policy = ctx.store.events().event_retention(event.id).await?;
        let tz = event.info.tz().map_err(anyhow::Error::msg)?;
        let ended_at = event_end(event.info.ends_on, &tz);
        let due = policy.due(ended_at, now);
        let mut line = RetentionLine {
            event: event.info.slug.as_str().to_owned(),
            policy,
            ended_at,
            consented: 0,
            other: 0,
        };
        for (consented, is_due) in [(true, due.consented), (false, due.other)] {
            if !is_due {
                continue;
            }
            let ids = ctx
                .store
                .events()
                .unerased_attendees(event.id, consented)
                .await?;
            if consented {
                line.consented = ids.len();
            } else {
                line.other = ids.len();
            }
            if dry_run {
                continue;
            }
            for id in ids {
                let (report, email) = erase_in_store(ctx, id, now).await?;
                log(&report, &ErasureRequester::Retention);
                addresses.extend(email);
                out.erased += 1;
            }
        }
        out.events.push(line);
    }
    if !addresses.is_empty() {
        out.outbox_files = sweep_outbox(ctx, addresses).await?;
    }
    if !dry_run {
        tracing::info!(
            erased = out.erased,
            outbox_files = out.outbox_files,
            "retention run"
        );
    }
    Ok(out)
}
