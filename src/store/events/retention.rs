//! Each event's retention periods, and the people whose time is up.

use super::Events;
use crate::domain::retention::RetentionPolicy;
use crate::store::{StoreResult, on_pool, on_writer};

impl Events<'_> {
    /// The event's retention periods (the documented defaults until someone sets them).
    pub async fn event_retention(self, event_id: i64) -> StoreResult<RetentionPolicy> {
        let (days_consented, days_other): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT retain_days_consented, retain_days_other FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?
        .ok_or(crate::store::StoreError::NotFound("event"))?;
        Ok(RetentionPolicy {
            days_consented,
            days_other,
        })
    }

    pub async fn set_event_retention(
        self,
        event_id: i64,
        policy: RetentionPolicy,
    ) -> StoreResult<()> {
        let changed = on_writer!(self, p => sqlx::query(
            "UPDATE events SET retain_days_consented = $2, retain_days_other = $3 WHERE id = $1",
        )
        .bind(event_id)
        .bind(policy.days_consented)
        .bind(policy.days_other)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(crate::store::StoreError::NotFound("event"));
        }
        Ok(())
    }

    /// Ids of the event's people not yet erased, who did (`consented`) or did not agree to
    /// marketing email, in id order.
    pub async fn unerased_attendees(self, event_id: i64, consented: bool) -> StoreResult<Vec<i64>> {
        let rows = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM attendees
             WHERE event_id = $1 AND erased_at IS NULL AND marketing_consent = $2 ORDER BY id",
        )
        .bind(event_id)
        .bind(consented)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
