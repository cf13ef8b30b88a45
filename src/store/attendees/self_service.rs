//! Changes attendees make to their own registration through their signed link, and the
//! badge email they can ask for again by address.

use jiff::Timestamp;

use super::Attendees;
use crate::domain::attendee::{CONSENT_WORDING, Registration};
use crate::store::{
    StoreError, StoreResult,
    attendees::records::{BADGE_MAIL_RESEND_MS, QUEUE_BADGE_MAIL},
    in_tx,
};

/// Where a consent change recorded through the attendee's own link comes from.
pub const SELF_SERVICE_SOURCE: &str = "attendee";

impl Attendees<'_> {
    /// Queues the badge email again unless one was queued for this attendee within the
    /// last hour. Returns whether one was queued.
    pub async fn resend_badge_mail(self, attendee_id: i64, now: Timestamp) -> StoreResult<bool> {
        let now = now.as_millisecond();
        let queued = in_tx!(self, tx => {
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(created_at) FROM mail_queue WHERE attendee_id = $1 AND kind = 'badge'",
            )
            .bind(attendee_id)
            .fetch_one(&mut *tx)
            .await?;
            let due = last.is_none_or(|at| now - at >= BADGE_MAIL_RESEND_MS);
            if due {
                sqlx::query(QUEUE_BADGE_MAIL)
                    .bind(attendee_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            due
        });
        Ok(queued)
    }

    /// Replaces the attendee's answers (everything but the address and the consent, which
    /// have their own ways to change) and their declared interests.
    pub async fn update_answers(
        self,
        attendee_id: i64,
        reg: &Registration,
        now: Timestamp,
    ) -> StoreResult<()> {
        let now = now.as_millisecond();
        in_tx!(self, tx => {
            let event_id: i64 = sqlx::query_scalar(
                "UPDATE attendees SET name = $2, company = $3, job_title = $4, decision_role = $5,
                   purchase_stage = $6, industry = $7, company_size = $8, country = $9, phone = $10,
                   updated_at = $11
                 WHERE id = $1 RETURNING event_id",
            )
            .bind(attendee_id)
            .bind(&reg.name)
            .bind(&reg.company)
            .bind(&reg.job_title)
            .bind(reg.decision_role.key())
            .bind(reg.purchase_stage.key())
            .bind(reg.industry.key())
            .bind(reg.company_size.key())
            .bind(&reg.country)
            .bind(reg.phone.as_deref())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("attendee"))?;
            sqlx::query("DELETE FROM attendee_interests WHERE attendee_id = $1")
                .bind(attendee_id)
                .execute(&mut *tx)
                .await?;
            for slug in &reg.interests {
                let inserted = sqlx::query(
                    "INSERT INTO attendee_interests (attendee_id, topic_id)
                     SELECT $1, id FROM topics WHERE event_id = $2 AND slug = $3",
                )
                .bind(attendee_id)
                .bind(event_id)
                .bind(slug)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() != 1 {
                    return Err(StoreError::Conflict(format!(
                        "'{slug}' is not a topic of this event"
                    )));
                }
            }
        });
        Ok(())
    }

    /// Grants or withdraws marketing consent with a ledger row holding the wording shown.
    /// Returns whether anything changed (the same answer twice records nothing).
    pub async fn set_marketing_consent(
        self,
        attendee_id: i64,
        granted: bool,
        source: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let now = now.as_millisecond();
        let changed = in_tx!(self, tx => {
            let updated = sqlx::query(
                "UPDATE attendees SET marketing_consent = $2, updated_at = $3
                 WHERE id = $1 AND marketing_consent <> $2",
            )
            .bind(attendee_id)
            .bind(granted)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let changed = updated.rows_affected() == 1;
            if changed {
                sqlx::query(
                    "INSERT INTO consents (attendee_id, granted, source, wording, at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(attendee_id)
                .bind(granted)
                .bind(source)
                .bind(CONSENT_WORDING)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            changed
        });
        Ok(changed)
    }
}
