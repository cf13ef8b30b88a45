//! Reads that gather what is held about one attendee, for their data export.

use serde::Serialize;
use sqlx::FromRow;

use super::Attendees;
use crate::domain::{campaigns::campaign::Tier, dashboard::Decision, door::scan::Direction};
use crate::store::{StoreResult, on_pool, ts};

/// Serialises unix milliseconds as an RFC 3339 time.
fn time<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&ts(*ms))
}

fn maybe_time<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.collect_str(&ts(*ms)),
        None => s.serialize_none(),
    }
}

/// One door scan of the attendee, accepted or refused.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ScanExport {
    #[serde(serialize_with = "time")]
    pub scanned_at: i64,
    pub direction: Direction,
    pub decision: Decision,
    pub reason: Option<String>,
    pub room: Option<String>,
    pub session: Option<String>,
    pub door: String,
}

/// One transactional (badge) email.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct BadgeMailExport {
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub message_id: Option<String>,
    #[serde(serialize_with = "time")]
    pub created_at: i64,
    #[serde(serialize_with = "maybe_time")]
    pub sent_at: Option<i64>,
}

/// One follow-up email of a campaign, as the send ledger holds it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CampaignSendExport {
    pub campaign: String,
    pub campaign_name: String,
    pub email: String,
    pub topic: String,
    pub tier: Tier,
    pub state: String,
    pub message_id: Option<String>,
    #[serde(serialize_with = "time")]
    pub queued_at: i64,
    #[serde(serialize_with = "maybe_time")]
    pub sent_at: Option<i64>,
    #[serde(serialize_with = "maybe_time")]
    pub opened_at: Option<i64>,
    #[serde(serialize_with = "maybe_time")]
    pub clicked_at: Option<i64>,
    #[serde(serialize_with = "maybe_time")]
    pub unsubscribed_at: Option<i64>,
    #[serde(serialize_with = "maybe_time")]
    pub bounced_at: Option<i64>,
}

/// An open, click or unsubscribe of a follow-up email.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EngagementExport {
    pub campaign: String,
    pub kind: String,
    pub url: Option<String>,
    #[serde(serialize_with = "time")]
    pub at: i64,
}

/// What sales recorded after contacting the person.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct FeedbackExport {
    pub outcome: String,
    pub note: String,
    pub by: String,
    #[serde(serialize_with = "time")]
    pub at: i64,
}

impl Attendees<'_> {
    /// Every scan of the attendee's badges, in scan order.
    pub async fn export_scans(self, attendee_id: i64) -> StoreResult<Vec<ScanExport>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT s.scanned_at, s.direction, s.decision, s.reason, r.name AS room,
                    se.title AS session, d.name AS door
             FROM scans s
             JOIN devices d ON d.id = s.device_id
             LEFT JOIN rooms r ON r.id = s.room_id
             LEFT JOIN sessions se ON se.id = s.session_id
             WHERE s.attendee_id = $1 ORDER BY s.scanned_at, s.id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The attendee's badge emails, oldest first.
    pub async fn export_badge_mail(self, attendee_id: i64) -> StoreResult<Vec<BadgeMailExport>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT kind, state, attempts, message_id, created_at, sent_at FROM mail_queue
             WHERE attendee_id = $1 ORDER BY id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The attendee's rows of every campaign's send ledger, oldest first.
    pub async fn export_campaign_sends(
        self,
        attendee_id: i64,
    ) -> StoreResult<Vec<CampaignSendExport>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT c.slug AS campaign, c.name AS campaign_name, s.email, s.topic, s.tier, s.state,
                    s.message_id, s.queued_at, s.sent_at, s.opened_at, s.clicked_at,
                    s.unsubscribed_at, s.bounced_at
             FROM campaign_sends s JOIN campaigns c ON c.id = s.campaign_id
             WHERE s.attendee_id = $1 ORDER BY s.id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The attendee's opens, clicks and unsubscribes, oldest first.
    pub async fn export_engagements(self, attendee_id: i64) -> StoreResult<Vec<EngagementExport>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT c.slug AS campaign, e.kind, e.url, e.at
             FROM campaign_engagements e JOIN campaigns c ON c.id = e.campaign_id
             WHERE e.attendee_id = $1 ORDER BY e.id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Sales feedback on the attendee's lead, oldest first.
    pub async fn export_lead_feedback(self, attendee_id: i64) -> StoreResult<Vec<FeedbackExport>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT f.outcome, f.note, u.username AS by, f.at
             FROM lead_feedback f JOIN users u ON u.id = f.user_id
             WHERE f.attendee_id = $1 ORDER BY f.at, f.id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
