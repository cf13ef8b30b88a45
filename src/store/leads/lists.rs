//! Lead lists for pages: an event's leads filtered and paged in SQL, a salesperson's own
//! leads, tier and overdue counts. Rows are light (no package JSON) so a page of an event
//! with 100,000 leads reads and sorts little.

use sqlx::FromRow;

use super::Leads;
use crate::domain::{attendee::PurchaseStage, choice::OrBlank, leads::package::Tier};
use crate::store::{
    StoreResult,
    list_order::{self, LeadSort, ListOrder, OwnedLeadSort},
    on_pool,
};

/// One line of a lead list.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LeadLine {
    pub event_id: i64,
    pub attendee_id: i64,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub tier: Tier,
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    #[sqlx(try_from = "OrBlank<PurchaseStage>")]
    pub stage: Option<PurchaseStage>,
    pub top_topic: Option<String>,
    /// The top topic's name in the programme.
    pub topic_name: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<i64>,
    /// Key of the latest feedback's outcome.
    pub outcome: Option<String>,
    pub outcome_at: Option<i64>,
}

/// A line of a salesperson's list, with the event it belongs to.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OwnedLeadLine {
    pub event_slug: String,
    pub event_name: String,
    pub event_time_zone: String,
    #[sqlx(flatten)]
    pub line: LeadLine,
}

/// Whose leads a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    #[default]
    Anyone,
    /// Leads not routed to anybody.
    Nobody,
    User(i64),
}

/// Which leads of an event a list shows; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub tier: String,
    /// Top topic slug.
    pub topic: String,
    pub owner: OwnerFilter,
    /// Only leads past their deadline without feedback (`domain::leads::report::is_overdue`).
    pub overdue_only: bool,
}

impl LeadFilter {
    /// The owner filter as one parameter: -1 anyone, 0 nobody, else the user id.
    fn owner_param(&self) -> i64 {
        match self.owner {
            OwnerFilter::Anyone => -1,
            OwnerFilter::Nobody => 0,
            OwnerFilter::User(id) => id.max(1),
        }
    }
}

/// A lead's owner, for filter choices.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LeadOwner {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// The latest feedback of lead `l`: `ORDER BY at, id` so two records in the same
/// millisecond still have an order.
const LATEST_FEEDBACK: &str = "LEFT JOIN lead_feedback f ON f.id = (
        SELECT f2.id FROM lead_feedback f2
        WHERE f2.event_id = l.event_id AND f2.attendee_id = l.attendee_id
        ORDER BY f2.at DESC, f2.id DESC LIMIT 1)";

const LINE_COLUMNS: &str = "l.event_id, l.attendee_id, a.name, a.company, a.job_title, l.tier, \
    l.score, l.fit, l.engagement, l.stage, l.top_topic, t.name AS topic_name, \
    u.username AS owner, l.due_at, f.outcome, f.at AS outcome_at";

const LINE_JOINS: &str = "JOIN attendees a ON a.id = l.attendee_id
    LEFT JOIN topics t ON t.event_id = l.event_id AND t.slug = l.top_topic
    LEFT JOIN users u ON u.id = l.owner_id";

/// The filters of an event list over `leads l`: $1 event, $2 tier, $3 topic, $4 owner,
/// $5 overdue only (0/1), $6 now.
const EVENT_FILTER: &str = "l.event_id = $1
    AND ($2 = '' OR l.tier = $2)
    AND ($3 = '' OR l.top_topic = $3)
    AND ($4 < 0 OR ($4 = 0 AND l.owner_id IS NULL) OR l.owner_id = $4)
    AND ($5 = 0 OR (l.due_at < $6 AND NOT EXISTS (
        SELECT 1 FROM lead_feedback nf
        WHERE nf.event_id = l.event_id AND nf.attendee_id = l.attendee_id)))";

impl Leads<'_> {
    /// One page of an event's leads matching `filter`, and how many match in all.
    pub async fn event_lead_page(
        self,
        event_id: i64,
        filter: &LeadFilter,
        order: Option<ListOrder<LeadSort>>,
        now_ms: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<LeadLine>, i64)> {
        // Only the page's keys are sorted (joining only what the order reads); names, topics
        // and feedback are joined to those.
        let by = list_order::lead_order(order);
        let joins = list_order::lead_order_joins(order);
        let sql = format!(
            "WITH page AS (
                 SELECT l.attendee_id FROM leads l {joins} WHERE {EVENT_FILTER}
                 ORDER BY {by} LIMIT $7 OFFSET $8)
             SELECT {LINE_COLUMNS} FROM page p
             JOIN leads l ON l.event_id = $1 AND l.attendee_id = p.attendee_id
             {LINE_JOINS} {LATEST_FEEDBACK}
             ORDER BY {by}"
        );
        let count_sql = format!("SELECT COUNT(*) FROM leads l WHERE {EVENT_FILTER}");
        let overdue = i64::from(filter.overdue_only);
        let owner = filter.owner_param();
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(&filter.tier)
            .bind(&filter.topic)
            .bind(owner)
            .bind(overdue)
            .bind(now_ms)
            .bind(limit)
            .bind(offset.max(0))
            .fetch_all(p)
            .await)?;
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(event_id)
            .bind(&filter.tier)
            .bind(&filter.topic)
            .bind(owner)
            .bind(overdue)
            .bind(now_ms)
            .fetch_one(p)
            .await)?;
        Ok((rows, total))
    }

    /// How many leads of an event have each tier, and how many of each are overdue at
    /// `now_ms`, in one pass over the event's leads.
    pub async fn event_lead_counts(
        self,
        event_id: i64,
        now_ms: i64,
    ) -> StoreResult<Vec<(Tier, i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT l.tier, COUNT(*), COUNT(CASE WHEN l.due_at < $2 AND NOT EXISTS (
                 SELECT 1 FROM lead_feedback f
                 WHERE f.event_id = l.event_id AND f.attendee_id = l.attendee_id)
                 THEN 1 END)
             FROM leads l WHERE l.event_id = $1 GROUP BY l.tier ORDER BY l.tier",
        )
        .bind(event_id)
        .bind(now_ms)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Everybody who owns at least one lead of an event, by login name.
    pub async fn event_lead_owners(self, event_id: i64) -> StoreResult<Vec<LeadOwner>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name FROM users u
             WHERE EXISTS (SELECT 1 FROM leads l WHERE l.owner_id = u.id AND l.event_id = $1)
             ORDER BY u.username",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// One page of the leads a user owns, in every event: those awaiting feedback first,
    /// soonest deadline first; with the total and how many are overdue at `now_ms`.
    pub async fn owned_lead_page(
        self,
        user_id: i64,
        now_ms: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<OwnedLeadLine>, i64, i64)> {
        self.owned_lead_page_sorted(user_id, None, now_ms, limit, offset)
            .await
    }

    /// `owned_lead_page` in the order asked for (`None`: its own).
    pub async fn owned_lead_page_sorted(
        self,
        user_id: i64,
        order: Option<ListOrder<OwnedLeadSort>>,
        now_ms: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<OwnedLeadLine>, i64, i64)> {
        let by = list_order::owned_order(order);
        let joins = list_order::owned_order_joins(order);
        let sql = format!(
            "WITH keys AS (
                 SELECT l.event_id, l.attendee_id, CAST(CASE WHEN EXISTS (
                     SELECT 1 FROM lead_feedback af
                     WHERE af.event_id = l.event_id AND af.attendee_id = l.attendee_id)
                     THEN 1 ELSE 0 END AS BIGINT) AS answered
                 FROM leads l {joins} WHERE l.owner_id = $1
                 ORDER BY {by} LIMIT $2 OFFSET $3)
             SELECT e.slug AS event_slug, e.name AS event_name,
                 e.time_zone AS event_time_zone, {LINE_COLUMNS}
             FROM keys p
             JOIN leads l ON l.event_id = p.event_id AND l.attendee_id = p.attendee_id
             JOIN events e ON e.id = l.event_id
             {LINE_JOINS} {LATEST_FEEDBACK}
             ORDER BY {by}"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(limit)
            .bind(offset.max(0))
            .fetch_all(p)
            .await)?;
        let (total, overdue): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN l.due_at < $2 AND NOT EXISTS (
                 SELECT 1 FROM lead_feedback f
                 WHERE f.event_id = l.event_id AND f.attendee_id = l.attendee_id)
                 THEN 1 END)
             FROM leads l WHERE l.owner_id = $1",
        )
        .bind(user_id)
        .bind(now_ms)
        .fetch_one(p)
        .await)?;
        Ok((rows, total, overdue))
    }
}
