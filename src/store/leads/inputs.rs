//! What the lead builder reads: the programme with topic weights, attendees in id order,
//! their declared interests, accepted scans by attendee range and email engagement. Erased
//! people are never read: nobody becomes a lead again after asking to be forgotten.

use sqlx::FromRow;

use super::Leads;
use crate::domain::{attendee::Answers, programme::SessionKind};
use crate::store::{Sql, StoreResult, on_pool};

/// One session as the builder needs it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LeadSession {
    pub id: i64,
    pub external_id: String,
    pub title: String,
    pub kind: SessionKind,
    /// JSON list of names.
    pub speakers: String,
    pub room_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// The registration facts the builder scores.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LeadAttendee {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(flatten)]
    pub answers: Answers,
}

/// An accepted scan: session, entry (else exit), scan time (unix ms).
pub type LeadScan = (i64, bool, i64);

/// The scans `Leads::lead_scans` packed for one attendee; malformed parts are skipped.
pub fn unpack_scans(packed: &str) -> impl Iterator<Item = LeadScan> + '_ {
    packed.split(',').filter_map(|part| {
        let mut f = part.split(':');
        let session = f.next()?.parse().ok()?;
        let entry = f.next()? == "1";
        let at = f.next()?.parse().ok()?;
        Some((session, entry, at))
    })
}

/// One row per attendee of a range, their accepted scans packed as text (`unpack_scans`).
const LEAD_SCANS: Sql = Sql {
    sqlite: "SELECT attendee_id,
                    group_concat(session_id || ':' || (direction = 'entry') || ':' || scanned_at, ',')
             FROM scans
             WHERE decision = 'accepted' AND attendee_id >= $1 AND attendee_id <= $2
               AND session_id IS NOT NULL
             GROUP BY attendee_id ORDER BY attendee_id",
    postgres: "SELECT attendee_id,
                      string_agg(session_id || ':' || (direction = 'entry')::int || ':' || scanned_at, ',')
               FROM scans
               WHERE decision = 'accepted' AND attendee_id >= $1 AND attendee_id <= $2
                 AND session_id IS NOT NULL
               GROUP BY attendee_id ORDER BY attendee_id",
};

/// Run before `LEAD_SCANS` in its read transaction. On PostgreSQL the one good plan is to
/// walk the attendee index in order and aggregate as it goes. Fresh statistics after a day
/// of scans make the planner pick a parallel scan of the whole table per page instead,
/// missing ones a hash aggregate spilled to disk, and JIT compiles each page for a second:
/// these transaction-local settings take those choices away. SQLite plans it well as it is.
const LEAD_SCANS_PLAN: Sql = Sql {
    sqlite: "SELECT 1",
    postgres: "SELECT set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true),
                 set_config('enable_bitmapscan', 'off', true), set_config('enable_hashagg', 'off', true),
                 set_config('enable_sort', 'off', true)",
};

impl Leads<'_> {
    /// Topic id, slug and name, in programme order.
    pub async fn lead_topics(self, event_id: i64) -> StoreResult<Vec<(i64, String, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, slug, name FROM topics WHERE event_id = $1 ORDER BY position, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    pub async fn lead_sessions(self, event_id: i64) -> StoreResult<Vec<LeadSession>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, external_id, title, kind, speakers, room_id, starts_at, ends_at
             FROM sessions WHERE event_id = $1 ORDER BY starts_at, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Session id, topic id and weight.
    pub async fn lead_session_topics(self, event_id: i64) -> StoreResult<Vec<(i64, i64, f64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT st.session_id, st.topic_id, st.weight FROM session_topics st
             JOIN sessions s ON s.id = st.session_id WHERE s.event_id = $1
             ORDER BY st.session_id, st.topic_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    pub async fn lead_attendee_count(self, event_id: i64) -> StoreResult<i64> {
        let n = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM attendees WHERE event_id = $1 AND erased_at IS NULL",
        )
            .bind(event_id)
            .fetch_one(p)
            .await)?;
        Ok(n)
    }

    /// The first attendee id of each run of `every` attendees of the event, in id order:
    /// the boundaries of the pages a build reads (two at a time).
    pub async fn lead_page_starts(self, event_id: i64, every: i64) -> StoreResult<Vec<i64>> {
        let rows = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n
                             FROM attendees WHERE event_id = $1 AND erased_at IS NULL) t
             WHERE (n - 1) % $2 = 0 ORDER BY id",
        )
        .bind(event_id)
        .bind(every)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The event's attendees with ids from `first` up to (not including) `end`, by id.
    pub async fn lead_attendees(
        self,
        event_id: i64,
        first: i64,
        end: i64,
    ) -> StoreResult<Vec<LeadAttendee>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, email, name, company, job_title, decision_role, purchase_stage, industry,
                    company_size, country
             FROM attendees WHERE event_id = $1 AND id >= $2 AND id < $3 AND erased_at IS NULL
             ORDER BY id",
        )
        .bind(event_id)
        .bind(first)
        .bind(end)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Attendee id and topic id of every interest declared at registration.
    pub async fn lead_declared_interests(self, event_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT ai.attendee_id, ai.topic_id FROM attendee_interests ai
             JOIN attendees a ON a.id = ai.attendee_id WHERE a.event_id = $1",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Accepted scans of attendees with ids from `first` to `last`, one row per attendee
    /// with their scans packed as `session:entry:scanned_at` (entry 1 or 0) separated by
    /// `,` (see `unpack_scans`): a row per scan costs far more to decode than the text.
    /// Attendees belong to one event, so the range alone selects the event's scans; it
    /// reads only the partial index of accepted scans, in its order.
    pub async fn lead_scans(self, first: i64, last: i64) -> StoreResult<Vec<(i64, String)>> {
        let rows = on_pool!(self, LEAD_SCANS, (p, sql) => async {
            let mut tx = p.begin().await?;
            sqlx::query(LEAD_SCANS_PLAN.text(self.pool)).execute(&mut *tx).await?;
            let rows = sqlx::query_as(sql).bind(first).bind(last).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(rows)
        }
        .await)?;
        Ok(rows)
    }

    /// Attendee id, follow-up emails opened and links clicked, for attendees with any.
    pub async fn lead_email_engagement(self, event_id: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT e.attendee_id,
                    COUNT(*) FILTER (WHERE e.kind = 'open'),
                    COUNT(*) FILTER (WHERE e.kind = 'click')
             FROM campaign_engagements e JOIN attendees a ON a.id = e.attendee_id
             WHERE a.event_id = $1 GROUP BY e.attendee_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Id and login name of every enabled account that may own leads.
    pub async fn lead_owner_ids(self) -> StoreResult<Vec<(i64, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username FROM users
             WHERE disabled_at IS NULL AND role IN ('sales', 'marketer', 'admin')",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
