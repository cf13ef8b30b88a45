//! Sales feedback on leads: append-only rows, written only by the lead's owner, each with
//! the next action the event's playbook gave it; and the due list read from them.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Leads;
use crate::domain::leads::playbook::{NextAction, NextContent, NextOwner};
use crate::store::{
    StoreError, StoreResult, in_tx,
    list_order::{self, DueSort, ListOrder},
    on_pool, on_writer, ts,
};

/// The next-action columns of a feedback row, as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
struct NextColumns {
    next_owner: String,
    next_at: Option<i64>,
    next_content: String,
    next_email: bool,
    next_tag: String,
}

impl NextColumns {
    fn of(next: &NextAction) -> NextColumns {
        NextColumns {
            next_owner: next.owner.key().into(),
            next_at: next.due_at.map(|t| t.as_millisecond()),
            next_content: next.content.key().into(),
            next_email: next.email,
            next_tag: next.tag.clone(),
        }
    }

    /// The typed action; a value no playbook writes is a corrupt row.
    fn action(self) -> StoreResult<NextAction> {
        let corrupt =
            |what: &str, v: &str| StoreError::Corrupt(format!("lead_feedback.{what} '{v}'"));
        Ok(NextAction {
            owner: NextOwner::parse(&self.next_owner)
                .map_err(|_| corrupt("next_owner", &self.next_owner))?,
            due_at: self.next_at.map(ts),
            content: NextContent::parse(&self.next_content)
                .map_err(|_| corrupt("next_content", &self.next_content))?,
            email: self.next_email,
            tag: self.next_tag,
        })
    }
}

#[derive(FromRow)]
struct FeedbackRow {
    id: i64,
    attendee_id: i64,
    user_id: i64,
    username: String,
    display_name: String,
    outcome: String,
    note: String,
    at: i64,
    #[sqlx(flatten)]
    next: NextColumns,
}

/// One recorded outcome, with who recorded it and what it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRecord {
    pub id: i64,
    pub attendee_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// Outcome key: a `domain::leads::package::Outcome` or one the event's playbook adds.
    pub outcome: String,
    pub note: String,
    pub at: i64,
    pub next: NextAction,
}

impl FeedbackRow {
    fn record(self) -> StoreResult<FeedbackRecord> {
        Ok(FeedbackRecord {
            id: self.id,
            attendee_id: self.attendee_id,
            user_id: self.user_id,
            username: self.username,
            display_name: self.display_name,
            outcome: self.outcome,
            note: self.note,
            at: self.at,
            next: self.next.action()?,
        })
    }
}

const FEEDBACK_COLUMNS: &str = "f.id, f.attendee_id, f.user_id, u.username, u.display_name,
    f.outcome, f.note, f.at, f.next_owner, f.next_at, f.next_content, f.next_email, f.next_tag";

/// The latest feedback of each lead of an event (by insertion order).
const LATEST: &str = "SELECT MAX(id) AS id FROM lead_feedback WHERE event_id = $1
    GROUP BY attendee_id";

/// Someone whose next contact has come, for the due list.
#[derive(Debug, Clone, PartialEq)]
pub struct DueFollowUp {
    pub event_slug: String,
    pub event_name: String,
    pub event_time_zone: String,
    pub name: String,
    pub company: String,
    pub job_title: String,
    /// The lead's top topic, by its name in the programme.
    pub top_topic: Option<String>,
    /// The lead's owner now, if it is routed.
    pub owner: Option<String>,
    pub feedback: FeedbackRecord,
}

#[derive(FromRow)]
struct DueRow {
    event_slug: String,
    event_name: String,
    event_time_zone: String,
    name: String,
    company: String,
    job_title: String,
    top_topic: Option<String>,
    owner: Option<String>,
    #[sqlx(flatten)]
    feedback: FeedbackRow,
}

/// Whose follow-ups a due list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFor {
    /// Everyone's (marketers, admins).
    Everyone,
    /// What a salesperson works next: leads they own whose next owner is sales.
    Owner(i64),
}

/// Feedback rows `f` (of attendee `a`) that put a person on the due list at `$1`: the
/// latest row of its lead, with a next contact that has come, for anybody but "nobody", of
/// a person not erased. The due list and the dashboard's count share it.
pub(in crate::store) const LATEST_DUE: &str = "f.next_at IS NOT NULL AND f.next_at <= $1
    AND f.next_owner <> 'nobody'
    AND a.erased_at IS NULL
    AND f.id = (SELECT MAX(g.id) FROM lead_feedback g
                WHERE g.event_id = f.event_id AND g.attendee_id = f.attendee_id)";

impl Leads<'_> {
    /// Appends feedback to a lead on behalf of its owner, with the next action the playbook
    /// gave it. The ownership test is part of the insert, so a lead routed to someone else
    /// in the meantime is refused, not written: `NotFound` when the event has no such lead
    /// or `owner_id` does not own it.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_lead_feedback(
        self,
        event_id: i64,
        attendee_id: i64,
        owner_id: i64,
        outcome: &str,
        note: &str,
        next: &NextAction,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let n = NextColumns::of(next);
        let id: Option<i64> = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO lead_feedback (event_id, attendee_id, user_id, outcome, note, at,
                 next_owner, next_at, next_content, next_email, next_tag)
             SELECT l.event_id, l.attendee_id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM leads l
             WHERE l.event_id = $1 AND l.attendee_id = $2 AND l.owner_id = $3
             RETURNING id",
        )
        .bind(event_id)
        .bind(attendee_id)
        .bind(owner_id)
        .bind(outcome)
        .bind(note)
        .bind(now.as_millisecond())
        .bind(&n.next_owner)
        .bind(n.next_at)
        .bind(&n.next_content)
        .bind(n.next_email)
        .bind(&n.next_tag)
        .fetch_optional(p)
        .await)?;
        id.ok_or(StoreError::NotFound("lead"))
    }

    /// Every feedback record of a lead, newest first.
    pub async fn lead_feedback(
        self,
        event_id: i64,
        attendee_id: i64,
    ) -> StoreResult<Vec<FeedbackRecord>> {
        let sql = format!(
            "SELECT {FEEDBACK_COLUMNS}
             FROM lead_feedback f JOIN users u ON u.id = f.user_id
             WHERE f.event_id = $1 AND f.attendee_id = $2
             ORDER BY f.at DESC, f.id DESC"
        );
        let rows: Vec<FeedbackRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(FeedbackRow::record).collect()
    }

    /// The latest feedback of every lead of an event that has any, by attendee id.
    pub async fn latest_lead_feedback(self, event_id: i64) -> StoreResult<Vec<FeedbackRecord>> {
        let sql = format!(
            "SELECT {FEEDBACK_COLUMNS}
             FROM lead_feedback f JOIN users u ON u.id = f.user_id
             WHERE f.id IN ({LATEST})
             ORDER BY f.attendee_id"
        );
        let rows: Vec<FeedbackRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(FeedbackRow::record).collect()
    }

    /// Gives feedback rows new next actions (after the playbook changed), in one
    /// transaction. Returns how many rows changed.
    pub async fn restate_next_actions(self, actions: &[(i64, NextAction)]) -> StoreResult<u64> {
        let rows: Vec<(i64, NextColumns)> = actions
            .iter()
            .map(|(id, next)| (*id, NextColumns::of(next)))
            .collect();
        in_tx!(self, tx => {
            let mut changed = 0;
            for (id, n) in &rows {
                changed += sqlx::query(
                    "UPDATE lead_feedback SET next_owner = $2, next_at = $3, next_content = $4,
                         next_email = $5, next_tag = $6 WHERE id = $1",
                )
                .bind(id)
                .bind(&n.next_owner)
                .bind(n.next_at)
                .bind(&n.next_content)
                .bind(n.next_email)
                .bind(&n.next_tag)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            Ok(changed)
        })
    }

    /// People whose latest outcome says to reach them again by `until`, across events,
    /// soonest first; erased people and "nobody" are never listed.
    pub async fn due_follow_ups(
        self,
        until: Timestamp,
        who: DueFor,
        limit: i64,
    ) -> StoreResult<Vec<DueFollowUp>> {
        self.due_follow_ups_sorted(until, who, None, limit).await
    }

    /// `due_follow_ups` in the order asked for (`None`: soonest first). The limit applies
    /// after sorting.
    pub async fn due_follow_ups_sorted(
        self,
        until: Timestamp,
        who: DueFor,
        order: Option<ListOrder<DueSort>>,
        limit: i64,
    ) -> StoreResult<Vec<DueFollowUp>> {
        let by = list_order::due_order(order);
        let (owner_id, sales_only) = match who {
            DueFor::Everyone => (0, false),
            DueFor::Owner(id) => (id, true),
        };
        let sql = format!(
            "SELECT e.slug AS event_slug, e.name AS event_name,
                 e.time_zone AS event_time_zone, a.name, a.company, a.job_title,
                 COALESCE(t.name, l.top_topic) AS top_topic, ou.username AS owner,
                 {FEEDBACK_COLUMNS}
             FROM lead_feedback f
             JOIN users u ON u.id = f.user_id
             JOIN attendees a ON a.id = f.attendee_id
             JOIN events e ON e.id = f.event_id
             LEFT JOIN leads l ON l.event_id = f.event_id AND l.attendee_id = f.attendee_id
             LEFT JOIN users ou ON ou.id = l.owner_id
             LEFT JOIN topics t ON t.event_id = f.event_id AND t.slug = l.top_topic
             WHERE {LATEST_DUE}
               AND ($2 = 0 OR (l.owner_id = $3 AND f.next_owner = 'sales'))
             ORDER BY {by}
             LIMIT $4"
        );
        let rows: Vec<DueRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(until.as_millisecond())
        .bind(i64::from(sales_only))
        .bind(owner_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(DueFollowUp {
                    event_slug: r.event_slug,
                    event_name: r.event_name,
                    event_time_zone: r.event_time_zone,
                    name: r.name,
                    company: r.company,
                    job_title: r.job_title,
                    top_topic: r.top_topic,
                    owner: r.owner,
                    feedback: r.feedback.record()?,
                })
            })
            .collect()
    }
}
