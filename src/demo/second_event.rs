//! The demo's second event, a month after the first: some of the same people register
//! again, so the data pool shows one person across two events and the company pages show
//! the same companies coming back.

use jiff::{Timestamp, ToSpan};

use super::programme::{OPENING, cloud_summit_on};
use crate::{
    context::Context,
    domain::{attendee::Registration, attendee::RegistrationInput, slug::Slug},
    registration::{self, Source},
};

pub const SLUG: &str = "data-days-2026";

/// Every this many people of the first event come to the second too.
const RETURNING_EVERY: usize = 3;

/// Imports the event (once) and registers the returning people; returns how many.
pub async fn prepare(
    ctx: &Context,
    first_day: jiff::civil::Date,
    time_zone: &str,
    people: &[RegistrationInput],
) -> anyhow::Result<usize> {
    if ctx.store.events().event_by_slug(SLUG).await?.is_none() {
        let mut p = cloud_summit_on(first_day.checked_add(30.days())?, time_zone, OPENING);
        p.event.slug = Slug::parse(SLUG).map_err(anyhow::Error::msg)?;
        p.event.name = "Data Days 2026".into();
        ctx.store
            .events()
            .import_programme(&p, Timestamp::now())
            .await?;
    }
    let event = ctx
        .store
        .events()
        .event_by_slug(SLUG)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the second sample event vanished"))?;
    let topics: Vec<String> = ctx
        .store
        .events()
        .event_topics(event.id)
        .await?
        .into_iter()
        .map(|t| t.slug.to_string())
        .collect();
    let known: Vec<&str> = topics.iter().map(String::as_str).collect();
    let regs = people
        .iter()
        .step_by(RETURNING_EVERY)
        .map(|input| Registration::parse(input, &known).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Registered by the organiser's import; their badges for it are not emailed.
    let n = registration::record(ctx, &event, &regs, Source::Import, false, Timestamp::now())
        .await?
        .len();
    Ok(n)
}
