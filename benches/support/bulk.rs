//! Synthetic registrations as the bulk loader writes them, with their declared interests.

use std::collections::HashMap;

use badgetrail::{context::Context, domain::attendee::RegistrationInput, store::BulkAttendee};

/// The event's topic ids by slug.
pub async fn topic_ids(ctx: &Context, event_id: i64) -> anyhow::Result<HashMap<String, i64>> {
    Ok(ctx
        .store
        .leads()
        .lead_topics(event_id)
        .await?
        .into_iter()
        .map(|(id, slug, _)| (slug, id))
        .collect())
}

/// A synthetic registration under `email`, its answers checked and its interests as ids.
pub fn attendee(
    email: String,
    r: &RegistrationInput,
    topic_ids: &HashMap<String, i64>,
) -> BulkAttendee {
    BulkAttendee {
        email,
        name: r.name.clone(),
        answers: r.answers.check().expect("synthetic answers are valid"),
        marketing_consent: r.marketing_consent,
        interests: r
            .interests
            .iter()
            .filter_map(|t| topic_ids.get(t).copied())
            .collect(),
    }
}
