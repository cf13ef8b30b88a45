//! Sales feedback on leads: append-only rows, written only by the lead's owner.

use jiff::Timestamp;
use sqlx::FromRow;

use super::{Store, StoreError, StoreResult, on_pool, on_writer};

/// One recorded outcome, with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FeedbackRecord {
    pub id: i64,
    pub attendee_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// `domain::lead::Outcome` key.
    pub outcome: String,
    pub note: String,
    pub at: i64,
}

impl Store {
    /// Appends feedback to a lead on behalf of its owner. The ownership test is part of the
    /// insert, so a lead routed to someone else in the meantime is refused, not written:
    /// `NotFound` when the event has no such lead or `owner_id` does not own it.
    pub async fn record_lead_feedback(
        &self,
        event_id: i64,
        attendee_id: i64,
        owner_id: i64,
        outcome: &str,
        note: &str,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let id: Option<i64> = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO lead_feedback (event_id, attendee_id, user_id, outcome, note, at)
             SELECT l.event_id, l.attendee_id, $3, $4, $5, $6 FROM leads l
             WHERE l.event_id = $1 AND l.attendee_id = $2 AND l.owner_id = $3
             RETURNING id",
        )
        .bind(event_id)
        .bind(attendee_id)
        .bind(owner_id)
        .bind(outcome)
        .bind(note)
        .bind(now.as_millisecond())
        .fetch_optional(p)
        .await)?;
        id.ok_or(StoreError::NotFound("lead"))
    }

    /// Every feedback record of a lead, newest first.
    pub async fn lead_feedback(
        &self,
        event_id: i64,
        attendee_id: i64,
    ) -> StoreResult<Vec<FeedbackRecord>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT f.id, f.attendee_id, f.user_id, u.username, u.display_name, f.outcome,
                 f.note, f.at
             FROM lead_feedback f JOIN users u ON u.id = f.user_id
             WHERE f.event_id = $1 AND f.attendee_id = $2
             ORDER BY f.at DESC, f.id DESC",
        )
        .bind(event_id)
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
