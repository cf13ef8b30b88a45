//! The counts behind an event's lead report: leads grouped by tier, top topic, latest
//! feedback and funnel facts, plus registered and checked-in people; and the calibration's
//! counts (tier, topic, role, stage, latest outcome) for one event or every event.

use sqlx::FromRow;

use super::Leads;
use crate::domain::{
    attendee::{DecisionRole, PurchaseStage},
    choice::OrBlank,
    leads::calibration::{CalibrationCell, Latest},
    leads::package::{Outcome, Tier},
    leads::report::LeadCell,
};
use crate::store::{StoreResult, on_pool};

#[derive(FromRow)]
struct CellRow {
    tier: Tier,
    topic: String,
    outcome: Option<String>,
    checked_in: i64,
    engaged: i64,
    routed: i64,
    overdue: i64,
    n: i64,
}

#[derive(FromRow)]
struct CalibrationRow {
    tier: Tier,
    topic: String,
    #[sqlx(try_from = "OrBlank<DecisionRole>")]
    role: Option<DecisionRole>,
    #[sqlx(try_from = "OrBlank<PurchaseStage>")]
    stage: Option<PurchaseStage>,
    outcome: Option<String>,
    n: i64,
}

/// A topic's slug and name; across events the first name in alphabetical order stands for
/// all events that share the slug.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TopicName {
    pub slug: String,
    pub name: String,
}

/// Registered and checked-in people of an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct Attendance {
    pub registered: i64,
    /// People with at least one accepted scan.
    pub checked_in: i64,
}

impl Leads<'_> {
    /// The event's leads counted by every fact the report needs, one row per combination
    /// (a few hundred rows at most, whatever the number of leads).
    pub async fn lead_report_cells(self, event_id: i64, now_ms: i64) -> StoreResult<Vec<LeadCell>> {
        let rows: Vec<CellRow> = on_pool!(self, p => sqlx::query_as(
            "WITH latest AS (
                 SELECT attendee_id, outcome FROM (
                     SELECT attendee_id, outcome, ROW_NUMBER() OVER (
                         PARTITION BY attendee_id ORDER BY at DESC, id DESC) AS rn
                     FROM lead_feedback WHERE event_id = $1) ranked
                 WHERE rn = 1),
             checked AS (
                 SELECT DISTINCT attendee_id FROM scans
                 WHERE event_id = $1 AND decision = 'accepted' AND attendee_id IS NOT NULL),
             facts AS (
                 SELECT l.tier AS tier, COALESCE(l.top_topic, '') AS topic, lf.outcome AS outcome,
                     CAST(CASE WHEN c.attendee_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS checked_in,
                     CAST(CASE WHEN l.engagement > 0 OR l.top_topic IS NOT NULL
                          THEN 1 ELSE 0 END AS BIGINT) AS engaged,
                     CAST(CASE WHEN l.owner_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS routed,
                     CAST(CASE WHEN l.due_at < $2 AND lf.outcome IS NULL
                          THEN 1 ELSE 0 END AS BIGINT) AS overdue
                 FROM leads l
                 LEFT JOIN checked c ON c.attendee_id = l.attendee_id
                 LEFT JOIN latest lf ON lf.attendee_id = l.attendee_id
                 WHERE l.event_id = $1)
             SELECT tier, topic, outcome, checked_in, engaged, routed, overdue, COUNT(*) AS n
             FROM facts
             GROUP BY tier, topic, outcome, checked_in, engaged, routed, overdue
             ORDER BY tier, topic, outcome",
        )
        .bind(event_id)
        .bind(now_ms)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| LeadCell {
                tier: r.tier,
                topic: r.topic,
                outcome: r.outcome,
                checked_in: r.checked_in != 0,
                engaged: r.engaged != 0,
                routed: r.routed != 0,
                overdue: r.overdue != 0,
                count: r.n.max(0) as u64,
            })
            .collect())
    }

    /// How many people registered for an event and how many of them were scanned in. Erased
    /// people count too: their row stays, and their scans carry a visitor number.
    pub async fn event_attendance(self, event_id: i64) -> StoreResult<Attendance> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT
                 (SELECT COUNT(*) FROM attendees WHERE event_id = $1) AS registered,
                 (SELECT COUNT(DISTINCT COALESCE(attendee_id, -visitor)) FROM scans
                  WHERE event_id = $1 AND decision = 'accepted'
                    AND (attendee_id IS NOT NULL OR visitor IS NOT NULL))
                     AS checked_in",
        )
        .bind(event_id)
        .fetch_one(p)
        .await)?;
        Ok(row)
    }

    /// Leads counted by tier, top topic, the attendee's decision role, the lead's stage and
    /// its latest outcome, for one event (`Some(id)`) or every event (`None`). One row per
    /// combination that occurs: hundreds, a few thousand at most, whatever the number of leads.
    pub async fn lead_calibration_cells(
        self,
        event_id: Option<i64>,
    ) -> StoreResult<Vec<CalibrationCell>> {
        let rows: Vec<CalibrationRow> = on_pool!(self, p => sqlx::query_as(
            "WITH latest AS (
                 SELECT attendee_id, outcome FROM (
                     SELECT attendee_id, outcome, ROW_NUMBER() OVER (
                         PARTITION BY attendee_id ORDER BY at DESC, id DESC) AS rn
                     FROM lead_feedback WHERE $1 IS NULL OR event_id = $1) ranked
                 WHERE rn = 1)
             SELECT l.tier AS tier, COALESCE(l.top_topic, '') AS topic,
                 a.decision_role AS role, l.stage AS stage, lf.outcome AS outcome,
                 COUNT(*) AS n
             FROM leads l
             JOIN attendees a ON a.id = l.attendee_id
             LEFT JOIN latest lf ON lf.attendee_id = l.attendee_id
             WHERE $1 IS NULL OR l.event_id = $1
             GROUP BY l.tier, COALESCE(l.top_topic, ''), a.decision_role, l.stage, lf.outcome",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(CalibrationCell {
                    tier: r.tier,
                    topic: r.topic,
                    role: r.role,
                    stage: r.stage,
                    latest: match r.outcome.as_deref() {
                        None => Latest::Nothing,
                        Some(key) => {
                            Outcome::parse(key).map_or(Latest::Unrecognised, Latest::Outcome)
                        }
                    },
                    count: r.n.max(0) as u64,
                })
            })
            .collect()
    }

    /// Topic names by slug, of one event or of every event.
    pub async fn topic_names(self, event_id: Option<i64>) -> StoreResult<Vec<TopicName>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT slug, MIN(name) AS name FROM topics
             WHERE $1 IS NULL OR event_id = $1
             GROUP BY slug ORDER BY slug",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
