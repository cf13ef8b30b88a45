//! The optional outcome webhook: each outcome sales record on a lead is posted as JSON to
//! `leads.outcome_webhook_url`, signed and retried exactly like the lead webhook, so a CRM can
//! be kept in step.

use std::sync::{Arc, atomic::AtomicUsize};

use jiff::Timestamp;
use secrecy::ExposeSecret;
use serde::Serialize;

use super::{client, post_one};
use crate::leads::{LeadSettings, feedback::Recorded};

/// The body of one outcome request. It carries no more about the person than their
/// attendee id: a receiver matches it with the lead it got from the lead webhook or an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutcomeRecorded {
    /// Event slug.
    pub event: String,
    pub attendee_id: i64,
    /// The feedback row's id: the same outcome posted twice (a retry) has the same id.
    pub feedback_id: i64,
    /// Outcome key: a `domain::leads::package::Outcome` or one the event's playbook adds.
    pub outcome: String,
    pub outcome_label: String,
    pub note: String,
    /// What the playbook says happens next (docs/formats.md, "Playbook"): `sales`,
    /// `nurture` or `nobody`.
    pub next_owner: &'static str,
    /// From when to reach the person again, RFC 3339; `null`: never.
    pub next_at: Option<String>,
    /// Whether follow-up email may still reach them.
    pub email_allowed: bool,
    /// Login name of whoever recorded it.
    pub recorded_by: String,
    /// RFC 3339, UTC, to the millisecond as stored.
    pub at: String,
}

impl OutcomeRecorded {
    pub fn new(
        event: &str,
        recorded: &Recorded,
        note: &str,
        recorded_by: &str,
        at: Timestamp,
    ) -> OutcomeRecorded {
        let at = Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at);
        OutcomeRecorded {
            event: event.to_owned(),
            attendee_id: recorded.attendee_id,
            feedback_id: recorded.id,
            outcome: recorded.outcome.key.clone(),
            outcome_label: recorded.outcome.label.clone(),
            note: note.to_owned(),
            next_owner: recorded.next.owner.key(),
            next_at: recorded.next.due_at.map(|t| t.to_string()),
            email_allowed: recorded.next.email,
            recorded_by: recorded_by.to_owned(),
            at: at.to_string(),
        }
    }
}

/// Posts one outcome (3 attempts on network errors and 5xx, like the lead webhook); whether
/// the receiver took it. Failures are logged without personal data, never raised.
pub async fn post(settings: &LeadSettings, url: &str, outcome: &OutcomeRecorded) -> bool {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            tracing::error!("outcome webhook: leads.outcome_webhook_url is not an http(s) URL");
            return false;
        }
    }
    let client = match client(settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "outcome webhook: no HTTP client");
            return false;
        }
    };
    let body = match serde_json::to_vec(outcome) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "outcome webhook: body not written");
            return false;
        }
    };
    let secret = settings
        .webhook_secret
        .as_ref()
        .map(|s| s.expose_secret().as_bytes().to_vec());
    post_one(
        client,
        url.to_owned(),
        secret,
        body,
        outcome.attendee_id,
        Arc::new(AtomicUsize::new(0)),
    )
    .await
}

/// Posts in a task of its own, so recording an outcome never waits for a CRM; nothing when
/// no `leads.outcome_webhook_url` is set. The handle says whether the receiver took it.
pub fn spawn(
    settings: &LeadSettings,
    outcome: OutcomeRecorded,
) -> Option<tokio::task::JoinHandle<bool>> {
    let url = settings.outcome_webhook_url.clone()?;
    let settings = settings.clone();
    Some(tokio::spawn(async move {
        let ok = post(&settings, &url, &outcome).await;
        if ok {
            tracing::info!(
                attendee = outcome.attendee_id,
                feedback = outcome.feedback_id,
                "outcome webhook posted"
            );
        }
        ok
    }))
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::domain::leads::playbook::Playbook;

    #[test]
    fn the_body_names_the_outcome_its_next_action_and_when_to_the_millisecond() {
        let at: Timestamp = "2026-05-19T07:30:00.123456Z".parse().unwrap();
        let book = Playbook::default();
        let recorded = Recorded {
            id: 4,
            attendee_id: 17,
            outcome: book.outcome("meeting_booked").unwrap(),
            next: book.next_action("meeting_booked", at, &TimeZone::UTC),
        };
        let body = OutcomeRecorded::new("summit", &recorded, "Tue 10:00", "sally", at);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "event": "summit", "attendee_id": 17, "feedback_id": 4,
                "outcome": "meeting_booked", "outcome_label": "Meeting booked",
                "note": "Tue 10:00", "next_owner": "sales",
                "next_at": "2026-05-26T07:30:00.123456Z", "email_allowed": false,
                "recorded_by": "sally", "at": "2026-05-19T07:30:00.123Z"
            })
        );
    }
}
