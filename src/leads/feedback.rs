//! Sales feedback: an outcome is checked against the event's playbook, which also decides
//! the next action stored with it; and restating stored next actions after the playbook
//! changed (with a dry run).

use jiff::Timestamp;

use crate::{
    context::Context,
    domain::leads::playbook::{NextAction, OutcomeChoice, Playbook},
    store::{EventRecord, FeedbackRecord, StoreError, ts},
};

/// Longest note kept with an outcome, in characters.
pub const NOTE_MAX: usize = 2_000;

/// Why feedback was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("Outcome: {0}.")]
    UnknownOutcome(String),
    #[error("The note is longer than {NOTE_MAX} characters.")]
    NoteTooLong,
    /// No such lead, or the lead is not the recorder's.
    #[error("lead not found")]
    NotTheirs,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// What was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The feedback row.
    pub id: i64,
    pub attendee_id: i64,
    pub outcome: OutcomeChoice,
    pub next: NextAction,
}

/// The event's playbook (its `playbook.toml`, or the defaults).
pub fn playbook(ctx: &Context, event: &EventRecord) -> anyhow::Result<Playbook> {
    super::files::load_playbook(
        &ctx.settings.leads.config_dir,
        event.info.slug.as_str(),
        None,
    )
}

/// Records `outcome` (a key or a label of the playbook's) on a lead on behalf of its owner.
pub async fn record(
    ctx: &Context,
    event: &EventRecord,
    attendee_id: i64,
    owner_id: i64,
    outcome: &str,
    note: &str,
    now: Timestamp,
) -> Result<Recorded, RecordError> {
    // Stored to the millisecond: the next action is counted from the time as stored.
    let now = Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
    let book = playbook(ctx, event)?;
    let outcome = book.outcome(outcome).map_err(RecordError::UnknownOutcome)?;
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(RecordError::NoteTooLong);
    }
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let next = book.next_action(&outcome.key, now, &tz);
    let id = ctx
        .store
        .leads()
        .record_lead_feedback(
            event.id,
            attendee_id,
            owner_id,
            &outcome.key,
            note,
            &next,
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => RecordError::NotTheirs,
            e => RecordError::Failed(e.into()),
        })?;
    Ok(Recorded {
        id,
        attendee_id,
        outcome,
        next,
    })
}

/// A lead whose latest outcome would get another next action under a playbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Restated {
    pub feedback: FeedbackRecord,
    pub next: NextAction,
}

/// What restating did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Restatement {
    /// Leads with feedback.
    pub leads: usize,
    pub changed: Vec<Restated>,
    pub dry_run: bool,
}

/// Gives the latest outcome of every lead of the event the next action `book` gives it,
/// counted from when the outcome was recorded; older outcomes are history and stay as they
/// were. With `dry_run`, stores nothing.
pub async fn restate(
    ctx: &Context,
    event: &EventRecord,
    book: &Playbook,
    dry_run: bool,
) -> anyhow::Result<Restatement> {
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let latest = ctx.store.leads().latest_lead_feedback(event.id).await?;
    let leads = latest.len();
    let changed: Vec<Restated> = latest
        .into_iter()
        .filter_map(|f| {
            let next = book.next_action(&f.outcome, ts(f.at), &tz);
            (next != f.next).then_some(Restated { feedback: f, next })
        })
        .collect();
    if !dry_run && !changed.is_empty() {
        let actions: Vec<(i64, NextAction)> = changed
            .iter()
            .map(|r| (r.feedback.id, r.next.clone()))
            .collect();
        ctx.store.leads().restate_next_actions(&actions).await?;
    }
    Ok(Restatement {
        leads,
        changed,
        dry_run,
    })
}
