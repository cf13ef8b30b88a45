//! Opens and clicks of follow-up emails.

use jiff::Timestamp;

use super::Campaigns;
use crate::store::{StoreResult, in_tx, on_pool};

/// Opens and clicks of one attendee across campaigns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Engagement {
    pub opens: i64,
    pub clicks: i64,
}

impl Campaigns<'_> {
    /// Records an open (the pixel loaded) or a click (`url` followed) of a ledger row. A click
    /// counts as an open too. Unknown rows, and rows of erased people (an old email opened
    /// again), are ignored.
    pub async fn record_engagement(
        self,
        send_id: i64,
        url: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let now = now.as_millisecond();
        let kind = if url.is_some() { "click" } else { "open" };
        in_tx!(self, tx => {
            let inserted = sqlx::query(
                "INSERT INTO campaign_engagements (send_id, campaign_id, attendee_id, kind, url, at)
                 SELECT s.id, s.campaign_id, s.attendee_id, $2, $3, $4 FROM campaign_sends s
                 JOIN attendees a ON a.id = s.attendee_id
                 WHERE s.id = $1 AND a.erased_at IS NULL",
            )
            .bind(send_id)
            .bind(kind)
            .bind(url)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                sqlx::query(
                    "UPDATE campaign_sends SET opened_at = COALESCE(opened_at, $2),
                       clicked_at = CASE WHEN $3 THEN COALESCE(clicked_at, $2) ELSE clicked_at END
                     WHERE id = $1",
                )
                .bind(send_id)
                .bind(now)
                .bind(url.is_some())
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// An attendee's opens and clicks of follow-up emails, for their lead.
    pub async fn attendee_engagement(self, attendee_id: i64) -> StoreResult<Engagement> {
        let (opens, clicks): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'open' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN kind = 'click' THEN 1 ELSE 0 END), 0)
             FROM campaign_engagements WHERE attendee_id = $1",
        )
        .bind(attendee_id)
        .fetch_one(p)
        .await)?;
        Ok(Engagement { opens, clicks })
    }
}
