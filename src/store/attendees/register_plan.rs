//! What recording one registration writes, worked out from what is stored for its address
//! and what was submitted: pure, no database.

use std::collections::HashMap;

use super::records::{BADGE_MAIL_RESEND_MS, OnExisting, RegisterOptions};
use crate::store::{StoreError, StoreResult};

/// What is stored for a registration's address before the registration is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub attendee_id: i64,
    pub marketing_consent: bool,
}

/// The attendee a registration leaves as stored: an address already registered, when
/// registrations keep what is stored. `None`: the registration is recorded.
pub fn kept(stored: Option<Stored>, existing: OnExisting) -> Option<i64> {
    match (stored, existing) {
        (Some(s), OnExisting::Keep) => Some(s.attendee_id),
        _ => None,
    }
}

/// Whether a kept registration queues the badge email again: only when badge emails are
/// sent, and at most once per [`BADGE_MAIL_RESEND_MS`] after the last one (`last_mail`,
/// unix ms) was queued.
pub fn resends_badge_mail(send_badge_mail: bool, last_mail: Option<i64>, now: i64) -> bool {
    let due = last_mail.is_none_or(|at| now - at >= BADGE_MAIL_RESEND_MS);
    send_badge_mail && due
}

/// The topic id of each interest, in order, from the event's topics by slug; an interest
/// the event has no topic for refuses the registration.
pub fn interest_topic_ids(
    interests: &[String],
    topics: &HashMap<String, i64>,
) -> StoreResult<Vec<i64>> {
    interests
        .iter()
        .map(|slug| {
            topics.get(slug).copied().ok_or_else(|| {
                StoreError::Conflict(format!("'{slug}' is not a topic of this event"))
            })
        })
        .collect()
}

/// Whether recording the registration appends a consent change: a new attendee who
/// consents, or a stored one whose consent differs from the one submitted.
pub fn consent_changed(stored: Option<Stored>, granted: bool) -> bool {
    match stored {
        None => granted,
        Some(s) => s.marketing_consent != granted,
    }
}

/// Whether a recorded registration queues the badge email to `email`.
pub fn mails_badge(options: &RegisterOptions<'_>, email: &str) -> bool {
    options.send_badge_mail && !options.no_badge_mail.contains(email)
}

#[cfg(test)]
#[path = "register_plan_tests.rs"]
mod tests;
