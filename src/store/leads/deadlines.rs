//! Feedback deadlines: leads whose deadline passed without an outcome, the steps taken on
//! them (claimed once per step and deadline), reassignment, and the facts the
//! responsiveness report counts.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Leads;
use crate::domain::{
    leads::feedback_deadline::{DeadlineFact, Step},
    leads::package::Tier,
};
use crate::store::{StoreResult, on_pool, on_writer, ts};

/// A routed lead past its deadline with no outcome at all.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OverdueLead {
    pub event_id: i64,
    pub attendee_id: i64,
    pub owner_id: i64,
    pub owner: String,
    pub due_at: i64,
    pub name: String,
    pub company: String,
    pub tier: Tier,
}

/// A staff account a deadline step goes to.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StepRecipient {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// One step taken on a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub step: Step,
    pub due_at: i64,
    pub owner: String,
    pub to: Option<String>,
    /// `pending`, `sent`, `no_address` or `failed`.
    pub state: String,
    pub detail: String,
    pub at: i64,
}

#[derive(FromRow)]
struct StepRow {
    step: Step,
    due_at: i64,
    owner: String,
    to_user: Option<String>,
    state: String,
    detail: String,
    at: i64,
}

/// What a step is about: the lead, its deadline, and whose it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepKey {
    pub event_id: i64,
    pub attendee_id: i64,
    pub step: Step,
    pub due_at: i64,
    pub owner_id: i64,
}

impl Leads<'_> {
    /// Routed leads whose deadline is at or before `now` and that have no outcome, across
    /// events, by event and deadline. Erased people are left out.
    pub async fn overdue_without_feedback(self, now: Timestamp) -> StoreResult<Vec<OverdueLead>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT l.event_id, l.attendee_id, l.owner_id, u.username AS owner, l.due_at,
                 a.name, a.company, l.tier
             FROM leads l
             JOIN users u ON u.id = l.owner_id
             JOIN attendees a ON a.id = l.attendee_id
             WHERE l.owner_id IS NOT NULL AND l.due_at IS NOT NULL AND l.due_at <= $1
               AND a.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM lead_feedback f
                               WHERE f.event_id = l.event_id AND f.attendee_id = l.attendee_id)
             ORDER BY l.event_id, l.due_at, l.attendee_id",
        )
        .bind(now.as_millisecond())
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// An enabled account by login name, with its email address.
    pub async fn step_recipient(self, username: &str) -> StoreResult<Option<StepRecipient>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username, display_name, email FROM users
             WHERE username = $1 AND disabled_at IS NULL",
        )
        .bind(username)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// Claims a step: `Some(id)` when it is new, or when an earlier attempt failed (taken
    /// again); `None` when it was already taken or is in hand elsewhere.
    pub async fn claim_deadline_step(
        self,
        key: StepKey,
        to_user_id: Option<i64>,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO lead_deadline_steps
                 (event_id, attendee_id, step, due_at, owner_id, to_user_id, state, detail, at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', '', $7)
             ON CONFLICT (event_id, attendee_id, step, due_at) DO UPDATE
                 SET state = 'pending', at = excluded.at
                 WHERE lead_deadline_steps.state = 'failed'
             RETURNING id",
        )
        .bind(key.event_id)
        .bind(key.attendee_id)
        .bind(key.step.key())
        .bind(key.due_at)
        .bind(key.owner_id)
        .bind(to_user_id)
        .bind(now.as_millisecond())
        .fetch_optional(p)
        .await)?;
        Ok(id)
    }

    /// Records how a claimed step ended.
    pub async fn finish_deadline_step(self, id: i64, state: &str, detail: &str) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE lead_deadline_steps SET state = $2, detail = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(detail)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives a lead still without an outcome from `from_owner` to `to_owner` with a new
    /// deadline; false when it changed hands or got an outcome meanwhile.
    pub async fn reassign_lead(
        self,
        event_id: i64,
        attendee_id: i64,
        from_owner: i64,
        to_owner: i64,
        due_at: Timestamp,
    ) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE leads SET owner_id = $4, due_at = $5
             WHERE event_id = $1 AND attendee_id = $2 AND owner_id = $3
               AND NOT EXISTS (SELECT 1 FROM lead_feedback f
                               WHERE f.event_id = $1 AND f.attendee_id = $2)",
        )
        .bind(event_id)
        .bind(attendee_id)
        .bind(from_owner)
        .bind(to_owner)
        .bind(due_at.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The steps taken on a lead, oldest first.
    pub async fn lead_deadline_steps(
        self,
        event_id: i64,
        attendee_id: i64,
    ) -> StoreResult<Vec<StepRecord>> {
        let rows: Vec<StepRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.step, s.due_at, o.username AS owner, t.username AS to_user, s.state,
                 s.detail, s.at
             FROM lead_deadline_steps s
             JOIN users o ON o.id = s.owner_id
             LEFT JOIN users t ON t.id = s.to_user_id
             WHERE s.event_id = $1 AND s.attendee_id = $2
             ORDER BY s.at, s.id",
        )
        .bind(event_id)
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| StepRecord {
                step: r.step,
                due_at: r.due_at,
                owner: r.owner,
                to: r.to_user,
                state: r.state,
                detail: r.detail,
                at: r.at,
            })
            .collect())
    }

    /// Every routed lead of an event with its deadline and first outcome, and how many leads
    /// were reassigned away from each owner: what the responsiveness report counts.
    pub async fn deadline_facts(
        self,
        event_id: i64,
    ) -> StoreResult<(Vec<DeadlineFact>, Vec<(String, u64)>)> {
        let facts: Vec<(String, i64, Option<i64>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.username, l.due_at, ff.first_at
             FROM leads l
             JOIN users u ON u.id = l.owner_id
             LEFT JOIN (SELECT attendee_id, MIN(at) AS first_at FROM lead_feedback
                        WHERE event_id = $1 GROUP BY attendee_id) ff
               ON ff.attendee_id = l.attendee_id
             WHERE l.event_id = $1 AND l.due_at IS NOT NULL",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        let away: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.username, COUNT(*) FROM lead_deadline_steps s
             JOIN users u ON u.id = s.owner_id
             WHERE s.event_id = $1 AND s.step = 'reassigned' AND s.state <> 'failed'
             GROUP BY u.username",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok((
            facts
                .into_iter()
                .map(|(owner, due, first)| DeadlineFact {
                    owner,
                    due: ts(due),
                    first_outcome: first.map(ts),
                })
                .collect(),
            away.into_iter()
                .map(|(o, n)| (o, u64::try_from(n).unwrap_or(0)))
                .collect(),
        ))
    }

    /// Sets or clears the email address of an account; false when there is no such account.
    pub async fn set_user_email(self, username: &str, email: Option<&str>) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query("UPDATE users SET email = $2 WHERE username = $1")
            .bind(username)
            .bind(email)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
