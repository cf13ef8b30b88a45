//! Do-not-mail state: unsubscribes, bounces and complaints.

use jiff::Timestamp;

use super::Campaigns;
use crate::store::{StoreResult, in_tx, on_pool};

/// The wording kept in the consent history when someone unsubscribes from a follow-up email.
pub const UNSUBSCRIBE_WORDING: &str =
    "Unsubscribed from marketing email through the link in a follow-up email.";

/// A bounce or complaint as read from a report.
#[derive(Debug, Clone)]
pub struct BounceReport<'a> {
    pub email: &'a str,
    /// `hard`, `soft` or `complaint`.
    pub kind: &'a str,
    pub status: &'a str,
    pub detail: &'a str,
    /// The Message-ID the report is about, when it named one.
    pub message_id: Option<&'a str>,
}

/// What recording a bounce did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BounceOutcome {
    /// The address is suppressed now (it may have been before).
    pub suppressed: bool,
    /// The report matched a message of ours.
    pub matched_send: bool,
}

impl Campaigns<'_> {
    /// Unsubscribes the address of a ledger row, for good and at once: a suppression, a
    /// withdrawn consent appended for every attendee with that address, and the unsubscribe
    /// noted on the row, in one transaction. Repeating it changes nothing more. Returns the
    /// address, or `None` when the row does not exist.
    pub async fn unsubscribe_send(
        self,
        send_id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<String>> {
        let now = now.as_millisecond();
        let email = in_tx!(self, tx => {
            let row: Option<(i64, i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT campaign_id, attendee_id, email, unsubscribed_at FROM campaign_sends WHERE id = $1",
            )
            .bind(send_id)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                None => None,
                Some((campaign_id, attendee_id, email, already)) => {
                    sqlx::query(
                        "INSERT INTO suppressions (email, reason, detail, at) VALUES ($1, 'unsubscribed', $2, $3)
                         ON CONFLICT (email, reason) DO NOTHING",
                    )
                    .bind(&email)
                    .bind(format!("campaign {campaign_id}"))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    // Withdraw consent where it stands granted, so the history says what happened.
                    sqlx::query(
                        "INSERT INTO consents (attendee_id, granted, source, wording, at)
                         SELECT a.id, $2, 'unsubscribe', $3, $4 FROM attendees a
                         WHERE a.email = $1 AND COALESCE((SELECT c.granted FROM consents c
                           WHERE c.attendee_id = a.id ORDER BY c.id DESC LIMIT 1), $5) = $5",
                    )
                    .bind(&email)
                    .bind(false)
                    .bind(UNSUBSCRIBE_WORDING)
                    .bind(now)
                    .bind(true)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE attendees SET marketing_consent = $2, updated_at = $3 WHERE email = $1")
                        .bind(&email)
                        .bind(false)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    if already.is_none() {
                        sqlx::query("UPDATE campaign_sends SET unsubscribed_at = $2 WHERE id = $1")
                            .bind(send_id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(
                            "INSERT INTO campaign_engagements (send_id, campaign_id, attendee_id, kind, at)
                             VALUES ($1, $2, $3, 'unsubscribe', $4)",
                        )
                        .bind(send_id)
                        .bind(campaign_id)
                        .bind(attendee_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Some(email)
                }
            }
        });
        Ok(email)
    }

    /// Records one bounced or complaining recipient. Hard bounces and complaints suppress the
    /// address at once; soft bounces do once `soft_limit` of them fall within `soft_window_ms`.
    pub async fn record_bounce(
        self,
        report: &BounceReport<'_>,
        soft_limit: i64,
        soft_window_ms: i64,
        now: Timestamp,
    ) -> StoreResult<BounceOutcome> {
        let now = now.as_millisecond();
        let outcome = in_tx!(self, tx => {
            let send_id: Option<i64> = match report.message_id {
                Some(mid) => sqlx::query_scalar(
                    "SELECT id FROM campaign_sends WHERE message_id = $1 AND email = $2",
                )
                .bind(mid)
                .bind(report.email)
                .fetch_optional(&mut *tx)
                .await?,
                None => None,
            };
            sqlx::query(
                "INSERT INTO bounces (email, kind, status, detail, send_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(report.email)
            .bind(report.kind)
            .bind(report.status)
            .bind(report.detail)
            .bind(send_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(id) = send_id {
                sqlx::query("UPDATE campaign_sends SET bounced_at = COALESCE(bounced_at, $2) WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            let reason = match report.kind {
                "hard" => Some("hard_bounce"),
                "complaint" => Some("complaint"),
                _ => {
                    let recent: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM bounces WHERE email = $1 AND kind = 'soft' AND at > $2",
                    )
                    .bind(report.email)
                    .bind(now - soft_window_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    (recent >= soft_limit).then_some("soft_bounces")
                }
            };
            if let Some(reason) = reason {
                sqlx::query(
                    "INSERT INTO suppressions (email, reason, detail, at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (email, reason) DO NOTHING",
                )
                .bind(report.email)
                .bind(reason)
                .bind(format!("{} {}", report.status, report.detail).trim().to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            BounceOutcome { suppressed: reason.is_some(), matched_send: send_id.is_some() }
        });
        Ok(outcome)
    }

    /// The reasons an address is suppressed for, if any.
    pub async fn suppressions_of(self, email: &str) -> StoreResult<Vec<String>> {
        let rows = on_pool!(self, p => sqlx::query_scalar(
            "SELECT reason FROM suppressions WHERE email = $1 ORDER BY reason",
        )
        .bind(email)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
