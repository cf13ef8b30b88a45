//! The dashboard's counts of one event, each family one grouped statement that starts from
//! an index, so an event of 100,000 people and 2,000,000 scans costs what its recent minutes
//! and its people hold, never a pass over every scan.
//!
//! Indexes used: `attendees_event_id` (registered), `scans_accepted` probed once per person
//! (checked in), `scans_erased_visitor` (checked in, erased people: migration 0017),
//! `scans_event_scanned` (the last minutes' scans), `campaign_sends_due` (campaign progress)
//! and `lead_feedback_next` (follow-ups due). Tier and overdue counts are
//! `Leads::event_lead_counts`; people in rooms come from the live page's reads.

use sqlx::FromRow;

use super::{Pool, Store, StoreError, StoreResult, leads::feedback::LATEST_DUE, on_pool};
use crate::{
    domain::{
        campaigns::campaign::CampaignState,
        dashboard::{CampaignInFlight, Decision, MinuteCount},
    },
    store::Attendance,
};

/// The store's handle on the live dashboard: `store.dashboard()`.
#[derive(Clone, Copy)]
pub struct Dashboard<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn dashboard(&self) -> Dashboard<'_> {
        Dashboard { pool: &self.pool }
    }
}

#[derive(FromRow)]
struct MinuteRow {
    minute: i64,
    decision: Decision,
    n: i64,
}

#[derive(FromRow)]
struct CampaignRow {
    slug: String,
    name: String,
    state: CampaignState,
    send_state: Option<String>,
    n: i64,
}

impl Dashboard<'_> {
    /// How many people registered for an event and how many were scanned in (at least one
    /// accepted scan), erased people included, as `Leads::event_attendance` counts them; but
    /// by probing each person's accepted scans rather than reading all the event's scans.
    pub async fn dashboard_attendance(self, event_id: i64) -> StoreResult<Attendance> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT
                 (SELECT COUNT(*) FROM attendees WHERE event_id = $1) AS registered,
                 (SELECT COUNT(*) FROM attendees a WHERE a.event_id = $1 AND EXISTS (
                      SELECT 1 FROM scans s
                      WHERE s.attendee_id = a.id AND s.decision = 'accepted'))
                 + (SELECT COUNT(DISTINCT visitor) FROM scans
                    WHERE event_id = $1 AND visitor IS NOT NULL AND decision = 'accepted')
                     AS checked_in",
        )
        .bind(event_id)
        .fetch_one(p)
        .await)?;
        Ok(row)
    }

    /// The event's scans with a scan time in `(after_ms, to_ms]`, counted per minute from
    /// `after_ms` (minute 0 the oldest) and decision.
    pub async fn dashboard_scan_minutes(
        self,
        event_id: i64,
        after_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<MinuteCount>> {
        let rows: Vec<MinuteRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT CAST((scanned_at - $2 - 1) / 60000 AS BIGINT) AS minute, decision,
                    COUNT(*) AS n
             FROM scans WHERE event_id = $1 AND scanned_at > $2 AND scanned_at <= $3
             GROUP BY 1, 2",
        )
        .bind(event_id)
        .bind(after_ms)
        .bind(to_ms)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(MinuteCount {
                    minute: r.minute,
                    decision: r.decision,
                    scans: r.n.max(0) as u64,
                })
            })
            .collect()
    }

    /// The event's campaigns that are sending or paused, oldest first, with their ledger
    /// counts.
    pub async fn campaigns_in_flight(self, event_id: i64) -> StoreResult<Vec<CampaignInFlight>> {
        let rows: Vec<CampaignRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.slug, c.name, c.state, s.state AS send_state, COUNT(s.campaign_id) AS n
             FROM campaigns c
             LEFT JOIN campaign_sends s ON s.campaign_id = c.id
             WHERE c.event_id = $1 AND c.state IN ('sending', 'paused')
             GROUP BY c.id, c.slug, c.name, c.state, s.state
             ORDER BY c.id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        let mut campaigns: Vec<CampaignInFlight> = Vec::new();
        for r in rows {
            if campaigns.last().is_none_or(|c| c.slug != r.slug) {
                campaigns.push(CampaignInFlight {
                    state: r.state,
                    slug: r.slug.clone(),
                    name: r.name.clone(),
                    sent: 0,
                    waiting: 0,
                    not_sent: 0,
                });
            }
            let Some(c) = campaigns.last_mut() else {
                continue;
            };
            let n = r.n.max(0) as u64;
            match r.send_state.as_deref() {
                None => {}
                Some("sent") => c.sent += n,
                Some("queued" | "sending") => c.waiting += n,
                Some("failed" | "skipped" | "cancelled") => c.not_sent += n,
                Some(other) => return Err(StoreError::Corrupt(format!("send state '{other}'"))),
            }
        }
        Ok(campaigns)
    }

    /// How many people of the event the due list shows at `until_ms` for admins and
    /// marketers (`Leads::due_follow_ups` with `DueFor::Everyone`).
    pub async fn due_follow_up_count(self, event_id: i64, until_ms: i64) -> StoreResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM lead_feedback f
             JOIN attendees a ON a.id = f.attendee_id
             WHERE {LATEST_DUE} AND f.event_id = $2"
        );
        let n = on_pool!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(until_ms)
            .bind(event_id)
            .fetch_one(p)
            .await)?;
        Ok(n)
    }
}
