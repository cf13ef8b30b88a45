//! The demo's sales feedback: the first routed leads get outcomes recorded by their owners
//! some weeks ago, one of each, so the due list, the package history, the report and the
//! follow-up email's exclusions show the loop closing. A lead that already has feedback (a
//! second demo run) is left alone.

use jiff::{SignedDuration, Timestamp};

use crate::{context::Context, domain::leads::package::Outcome, leads, store::EventRecord};

/// How many leads get an outcome: one per standard outcome.
const SAMPLE: usize = 7;

/// Records the sample outcomes; returns how many were recorded now.
pub async fn record(ctx: &Context, event: &EventRecord) -> anyhow::Result<usize> {
    let routed: Vec<(i64, i64)> = ctx
        .store
        .leads()
        .event_leads(event.id)
        .await?
        .into_iter()
        .filter_map(|r| r.lead.owner_id.map(|o| (r.lead.attendee_id, o)))
        .take(SAMPLE)
        .collect();
    let mut recorded = 0;
    for (i, ((attendee, owner), outcome)) in routed.into_iter().zip(Outcome::ALL).enumerate() {
        if !ctx
            .store
            .leads()
            .lead_feedback(event.id, attendee)
            .await?
            .is_empty()
        {
            continue;
        }
        // Two to eight weeks ago, so some next steps are due today and some are not.
        let weeks = 2 + i as i64;
        let at = Timestamp::now() - SignedDuration::from_hours(weeks * 7 * 24);
        let note = format!("Sample outcome recorded by the demo ({}).", outcome.label());
        leads::feedback::record(ctx, event, attendee, owner, outcome.key(), &note, at)
            .await
            .map_err(|e| anyhow::anyhow!("recording a sample outcome: {e}"))?;
        recorded += 1;
    }
    Ok(recorded)
}
