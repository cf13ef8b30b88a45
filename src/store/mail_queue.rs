//! The transactional mail queue: badge emails waiting, being sent, sent or failed.

use jiff::Timestamp;
use sqlx::FromRow;

use super::{Pool, Sql, Store, StoreResult, on_pool, on_writer};

/// The store's handle on the badge mail queue: `store.mail_queue()`.
#[derive(Clone, Copy)]
pub struct MailQueue<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn mail_queue(&self) -> MailQueue<'_> {
        MailQueue { pool: &self.pool }
    }
}

/// A claimed message to send. The claim is a lease: if the sender dies, the message is
/// claimed again once `lease_until` passes.
#[derive(Debug, Clone, FromRow)]
pub struct MailJob {
    pub id: i64,
    pub kind: String,
    pub attendee_id: i64,
    pub attempts: i64,
}

/// Claims due messages. Several app instances may share PostgreSQL: SKIP LOCKED lets each
/// claim different rows. SQLite has one writer at a time, so the plain sub-select is
/// already exclusive.
const CLAIM: Sql = Sql {
    sqlite: "UPDATE mail_queue SET state = 'sending', lease_until = $1 + $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM mail_queue
               WHERE (state = 'queued' AND run_after <= $1) OR (state = 'sending' AND lease_until < $1)
               ORDER BY id LIMIT $3)
             RETURNING id, kind, attendee_id, attempts",
    postgres: "UPDATE mail_queue SET state = 'sending', lease_until = $1 + $2, attempts = attempts + 1
               WHERE id IN (SELECT id FROM mail_queue
                 WHERE (state = 'queued' AND run_after <= $1) OR (state = 'sending' AND lease_until < $1)
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING id, kind, attendee_id, attempts",
};

impl MailQueue<'_> {
    /// Messages waiting to be sent or being sent: the badge mailer's backlog.
    pub async fn mail_queue_depth(self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_queue WHERE state IN ('queued', 'sending')"
        )
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Claims up to `limit` due messages for `lease_ms`, oldest first.
    pub async fn claim_mail(
        self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<MailJob>> {
        let now = now.as_millisecond();
        let jobs = on_writer!(self, CLAIM, (p, sql) => sqlx::query_as(sql)
            .bind(now)
            .bind(lease_ms)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(jobs)
    }

    pub async fn mark_mail_sent(
        self,
        id: i64,
        message_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE mail_queue SET state = 'sent', message_id = $2, sent_at = $3, lease_until = NULL, last_error = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(message_id)
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failure: retried at `retry_at`, or given up for good when it is `None`.
    pub async fn mark_mail_failed(
        self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let (state, run_after) = match retry_at {
            Some(t) => ("queued", t.as_millisecond()),
            None => ("failed", 0),
        };
        on_writer!(self, p => sqlx::query(
            "UPDATE mail_queue SET state = $2, last_error = $3, lease_until = NULL,
               run_after = CASE WHEN $4 > 0 THEN $4 ELSE run_after END
             WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(run_after)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Counts of messages per state, for the admin page and tests.
    pub async fn mail_counts(self) -> StoreResult<Vec<(String, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT state, COUNT(*) FROM mail_queue GROUP BY state ORDER BY state",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
