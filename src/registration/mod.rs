//! Registration: checked answers become an attendee with a signed badge and a queued badge email.

mod group_commit;

pub use group_commit::RegistrationWriter;

use std::collections::HashSet;

use jiff::Timestamp;

use crate::{
    context::Context,
    domain::attendee::{FieldErrors, Registration, RegistrationInput},
    store::{EventRecord, OnExisting, RegisterOptions, RegistrationOutcome},
};

/// Where registrations come from, recorded with the attendee and their consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Web,
    Import,
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Import => "import",
            Source::Demo => "demo",
        }
    }

    /// The public form cannot prove who is typing, so it never changes a registration;
    /// organisers' imports and the demo state their data and replace it.
    pub fn on_existing(self) -> OnExisting {
        match self {
            Source::Web => OnExisting::Keep,
            Source::Import | Source::Demo => OnExisting::Update,
        }
    }
}

/// Why a registration was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Checks and records one registration through the group-commit writer. Registering again
/// with the same email changes nothing stored; the badge email goes out again, to that
/// address only, at most once an hour.
pub async fn register(
    ctx: &Context,
    writer: &RegistrationWriter,
    event: &EventRecord,
    input: &RegistrationInput,
    source: Source,
) -> Result<RegistrationOutcome, RegisterError> {
    let topics = ctx
        .store
        .events()
        .event_topics(event.id)
        .await
        .map_err(anyhow::Error::from)?;
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let reg = Registration::parse(input, &known).map_err(RegisterError::Invalid)?;
    Ok(writer.submit(event, reg, source).await?)
}

/// Records already checked registrations in one transaction (all or nothing).
pub async fn record(
    ctx: &Context,
    event: &EventRecord,
    registrations: &[Registration],
    source: Source,
    send_badge_mail: bool,
    now: Timestamp,
) -> anyhow::Result<Vec<RegistrationOutcome>> {
    let keys = ctx.badges.keys_for(event.id, now).await?;
    let forgotten = if send_badge_mail && source == Source::Import {
        erased_addresses(ctx, registrations).await?
    } else {
        HashSet::new()
    };
    if !forgotten.is_empty() {
        tracing::warn!(
            count = forgotten.len(),
            "imported people who had asked to be erased get no badge email"
        );
    }
    let outcomes = ctx
        .store
        .attendees()
        .register_attendees(
            event.id,
            registrations,
            RegisterOptions {
                source: source.as_str(),
                send_badge_mail,
                existing: source.on_existing(),
                no_badge_mail: &forgotten,
            },
            now,
            &|attendee_id, serial| keys.sign(attendee_id, serial),
        )
        .await?;
    // The registrations are stored whatever happens here; a failure is resolved later.
    let ids: Vec<i64> = outcomes.iter().map(|o| o.attendee_id).collect();
    if let Err(e) = crate::pool::resolve_registrations(&ctx.store, &ids).await {
        tracing::warn!(error = %e, "registrations not yet resolved to people and companies");
    }
    for o in &outcomes {
        tracing::debug!(
            attendee_id = o.attendee_id,
            created = o.created,
            "registration recorded"
        );
    }
    tracing::info!(
        event = %event.info.slug,
        count = outcomes.len(),
        source = source.as_str(),
        "registrations recorded"
    );
    Ok(outcomes)
}

/// The addresses among `registrations` that belong to erased people (by their keyed hash).
/// An organiser's list may still hold someone who asked to be forgotten; the person is
/// registered as listed, but the system does not email them on its own.
async fn erased_addresses(
    ctx: &Context,
    registrations: &[Registration],
) -> anyhow::Result<HashSet<String>> {
    let erased: HashSet<String> = ctx
        .store
        .attendees()
        .erased_address_hashes()
        .await?
        .into_iter()
        .collect();
    if erased.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(registrations
        .iter()
        .map(|r| r.email.as_str())
        .filter(|e| erased.contains(&ctx.edm.addresses.hash(e)))
        .map(str::to_owned)
        .collect())
}

/// Replaces an attendee's badge: the old token stops working and the new one is emailed.
pub async fn reissue_badge(
    ctx: &Context,
    event: &EventRecord,
    attendee_id: i64,
    now: Timestamp,
) -> anyhow::Result<RegistrationOutcome> {
    let keys = ctx.badges.keys_for(event.id, now).await?;
    let outcome = ctx
        .store
        .attendees()
        .reissue_badge(attendee_id, now, &|a, s| keys.sign(a, s))
        .await?;
    tracing::info!(attendee_id, serial = outcome.serial, "badge re-issued");
    Ok(outcome)
}
