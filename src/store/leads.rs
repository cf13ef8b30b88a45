//! Leads as the lead builder stored them: one row per attendee of an event.

use jiff::Timestamp;
use sqlx::FromRow;

use super::{Store, StoreResult, in_tx, on_pool};

/// The part of a stored lead that later steps (follow-up email, reports) rely on.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct LeadSummary {
    pub attendee_id: i64,
    /// `A`, `B`, `C` or `X`.
    pub tier: String,
    /// Slug of the topic the attendee cared about most, if any.
    pub top_topic: Option<String>,
}

impl Store {
    /// Replaces every stored lead of an event with `leads`, in one transaction.
    pub async fn replace_event_leads(
        &self,
        event_id: i64,
        leads: &[LeadSummary],
        now: Timestamp,
    ) -> StoreResult<()> {
        let now = now.as_millisecond();
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM leads WHERE event_id = $1")
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
            for l in leads {
                sqlx::query(
                    "INSERT INTO leads (event_id, attendee_id, tier, top_topic, built_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(event_id)
                .bind(l.attendee_id)
                .bind(&l.tier)
                .bind(&l.top_topic)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// The stored leads of an event, by attendee id.
    pub async fn event_lead_summaries(&self, event_id: i64) -> StoreResult<Vec<LeadSummary>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, tier, top_topic FROM leads WHERE event_id = $1 ORDER BY attendee_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
