//! The send ledger of campaigns: claims with a lease, and the outcome of every message.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Campaigns;
use crate::domain::campaigns::campaign::Tier;
use crate::store::{Pool, StoreResult, in_tx, on_pool};

/// A claimed message with what it takes to write it. The claim is a lease: when the sender
/// dies the row is claimed again once `lease_until` passes.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedSend {
    pub id: i64,
    pub campaign_id: i64,
    pub attendee_id: i64,
    pub email: String,
    /// Content topic; '' is the general fallback.
    pub topic: String,
    pub tier: Tier,
    pub attempts: i64,
    pub name: String,
    pub company: String,
    pub job_title: String,
    /// The address was suppressed after the campaign was planned.
    pub suppressed: Option<String>,
    /// The latest consent record of the attendee (of the person, at any event, for a
    /// campaign to the data pool).
    pub consent: Option<bool>,
    /// The topic slug of the recipient's likely next need (their lead at their own event).
    pub next_need: Option<String>,
}

/// One row of the send ledger as it stands.
#[derive(Debug, Clone, FromRow)]
pub struct LedgerRow {
    pub id: i64,
    pub attendee_id: i64,
    pub email: String,
    pub topic: String,
    pub tier: Tier,
    pub state: String,
    pub attempts: i64,
    pub message_id: Option<String>,
    pub smtp_reply: Option<String>,
    pub last_error: Option<String>,
}

/// What became of one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent {
        id: i64,
        message_id: String,
        reply: String,
    },
    /// A temporary failure: queued again for `retry_at`.
    Retry {
        id: i64,
        error: String,
        retry_at: Timestamp,
    },
    /// Given up. `bounced` when the relay refused the recipient for good: the address is
    /// then suppressed as a hard bounce.
    Failed {
        id: i64,
        error: String,
        bounced: bool,
    },
    /// Not sent because the address was suppressed or consent withdrawn after planning.
    Skipped { id: i64, reason: String },
}

/// What the sender needs of each claimed message (`s`: the claimed ledger rows).
const CLAIMED_COLUMNS: &str = "SELECT s.id, s.campaign_id, s.attendee_id, s.email, s.topic, s.tier, s.attempts,
       a.name, a.company, a.job_title,
       (SELECT MIN(p.reason) FROM suppressions p WHERE p.email = s.email) AS suppressed,
       CASE WHEN k.segment IS NULL
         THEN (SELECT c.granted FROM consents c WHERE c.attendee_id = s.attendee_id ORDER BY c.id DESC LIMIT 1)
         -- A pool campaign honours the person's latest consent at any event.
         ELSE (SELECT c.granted FROM attendees r JOIN consents c ON c.attendee_id = r.id
               WHERE r.person_id = a.person_id ORDER BY c.id DESC LIMIT 1)
       END AS consent,
       (SELECT l.next_need FROM leads l WHERE l.event_id = a.event_id AND l.attendee_id = s.attendee_id)
         AS next_need";
const CLAIMED_JOINS: &str =
    "JOIN attendees a ON a.id = s.attendee_id JOIN campaigns k ON k.id = s.campaign_id";

/// Sent messages recorded per statement (three values each, well under either database's
/// limit on bound values).
const SENT_CHUNK: usize = 256;

impl Campaigns<'_> {
    /// Messages of campaigns that are sending, waiting or being sent: the sender's backlog.
    /// Paused campaigns are left out: their messages wait for a person, not for the sender.
    pub async fn campaign_queue_depth(self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_sends s JOIN campaigns c ON c.id = s.campaign_id
             WHERE c.state = 'sending' AND s.state IN ('queued', 'sending')"
        )
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Claims up to `limit` due messages of campaigns that are sending, oldest first, for
    /// `lease_ms`, and returns them with the attendee's name and current suppression state.
    /// The claim is committed before anything is sent: no transaction spans an SMTP exchange.
    pub async fn claim_campaign_sends(
        self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedSend>> {
        let now = now.as_millisecond();
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the OS has no randomness");
        // Positive, so that it reads the same on every backend.
        let token = i64::from_be_bytes(bytes) & i64::MAX;
        match &self.pool {
            // SQLite has one writer at a time, so the plain sub-select is already exclusive;
            // the claimed rows are read back by their token.
            Pool::Sqlite(pools) => {
                let claimed = sqlx::query(
                    "UPDATE campaign_sends SET state = 'sending', lease_until = $1 + $2,
                       attempts = attempts + 1, claim_token = $4
                     WHERE id IN (SELECT s.id FROM campaign_sends s JOIN campaigns c ON c.id = s.campaign_id
                       WHERE c.state = 'sending' AND ((s.state = 'queued' AND s.run_after <= $1)
                         OR (s.state = 'sending' AND s.lease_until < $1))
                       ORDER BY s.id LIMIT $3)",
                )
                .bind(now)
                .bind(lease_ms)
                .bind(limit)
                .bind(token)
                .execute(&pools.write)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{CLAIMED_COLUMNS} FROM campaign_sends s {CLAIMED_JOINS}
                     WHERE s.claim_token = $1 AND s.state = 'sending' ORDER BY s.id"
                )))
                .bind(token)
                .fetch_all(&pools.read)
                .await?;
                Ok(rows)
            }
            // Several app instances may share PostgreSQL: SKIP LOCKED lets each claim
            // different rows. One statement claims and reads what it claimed: reading the
            // rows back by token was planned from whatever statistics the ledger had, and
            // right after a campaign queued its audience that meant reading every queued row
            // for each batch (half a second a batch of 512 at 20,000 queued).
            Pool::Postgres(p) => {
                let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "WITH s AS (UPDATE campaign_sends SET state = 'sending', lease_until = $1 + $2,
                       attempts = attempts + 1, claim_token = $4
                     WHERE id IN (SELECT s.id FROM campaign_sends s JOIN campaigns c ON c.id = s.campaign_id
                       WHERE c.state = 'sending' AND ((s.state = 'queued' AND s.run_after <= $1)
                         OR (s.state = 'sending' AND s.lease_until < $1))
                       ORDER BY s.id LIMIT $3 FOR UPDATE OF s SKIP LOCKED)
                     RETURNING id, campaign_id, attendee_id, email, topic, tier, attempts)
                     {CLAIMED_COLUMNS} FROM s {CLAIMED_JOINS} ORDER BY s.id"
                )))
                .bind(now)
                .bind(lease_ms)
                .bind(limit)
                .bind(token)
                .fetch_all(p)
                .await?;
                Ok(rows)
            }
        }
    }

    /// Records outcomes in one transaction. A refused recipient is recorded as a hard bounce
    /// and its address suppressed in the same transaction.
    pub async fn record_send_outcomes(
        self,
        outcomes: &[SendOutcome],
        now: Timestamp,
    ) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = now.as_millisecond();
        // Sent messages, nearly all of them, are recorded by one statement per chunk.
        let sent: Vec<(i64, &str, &str)> = outcomes
            .iter()
            .filter_map(|o| match o {
                SendOutcome::Sent {
                    id,
                    message_id,
                    reply,
                } => Some((*id, message_id.as_str(), reply.as_str())),
                _ => None,
            })
            .collect();
        in_tx!(self, tx => {
            for chunk in sent.chunks(SENT_CHUNK) {
                let mut update = sqlx::QueryBuilder::new("WITH v (id, message_id, reply) AS (");
                update.push_values(chunk, |mut row, (id, message_id, reply)| {
                    row.push_bind(*id).push_bind(*message_id).push_bind(*reply);
                });
                update.push(
                    ") UPDATE campaign_sends SET state = 'sent', message_id = v.message_id,
                       smtp_reply = v.reply, lease_until = NULL, last_error = NULL, sent_at = ",
                );
                update.push_bind(now);
                update.push(" FROM v WHERE campaign_sends.id = v.id");
                update.build().execute(&mut *tx).await?;
            }
            for outcome in outcomes {
                match outcome {
                    SendOutcome::Sent { .. } => {}
                    SendOutcome::Retry { id, error, retry_at } => {
                        sqlx::query(
                            "UPDATE campaign_sends SET state = 'queued', last_error = $2, run_after = $3, lease_until = NULL
                             WHERE id = $1 AND state = 'sending'",
                        )
                        .bind(id)
                        .bind(error)
                        .bind(retry_at.as_millisecond())
                        .execute(&mut *tx)
                        .await?;
                    }
                    SendOutcome::Failed { id, error, bounced } => {
                        sqlx::query(
                            "UPDATE campaign_sends SET state = 'failed', last_error = $2, lease_until = NULL,
                               bounced_at = CASE WHEN $3 THEN $4 ELSE bounced_at END
                             WHERE id = $1",
                        )
                        .bind(id)
                        .bind(error)
                        .bind(bounced)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        if *bounced {
                            sqlx::query(
                                "INSERT INTO bounces (email, kind, status, detail, send_id, at)
                                 SELECT email, 'hard', 'smtp', $2, id, $3 FROM campaign_sends WHERE id = $1",
                            )
                            .bind(id)
                            .bind(error)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query(
                                "INSERT INTO suppressions (email, reason, detail, at)
                                 SELECT email, 'hard_bounce', $2, $3 FROM campaign_sends WHERE id = $1
                                 ON CONFLICT (email, reason) DO NOTHING",
                            )
                            .bind(id)
                            .bind(error)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    SendOutcome::Skipped { id, reason } => {
                        sqlx::query(
                            "UPDATE campaign_sends SET state = 'skipped', last_error = $2, lease_until = NULL WHERE id = $1",
                        )
                        .bind(id)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
        });
        Ok(())
    }

    /// Gives claimed messages back unsent (their campaign was paused or cancelled meanwhile):
    /// queued again, or cancelled with their campaign, without counting an attempt.
    pub async fn release_campaign_sends(self, ids: &[i64]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        in_tx!(self, tx => {
            for id in ids {
                sqlx::query(
                    "UPDATE campaign_sends SET lease_until = NULL, attempts = attempts - 1,
                       state = CASE WHEN (SELECT c.state FROM campaigns c WHERE c.id = campaign_sends.campaign_id) = 'cancelled'
                         THEN 'cancelled' ELSE 'queued' END
                     WHERE id = $1 AND state = 'sending'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Messages whose sender stopped while sending them: claimed, and their lease ran out
    /// before `now`. Messages that live senders hold are not counted: they are not in doubt.
    pub async fn campaign_abandoned_in_flight(
        self,
        campaign_id: i64,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let n = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_sends
             WHERE campaign_id = $1 AND state = 'sending' AND lease_until < $2",
        )
        .bind(campaign_id)
        .bind(now.as_millisecond())
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// One ledger row by id: (campaign, attendee, email).
    pub async fn campaign_send(self, send_id: i64) -> StoreResult<Option<(i64, i64, String)>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT campaign_id, attendee_id, email FROM campaign_sends WHERE id = $1",
        )
        .bind(send_id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// Every ledger row of a campaign, by id.
    pub async fn campaign_ledger(self, campaign_id: i64) -> StoreResult<Vec<LedgerRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, attendee_id, email, topic, tier, state, attempts, message_id, smtp_reply, last_error
             FROM campaign_sends WHERE campaign_id = $1 ORDER BY id",
        )
        .bind(campaign_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
