//! Leads as the lead builder stored them (one row per attendee of an event), and the
//! record of builds: one running per event at a time, progress, and the result summary.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Leads;
use crate::domain::{attendee::PurchaseStage, choice::OrBlank, leads::package::Tier};
use crate::store::{StoreResult, in_tx, on_pool, on_writer};

/// An empty lead of tier X (excluded): nothing is known that would make it more.
impl Default for StoredLead {
    fn default() -> StoredLead {
        StoredLead {
            attendee_id: 0,
            tier: Tier::X,
            top_topic: None,
            score: 0.0,
            fit: 0.0,
            engagement: 0.0,
            stage: None,
            topic_scores: String::new(),
            explanation: String::new(),
            package: String::new(),
            owner_id: None,
            due_at: None,
            next_need: None,
            genuine: String::new(),
        }
    }
}

impl StoredLead {
    /// The stored package with its explanation, which is kept once, in its own column.
    pub fn package(&self) -> serde_json::Result<crate::domain::leads::package::LeadPackage> {
        let mut p: crate::domain::leads::package::LeadPackage =
            serde_json::from_str(&self.package)?;
        if p.explanation.is_empty() {
            p.explanation.clone_from(&self.explanation);
        }
        Ok(p)
    }
}

/// The part of a stored lead that later steps (follow-up email, reports) rely on.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LeadSummary {
    pub attendee_id: i64,
    pub tier: Tier,
    /// Slug of the topic the attendee cared about most, if any.
    pub top_topic: Option<String>,
}

/// One lead as a build writes it and pages read it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StoredLead {
    pub attendee_id: i64,
    pub tier: Tier,
    pub top_topic: Option<String>,
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    #[sqlx(try_from = "OrBlank<PurchaseStage>")]
    pub stage: Option<PurchaseStage>,
    pub topic_scores: String,
    pub explanation: String,
    /// `domain::leads::package::LeadPackage` as JSON without its explanation (the column above);
    /// `StoredLead::package` puts them together.
    pub package: String,
    pub owner_id: Option<i64>,
    pub due_at: Option<i64>,
    /// Slug of the likely next need's topic, if any (also in the package). Reads that do
    /// not select it leave it out.
    #[sqlx(default)]
    pub next_need: Option<String>,
    /// Slugs of the topics of genuine interest (`LeadPackage::genuine_interests`),
    /// comma-separated: what builds of other events read through the data pool.
    #[sqlx(default)]
    pub genuine: String,
}

/// A stored lead with its owner's login name, for lists.
#[derive(Debug, Clone, Default, PartialEq, FromRow)]
pub struct LeadRow {
    #[sqlx(flatten)]
    pub lead: StoredLead,
    pub owner: Option<String>,
}

/// A stored lead as the CRM export needs it: with its owner's display name and the latest
/// feedback recorded on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportLeadRow {
    pub row: LeadRow,
    pub owner_name: Option<String>,
    pub latest: crate::domain::leads::calibration::Latest,
}

#[derive(FromRow)]
struct ExportLeadFields {
    #[sqlx(flatten)]
    row: LeadRow,
    owner_name: Option<String>,
    latest_outcome: Option<String>,
}

/// One lead build of an event.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LeadBuildRecord {
    pub id: i64,
    pub event_id: i64,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub started_by: String,
    pub started_at: i64,
    pub heartbeat_at: i64,
    pub finished_at: Option<i64>,
    pub total: i64,
    pub done: i64,
    /// JSON counts once done, the error once failed.
    pub summary: Option<String>,
    /// JSON `domain::leads::insight::Insight` once done.
    pub insight: Option<String>,
}

/// A running build whose heartbeat is older than this has died (killed, crashed) and no
/// longer blocks a new one.
pub const STALE_BUILD_MS: i64 = 120_000;

const LEAD_COLUMNS: &str = "l.attendee_id, l.tier, l.top_topic, l.score, l.fit, l.engagement, \
    l.stage, l.topic_scores, l.explanation, l.package, l.owner_id, l.due_at, l.next_need, \
    l.genuine";

impl Leads<'_> {
    /// Replaces every stored lead of an event with `leads`, in one transaction.
    pub async fn replace_event_leads(
        self,
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
                .bind(l.tier)
                .bind(&l.top_topic)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// The stored leads of an event, by attendee id.
    pub async fn event_lead_summaries(self, event_id: i64) -> StoreResult<Vec<LeadSummary>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, tier, top_topic FROM leads WHERE event_id = $1 ORDER BY attendee_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Every stored lead of an event with its owner, by attendee id.
    pub async fn event_leads(self, event_id: i64) -> StoreResult<Vec<LeadRow>> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS}, u.username AS owner FROM leads l
             LEFT JOIN users u ON u.id = l.owner_id
             WHERE l.event_id = $1 ORDER BY l.attendee_id"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Up to `limit` stored leads of an event with an attendee id above `after`, by id.
    pub async fn event_leads_page(
        self,
        event_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<LeadRow>> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS}, u.username AS owner FROM leads l
             LEFT JOIN users u ON u.id = l.owner_id
             WHERE l.event_id = $1 AND l.attendee_id > $2 ORDER BY l.attendee_id LIMIT $3"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }

    /// Like `event_leads_page`, with each owner's display name and each lead's latest outcome
    /// (found through the feedback index, one lead at a time).
    pub async fn event_leads_export_page(
        self,
        event_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ExportLeadRow>> {
        use crate::domain::{leads::calibration::Latest, leads::package::Outcome};
        let sql = format!(
            "SELECT {LEAD_COLUMNS}, u.username AS owner, u.display_name AS owner_name,
                 (SELECT f.outcome FROM lead_feedback f
                  WHERE f.event_id = l.event_id AND f.attendee_id = l.attendee_id
                  ORDER BY f.at DESC, f.id DESC LIMIT 1) AS latest_outcome
             FROM leads l
             LEFT JOIN users u ON u.id = l.owner_id
             WHERE l.event_id = $1 AND l.attendee_id > $2 ORDER BY l.attendee_id LIMIT $3"
        );
        let rows: Vec<ExportLeadFields> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| ExportLeadRow {
                row: r.row,
                owner_name: r.owner_name,
                latest: match r.latest_outcome.as_deref() {
                    None => Latest::Nothing,
                    Some(key) => Outcome::parse(key).map_or(Latest::Unrecognised, Latest::Outcome),
                },
            })
            .collect())
    }

    /// One stored lead with its owner.
    pub async fn lead(self, event_id: i64, attendee_id: i64) -> StoreResult<Option<LeadRow>> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS}, u.username AS owner FROM leads l
             LEFT JOIN users u ON u.id = l.owner_id
             WHERE l.event_id = $1 AND l.attendee_id = $2"
        );
        let row = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(attendee_id)
            .fetch_optional(p)
            .await)?;
        Ok(row)
    }

    /// The leads owned by one user, in every event, soonest deadline first.
    pub async fn owned_leads(self, user_id: i64) -> StoreResult<Vec<(i64, LeadRow)>> {
        let sql = format!(
            "SELECT l.event_id, {LEAD_COLUMNS}, u.username AS owner FROM leads l
             JOIN users u ON u.id = l.owner_id
             WHERE l.owner_id = $1 ORDER BY l.due_at, l.event_id, l.attendee_id"
        );
        let rows: Vec<OwnedRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|r| (r.event_id, r.row)).collect())
    }

    /// Owner and deadline of each already-routed lead of an event, so a rebuild keeps them.
    pub async fn lead_owners(self, event_id: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, owner_id, due_at FROM leads
             WHERE event_id = $1 AND owner_id IS NOT NULL AND due_at IS NOT NULL",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Starts a build of an event's leads. Fails with `Conflict` while another build of the
    /// same event is running; a build whose heartbeat stopped is marked failed first.
    pub async fn start_lead_build(
        self,
        event_id: i64,
        started_by: &str,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let now = now.as_millisecond();
        on_writer!(self, p => sqlx::query(
            "UPDATE lead_builds SET state = 'failed', finished_at = $2,
                 summary = 'stopped without finishing (no progress for two minutes)'
             WHERE event_id = $1 AND state = 'running' AND heartbeat_at < $3",
        )
        .bind(event_id)
        .bind(now)
        .bind(now - STALE_BUILD_MS)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO lead_builds (event_id, state, started_by, started_at, heartbeat_at)
             VALUES ($1, 'running', $2, $3, $3) RETURNING id",
        )
        .bind(event_id)
        .bind(started_by)
        .bind(now)
        .fetch_one(p)
        .await)
        .map_err(|e| {
            crate::store::conflict_on_unique(e, "a lead build is already running for this event")
        })?;
        Ok(id)
    }

    /// Records how far a running build has got; also its heartbeat.
    pub async fn lead_build_progress(
        self,
        build_id: i64,
        total: i64,
        done: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE lead_builds SET total = $2, done = $3, heartbeat_at = $4
             WHERE id = $1 AND state = 'running'",
        )
        .bind(build_id)
        .bind(total)
        .bind(done)
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces the event's leads with a finished build's and marks the build done, in one
    /// transaction (see `begin_lead_write` for writing a large build in chunks).
    pub async fn finish_lead_build(
        self,
        build_id: i64,
        event_id: i64,
        leads: Vec<StoredLead>,
        summary: &str,
        insight: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut w = self.begin_lead_write(build_id, event_id, now).await?;
        w.write(leads).await?;
        w.finish(summary, insight).await
    }

    /// Marks a running build failed with the reason.
    pub async fn fail_lead_build(
        self,
        build_id: i64,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE lead_builds SET state = 'failed', finished_at = $2, summary = $3
             WHERE id = $1 AND state = 'running'",
        )
        .bind(build_id)
        .bind(now.as_millisecond())
        .bind(error)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn lead_build(self, build_id: i64) -> StoreResult<Option<LeadBuildRecord>> {
        let row = on_pool!(self, p => sqlx::query_as("SELECT * FROM lead_builds WHERE id = $1")
            .bind(build_id)
            .fetch_optional(p)
            .await)?;
        Ok(row)
    }

    /// The newest build of an event, running or not.
    pub async fn latest_lead_build(self, event_id: i64) -> StoreResult<Option<LeadBuildRecord>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM lead_builds WHERE event_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// The newest finished build of an event, whose leads are the stored ones.
    pub async fn latest_done_lead_build(
        self,
        event_id: i64,
    ) -> StoreResult<Option<LeadBuildRecord>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM lead_builds WHERE event_id = $1 AND state = 'done'
             ORDER BY id DESC LIMIT 1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }
}

#[derive(FromRow)]
struct OwnedRow {
    event_id: i64,
    #[sqlx(flatten)]
    row: LeadRow,
}
