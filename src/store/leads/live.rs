//! Live leads while the event runs: what an update of a few attendees reads (their
//! registration facts, interests, engagement, lead before and accepted scans, by id), the live rows it
//! writes, the watch rules, and hot-lead alerts claimed once per rule, person and window.
//! Id lists travel as one JSON array parameter, unpacked by the database.

use sqlx::FromRow;

use super::Leads;
use crate::domain::leads::package::Tier;
use crate::store::{
    LeadAttendee, Sql, StoreError, StoreResult, Tx, in_tx, on_pool, on_tx, on_writer,
};

/// One attendee's live state, as stored.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LiveLeadRow {
    pub attendee_id: i64,
    pub event_id: i64,
    pub tier: Tier,
    pub score: f64,
    pub top_topic: Option<String>,
    /// `slug:score;...` as in `leads`, strongest first.
    pub topic_scores: String,
    /// The newest accepted scan the row reflects.
    pub scan_seen: i64,
    pub updated_at: i64,
}

/// What a person's lead was before an update, and who owns it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LiveBefore {
    pub attendee_id: i64,
    pub live_tier: Option<Tier>,
    pub built_tier: Option<Tier>,
    pub owner_id: Option<i64>,
}

/// One attendee as a live update reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePerson {
    pub attendee: LeadAttendee,
    /// Topic ids ticked at registration.
    pub interests: Vec<i64>,
    /// Follow-up emails opened and links clicked.
    pub opens: i64,
    pub clicks: i64,
    pub before: LiveBefore,
    /// Accepted scans packed as `unpack_scans` reads them, and the newest one's id (0 for
    /// none).
    pub scans: String,
    pub scan_seen: i64,
}

#[derive(FromRow)]
struct PersonRow {
    #[sqlx(flatten)]
    attendee: LeadAttendee,
    interests: Option<String>,
    opens: i64,
    clicks: i64,
    #[sqlx(flatten)]
    before: LiveBefore,
    /// `newest id/packed scans`, or `NULL` for none.
    scans: Option<String>,
}

impl PersonRow {
    fn checked(self) -> StoreResult<LivePerson> {
        let interests = self
            .interests
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse()
                    .map_err(|_| StoreError::Corrupt(format!("interest topic id '{t}'")))
            })
            .collect::<StoreResult<Vec<i64>>>()?;
        let (scan_seen, scans) = match self.scans.as_deref() {
            None => (0, String::new()),
            Some(packed) => {
                let (seen, scans) = packed
                    .split_once('/')
                    .ok_or_else(|| StoreError::Corrupt(format!("live scans '{packed}'")))?;
                let seen = seen
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("newest scan id '{seen}'")))?;
                (seen, scans.to_owned())
            }
        };
        Ok(LivePerson {
            attendee: self.attendee,
            interests,
            opens: self.opens,
            clicks: self.clicks,
            before: self.before,
            scans,
            scan_seen,
        })
    }
}

/// An alert to claim.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub attendee_id: i64,
    pub rule: String,
    pub trigger: &'static str,
    /// Whom to tell: one alert row each; `None` for an alert nobody is told of by email
    /// (it still shows on the hot-now page of marketers and admins).
    pub recipients: Vec<Option<i64>>,
    pub session_id: Option<i64>,
    pub reason: String,
    /// Earlier alerts of the rule for the person must be older than this (the window).
    pub window_start: i64,
    /// `pending` to email each recipient, else `none`.
    pub email_state: &'static str,
    pub webhook_state: &'static str,
}

/// An alert with what its page, email and webhook say.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AlertRecord {
    pub id: i64,
    pub event_id: i64,
    pub event_slug: String,
    pub event_name: String,
    pub time_zone: String,
    pub attendee_id: i64,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub rule: String,
    pub trigger: String,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub session_title: Option<String>,
    pub room: Option<String>,
    pub reason: String,
    pub created_at: i64,
    pub email_state: String,
    pub webhook_state: String,
    /// The live tier.
    pub tier: Option<String>,
    /// The tier of the last build, when the person has a built lead (and so a package page).
    pub built_tier: Option<String>,
}

/// One row per listed attendee of the event (not erased): registration facts, topic ids
/// ticked (comma-separated), follow-up emails opened and links clicked, the lead before the
/// update, and the accepted scans packed as `Leads::lead_scans` packs them, after the newest
/// one's id and a slash (one walk of the index for both). One row each: every row costs the
/// worker a hand-over from the database's thread, more than the subqueries cost the database.
const PEOPLE: Sql = Sql {
    sqlite: "SELECT a.id, a.email, a.name, a.company, a.job_title, a.decision_role,
                    a.purchase_stage, a.industry, a.company_size, a.country,
                    (SELECT group_concat(ai.topic_id, ',') FROM attendee_interests ai
                      WHERE ai.attendee_id = a.id) AS interests,
                    (SELECT COUNT(*) FROM campaign_engagements e
                      WHERE e.attendee_id = a.id AND e.kind = 'open') AS opens,
                    (SELECT COUNT(*) FROM campaign_engagements e
                      WHERE e.attendee_id = a.id AND e.kind = 'click') AS clicks,
                    a.id AS attendee_id, ll.tier AS live_tier, l.tier AS built_tier, l.owner_id,
                    (SELECT MAX(s.id) || '/' || group_concat(s.session_id || ':'
                              || (s.direction = 'entry') || ':' || s.scanned_at, ',')
                       FROM scans s INDEXED BY scans_accepted
                      WHERE s.attendee_id = a.id AND s.decision = 'accepted'
                        AND s.session_id IS NOT NULL) AS scans
             FROM json_each($2) AS j CROSS JOIN attendees a ON a.id = j.value
             LEFT JOIN live_leads ll ON ll.attendee_id = a.id
             LEFT JOIN leads l ON l.event_id = $1 AND l.attendee_id = a.id
             WHERE a.event_id = $1 AND a.erased_at IS NULL ORDER BY a.id",
    postgres: "SELECT a.id, a.email, a.name, a.company, a.job_title, a.decision_role,
                      a.purchase_stage, a.industry, a.company_size, a.country,
                      (SELECT string_agg(ai.topic_id::text, ',') FROM attendee_interests ai
                        WHERE ai.attendee_id = a.id) AS interests,
                      (SELECT COUNT(*) FROM campaign_engagements e
                        WHERE e.attendee_id = a.id AND e.kind = 'open') AS opens,
                      (SELECT COUNT(*) FROM campaign_engagements e
                        WHERE e.attendee_id = a.id AND e.kind = 'click') AS clicks,
                      a.id AS attendee_id, ll.tier AS live_tier, l.tier AS built_tier, l.owner_id,
                      (SELECT MAX(k.id) || '/' || string_agg(k.session_id || ':'
                                || (k.direction = 'entry')::int || ':' || k.scanned_at, ',')
                         FROM scans k
                        WHERE k.attendee_id = a.id AND k.decision = 'accepted'
                          AND k.session_id IS NOT NULL) AS scans
               FROM json_array_elements_text($2::json) AS j JOIN attendees a ON a.id = j::bigint
               LEFT JOIN live_leads ll ON ll.attendee_id = a.id
               LEFT JOIN leads l ON l.event_id = $1 AND l.attendee_id = a.id
               WHERE a.event_id = $1 AND a.erased_at IS NULL ORDER BY a.id",
};

/// The first number of the PostgreSQL advisory lock live writes share and an erasure takes
/// alone: "live" in ASCII (the door's groups lock in a class of their own).
pub(crate) const LIVE_LOCK_CLASS: i32 = 0x6c69_7665;

/// Taken by an erasure on PostgreSQL before it deletes the live row, until its commit.
pub(crate) const ERASURE_LOCK: &str = "SELECT pg_advisory_xact_lock($1, 0)";

/// The live write's columns, before the rows it selects.
macro_rules! upsert_into {
    () => {
        "INSERT INTO live_leads (attendee_id, event_id, tier, score, top_topic, topic_scores,
           scan_seen, updated_at) "
    };
}

/// The live write after its rows: not for the erased, never back to fewer scans.
macro_rules! upsert_rest {
    () => {
        " WHERE a.erased_at IS NULL
         ON CONFLICT (attendee_id) DO UPDATE SET tier = excluded.tier, score = excluded.score,
           top_topic = excluded.top_topic, topic_scores = excluded.topic_scores,
           scan_seen = excluded.scan_seen, updated_at = excluded.updated_at
         WHERE live_leads.scan_seen <= excluded.scan_seen"
    };
}

/// Live rows per statement: one JSON array of rows, each an array in the order of
/// `LiveLeadRow`'s fields. The text is the same for every write, so the database plans it
/// once per connection; on PostgreSQL, 100 rows as 900 bound parameters, a text of its own for
/// each row count, cost 15 us a row, parsing and planning included.
const UPSERT: Sql = Sql {
    sqlite: concat!(
        upsert_into!(),
        "SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4,
                j.value ->> 5, j.value ->> 6, j.value ->> 7
         FROM json_each($1) AS j JOIN attendees a ON a.id = j.value ->> 0",
        upsert_rest!()
    ),
    postgres: concat!(
        upsert_into!(),
        "SELECT (j ->> 0)::bigint, (j ->> 1)::bigint, j ->> 2, (j ->> 3)::float8, j ->> 4,
                j ->> 5, (j ->> 6)::bigint, (j ->> 7)::bigint
         FROM json_array_elements($1::json) AS j JOIN attendees a ON a.id = (j ->> 0)::bigint",
        upsert_rest!()
    ),
};

/// Live rows per statement (the worker writes at most this many at once).
const UPSERT_ROWS: usize = 500;

/// `rows` as the JSON array `UPSERT` reads.
fn rows_json(rows: &[LiveLeadRow]) -> StoreResult<String> {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.attendee_id,
                r.event_id,
                r.tier.as_str(),
                r.score,
                r.top_topic.as_deref(),
                r.topic_scores.as_str(),
                r.scan_seen,
                r.updated_at,
            )
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("live rows: {e}")))
}

/// The columns of `AlertRecord`, for the alert reads below.
macro_rules! alert_select {
    () => {
        "SELECT al.id, al.event_id, e.slug AS event_slug, e.name AS event_name,
        e.time_zone, al.attendee_id, a.name, a.company, a.job_title, al.rule, al.trigger,
        al.owner_id, u.username AS owner, u.display_name AS owner_name, u.email AS owner_email,
        s.title AS session_title, r.name AS room, al.reason, al.created_at, al.email_state,
        al.webhook_state, ll.tier, l.tier AS built_tier
     FROM lead_alerts al
     JOIN events e ON e.id = al.event_id
     JOIN attendees a ON a.id = al.attendee_id
     LEFT JOIN users u ON u.id = al.owner_id
     LEFT JOIN sessions s ON s.id = al.session_id
     LEFT JOIN rooms r ON r.id = s.room_id
     LEFT JOIN live_leads ll ON ll.attendee_id = al.attendee_id
     LEFT JOIN leads l ON l.event_id = al.event_id AND l.attendee_id = al.attendee_id"
    };
}

const ALERTS_BY_ID: Sql = Sql {
    sqlite: concat!(
        alert_select!(),
        " WHERE al.id IN (SELECT value FROM json_each($1)) ORDER BY al.id"
    ),
    postgres: concat!(
        alert_select!(),
        " WHERE al.id IN (SELECT j::bigint FROM json_array_elements_text($1::json) AS j) ORDER BY al.id"
    ),
};

const HOT: &str = concat!(
    alert_select!(),
    " WHERE al.created_at >= $1
       AND (CAST($2 AS BIGINT) IS NULL OR al.owner_id = $2)
       AND (CAST($3 AS BIGINT) IS NULL OR al.event_id = $3)
     ORDER BY al.created_at DESC, al.id DESC LIMIT $4"
);

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("ids are plain numbers")
}

impl Leads<'_> {
    /// The listed attendees of the event (not erased), by id: what a live update scores
    /// and compares with.
    pub async fn live_people(self, event_id: i64, ids: &[i64]) -> StoreResult<Vec<LivePerson>> {
        let sql = PEOPLE.text(self.pool);
        let rows: Vec<PersonRow> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(event_id)
            .bind(ids_json(ids))
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(PersonRow::checked).collect()
    }

    /// Stores live rows; a row from fewer scans than the stored one is left out, and so is
    /// the row of a person erased meanwhile (read, scored, then erased before this write).
    pub async fn write_live_leads(self, rows: &[LiveLeadRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // On SQLite the statement takes the live file's write lock before it reads
        // `attendees` (the live file is the writer's first database): an erasure committed
        // before that is seen, and one committed after it deletes the row once this
        // transaction ends. On PostgreSQL an advisory lock does the same (below).
        let mut tx = Tx::begin_live(self.pool).await?;
        if let Tx::Postgres(t) = &mut tx {
            // Shared with other live writes, exclusive for an erasure (`ERASURE_LOCK`): an
            // erasure under way is committed before this write reads `attendees`.
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1, 0)")
                .bind(LIVE_LOCK_CLASS)
                .execute(&mut **t)
                .await?;
        }
        let out: StoreResult<()> = on_tx!(&mut tx, c => async {
            for chunk in rows.chunks(UPSERT_ROWS) {
                sqlx::query(UPSERT.text(self.pool))
                    .bind(rows_json(chunk)?)
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        }
        .await);
        match out {
            Ok(()) => Ok(tx.commit().await?),
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    /// Deletes an erased person's live lead. On SQLite the live file is not part of the
    /// erasure's transaction: this runs after its commit (and `Store::migrate` deletes what
    /// a stop between the two left).
    pub(crate) async fn delete_live_lead(self, attendee_id: i64) -> StoreResult<()> {
        let mut tx = Tx::begin_live(self.pool).await?;
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM live_leads WHERE attendee_id = $1")
            .bind(attendee_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(())
    }

    /// One attendee's live lead, if the event has run with live updates.
    pub async fn live_lead(self, attendee_id: i64) -> StoreResult<Option<LiveLeadRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, event_id, tier, score, top_topic, topic_scores, scan_seen,
                    updated_at
             FROM live_leads WHERE attendee_id = $1",
        )
        .bind(attendee_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Every live lead of an event, by attendee id.
    pub async fn live_leads(self, event_id: i64) -> StoreResult<Vec<LiveLeadRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT ll.attendee_id, ll.event_id, ll.tier, ll.score, ll.top_topic,
                    ll.topic_scores, ll.scan_seen, ll.updated_at
             FROM attendees a JOIN live_leads ll ON ll.attendee_id = a.id
             WHERE a.event_id = $1 ORDER BY a.id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?)
    }

    /// Attendees of the event whose newest accepted scan is not yet in their live lead
    /// (updates lost when an instance stopped between a commit and its update).
    pub async fn live_behind(self, event_id: i64, limit: i64) -> StoreResult<Vec<i64>> {
        Ok(on_pool!(self, p => sqlx::query_scalar(
            "SELECT s.attendee_id FROM scans s
             JOIN attendees a ON a.id = s.attendee_id AND a.erased_at IS NULL
             LEFT JOIN live_leads ll ON ll.attendee_id = s.attendee_id
             WHERE s.event_id = $1 AND s.decision = 'accepted' AND s.session_id IS NOT NULL
               AND s.attendee_id IS NOT NULL AND s.id > COALESCE(ll.scan_seen, 0)
             GROUP BY s.attendee_id ORDER BY s.attendee_id LIMIT $2",
        )
        .bind(event_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// The event's watch file: its text, who saved it and when.
    pub async fn watch_rules(self, event_id: i64) -> StoreResult<Option<(String, String, i64)>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT body, updated_by, updated_at FROM watch_rules WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Replaces the event's watch file (checked by the caller).
    pub async fn set_watch_rules(
        self,
        event_id: i64,
        body: &str,
        by: &str,
        at: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "INSERT INTO watch_rules (event_id, body, updated_by, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (event_id) DO UPDATE SET body = excluded.body,
               updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(event_id)
        .bind(body)
        .bind(by)
        .bind(at)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Claims and records each alert whose rule has not told about the person within its
    /// window; returns the ids of the alerts recorded. Several instances may claim the same
    /// alert at once: the mark moves forward for one of them only.
    pub async fn claim_alerts(
        self,
        event_id: i64,
        alerts: &[NewAlert],
        now: i64,
    ) -> StoreResult<Vec<i64>> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let ids = in_tx!(self, tx => {
            let mut ids = Vec::new();
            for a in alerts {
                let claimed: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO lead_alert_marks (event_id, rule, attendee_id, last_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (event_id, rule, attendee_id) DO UPDATE SET last_at = excluded.last_at
                     WHERE lead_alert_marks.last_at <= $5
                     RETURNING attendee_id",
                )
                .bind(event_id)
                .bind(&a.rule)
                .bind(a.attendee_id)
                .bind(now)
                .bind(a.window_start)
                .fetch_optional(&mut *tx)
                .await?;
                if claimed.is_none() {
                    continue;
                }
                for (n, owner) in a.recipients.iter().enumerate() {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO lead_alerts (event_id, attendee_id, rule, trigger, owner_id,
                       session_id, reason, created_at, email_state, webhook_state)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(event_id)
                .bind(a.attendee_id)
                .bind(&a.rule)
                .bind(a.trigger)
                .bind(owner)
                .bind(a.session_id)
                .bind(&a.reason)
                .bind(now)
                .bind(if owner.is_some() { a.email_state } else { "none" })
                // One webhook post an alert, however many people are told.
                .bind(if n == 0 { a.webhook_state } else { "none" })
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
                }
            }
            ids
        });
        Ok(ids)
    }

    /// Takes alerts still to email or post (recorded, or left by an instance that stopped
    /// before its lease ran out), leasing them until `lease_until`.
    pub async fn lease_pending_alerts(
        self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<AlertRecord>> {
        let ids: Vec<i64> = in_tx!(self, tx => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM lead_alerts
                 WHERE (email_state = 'pending' OR webhook_state = 'pending')
                   AND (lease_until IS NULL OR lease_until < $1)
                 ORDER BY id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            // The lease is taken only if nobody took it since the read: on PostgreSQL a
            // second instance's update waits for the first's commit, then finds the row
            // leased and takes nothing, so an alert is delivered once.
            let mut leased = Vec::with_capacity(ids.len());
            for id in ids {
                let taken: Option<i64> = sqlx::query_scalar(
                    "UPDATE lead_alerts SET lease_until = $2
                     WHERE id = $1 AND (lease_until IS NULL OR lease_until < $3)
                       AND (email_state = 'pending' OR webhook_state = 'pending')
                     RETURNING id",
                )
                .bind(id)
                .bind(lease_until)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                leased.extend(taken);
            }
            leased
        });
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = ALERTS_BY_ID.text(self.pool);
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(ids_json(&ids)).fetch_all(p).await)?)
    }

    /// Records how an alert's email and webhook went.
    pub async fn finish_alert(
        self,
        id: i64,
        email_state: &str,
        webhook_state: &str,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE lead_alerts SET email_state = $2, webhook_state = $3, lease_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(email_state)
        .bind(webhook_state)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The newest alerts since `since`: of one owner (or every owner's with `None`), of one
    /// event or all.
    pub async fn hot_alerts(
        self,
        owner_id: Option<i64>,
        event_id: Option<i64>,
        since: i64,
        limit: i64,
    ) -> StoreResult<Vec<AlertRecord>> {
        Ok(on_pool!(self, p => sqlx::query_as(HOT)
            .bind(since)
            .bind(owner_id)
            .bind(event_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
