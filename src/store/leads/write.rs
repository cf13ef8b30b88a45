//! Writing a build's leads: one transaction that replaces an event's leads, filled chunk by
//! chunk as the builder produces them, so a large event never has all packages in memory.

use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite};

use super::Leads;
use crate::domain::choice::or_blank;
use crate::store::{StoreError, StoreResult, Tx, leads::stored::StoredLead, on_tx};

/// An open lead write. Dropping it without `finish` rolls everything back, leaving the
/// previous leads in place.
pub struct LeadWrite {
    tx: Tx,
    build_id: i64,
    event_id: i64,
    now: i64,
    /// SQLite: the attendees written so far, whose leads `finish` keeps.
    written: Vec<i64>,
}

/// Rows per INSERT statement: 1,900 rows of 17 parameters stay below SQLite's limit of
/// 32,766 (and PostgreSQL's 65,535); the builder writes chunks of this size, one statement
/// each, so a chunk is one round trip.
pub const INSERT_CHUNK: usize = 1_900;
const _: () = assert!(INSERT_CHUNK * 17 <= 32_766);

/// SQLite: each lead replaces the attendee's previous one in place (an upsert on the
/// primary key) instead of a DELETE of the whole event first. Deleting 100,000 leads costs
/// about as much as writing them again, and nothing can be scored until it is done;
/// leads left over from the previous build go in `finish`. The rows are moved into the
/// statement: a package is a few KB, and copying each one again costs the writer time.
async fn upsert_leads(
    c: &mut sqlx::SqliteConnection,
    w: (i64, i64, i64),
    mut rest: Vec<StoredLead>,
) -> Result<(), sqlx::Error> {
    let (event_id, build_id, now) = w;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(INSERT_CHUNK));
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO leads (event_id, attendee_id, tier, top_topic, built_at, score, fit,
                 engagement, stage, topic_scores, explanation, package, owner_id, due_at,
                 build_id, next_need, genuine) ",
        );
        qb.push_values(rest, |mut b, l: StoredLead| {
            b.push_bind(event_id)
                .push_bind(l.attendee_id)
                .push_bind(l.tier)
                .push_bind(l.top_topic)
                .push_bind(now)
                .push_bind(l.score)
                .push_bind(l.fit)
                .push_bind(l.engagement)
                .push_bind(or_blank::key(l.stage))
                .push_bind(l.topic_scores)
                .push_bind(l.explanation)
                .push_bind(l.package)
                .push_bind(l.owner_id)
                .push_bind(l.due_at)
                .push_bind(build_id)
                .push_bind(l.next_need)
                .push_bind(l.genuine);
        });
        qb.push(
            " ON CONFLICT (event_id, attendee_id) DO UPDATE SET tier = excluded.tier,
                 top_topic = excluded.top_topic, built_at = excluded.built_at,
                 score = excluded.score, fit = excluded.fit, engagement = excluded.engagement,
                 stage = excluded.stage, topic_scores = excluded.topic_scores,
                 explanation = excluded.explanation, package = excluded.package,
                 owner_id = excluded.owner_id, due_at = excluded.due_at,
                 build_id = excluded.build_id, next_need = excluded.next_need,
                 genuine = excluded.genuine",
        );
        qb.build().execute(&mut *c).await?;
        rest = tail;
    }
    Ok(())
}

/// The columns of `copy_rows`, in order, as PostgreSQL's binary `COPY` format.
const COPY_LEADS: &str = "COPY leads (event_id, attendee_id, tier, top_topic, built_at, score,
     fit, engagement, stage, topic_scores, explanation, package, owner_id, due_at, build_id,
     next_need, genuine)
     FROM STDIN WITH (FORMAT binary)";

/// Leads as the binary stream of `COPY_LEADS` (PostgreSQL's "Binary Format" of COPY: a
/// signature, then per row a field count and each field as a length and its bytes in the
/// type's send format, -1 for NULL, then a trailer). Binary costs the server half of what
/// parsing CSV does, since packages are JSON full of quotes. No crate keeps this up for
/// sqlx; `tests/api/leads.rs` round-trips awkward text through it.
fn copy_rows(event_id: i64, build_id: i64, now: i64, leads: &[StoredLead]) -> Vec<u8> {
    let size: usize = leads
        .iter()
        .map(|l| {
            144 + l.tier.as_str().len()
                + or_blank::key(l.stage).len()
                + l.topic_scores.len()
                + l.genuine.len()
        })
        .chain(leads.iter().map(|l| l.explanation.len() + l.package.len()))
        .sum();
    let mut out = Vec::with_capacity(size + 32);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    let int8 = |out: &mut Vec<u8>, v: i64| {
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&v.to_be_bytes());
    };
    let float8 = |out: &mut Vec<u8>, v: f64| {
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&v.to_bits().to_be_bytes());
    };
    let text = |out: &mut Vec<u8>, v: &str| {
        // A field longer than 2 GiB cannot be a lead; the server would refuse it anyway.
        let len = i32::try_from(v.len()).unwrap_or(i32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    };
    let null = |out: &mut Vec<u8>| out.extend_from_slice(&(-1i32).to_be_bytes());
    for l in leads {
        out.extend_from_slice(&17i16.to_be_bytes());
        int8(&mut out, event_id);
        int8(&mut out, l.attendee_id);
        text(&mut out, l.tier.as_str());
        match &l.top_topic {
            Some(t) => text(&mut out, t),
            None => null(&mut out),
        }
        int8(&mut out, now);
        float8(&mut out, l.score);
        float8(&mut out, l.fit);
        float8(&mut out, l.engagement);
        text(&mut out, or_blank::key(l.stage));
        text(&mut out, &l.topic_scores);
        text(&mut out, &l.explanation);
        text(&mut out, &l.package);
        for v in [l.owner_id, l.due_at] {
            match v {
                Some(v) => int8(&mut out, v),
                None => null(&mut out),
            }
        }
        int8(&mut out, build_id);
        match &l.next_need {
            Some(t) => text(&mut out, t),
            None => null(&mut out),
        }
        text(&mut out, &l.genuine);
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

impl Leads<'_> {
    /// Opens the transaction that replaces the leads of `event_id` with build `build_id`'s.
    /// The old leads are replaced inside it, so readers see them until `finish` commits.
    pub async fn begin_lead_write(
        self,
        build_id: i64,
        event_id: i64,
        now: Timestamp,
    ) -> StoreResult<LeadWrite> {
        let mut w = LeadWrite {
            tx: Tx::begin(self.pool).await?,
            build_id,
            event_id,
            now: now.as_millisecond(),
            written: Vec::new(),
        };
        // PostgreSQL's COPY cannot replace rows, so the old leads go first; SQLite's writer
        // replaces them lead by lead.
        if let Tx::Postgres(t) = &mut w.tx {
            sqlx::query("DELETE FROM leads WHERE event_id = $1")
                .bind(event_id)
                .execute(&mut **t)
                .await?;
        }
        Ok(w)
    }
}

impl LeadWrite {
    /// Adds leads to the write: multi-row INSERTs on SQLite, one binary `COPY` on PostgreSQL
    /// (which reads a stream far faster than it binds the parameters of an INSERT).
    pub async fn write(&mut self, leads: Vec<StoredLead>) -> StoreResult<()> {
        match &mut self.tx {
            Tx::Sqlite(t) => {
                self.written.extend(leads.iter().map(|l| l.attendee_id));
                let w = (self.event_id, self.build_id, self.now);
                upsert_leads(t, w, leads).await?;
            }
            Tx::Postgres(t) => {
                if leads.is_empty() {
                    return Ok(());
                }
                let rows = copy_rows(self.event_id, self.build_id, self.now, &leads);
                let mut copy = t.copy_in_raw(COPY_LEADS).await?;
                copy.send(rows).await?;
                copy.finish().await?;
            }
        }
        Ok(())
    }

    /// Marks the build done and commits. Fails with `Conflict`, rolling back, when the
    /// build is no longer the running one (another run declared it stale and took over).
    pub async fn finish(mut self, summary: &str, insight: Option<&str>) -> StoreResult<()> {
        // On PostgreSQL, the whole set's references in one query in place of per-row foreign
        // keys (migration 0011): every lead's attendee exists and is of this event, every
        // owner is an account. SQLite checks its foreign keys row by row as they arrive.
        if let Tx::Sqlite(t) = &mut self.tx {
            // An upsert would let a second lead for one attendee silently replace the first,
            // where PostgreSQL's COPY refuses it: refuse it here too.
            self.written.sort_unstable();
            if let Some(w) = self.written.windows(2).find(|w| w[0] == w[1]) {
                return Err(StoreError::Corrupt(format!(
                    "duplicate leads for attendee {} in one build; nothing was saved",
                    w[0]
                )));
            }
            // Leads of the previous build whose attendee this build did not write.
            let keep = serde_json::to_string(&self.written)
                .map_err(|e| StoreError::Corrupt(format!("listing the written leads: {e}")))?;
            sqlx::query(
                "DELETE FROM leads WHERE event_id = $1
                   AND attendee_id NOT IN (SELECT value FROM json_each($2))",
            )
            .bind(self.event_id)
            .bind(keep)
            .execute(&mut **t)
            .await?;
        }
        if let Tx::Postgres(t) = &mut self.tx {
            let dangling: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM leads l
                 WHERE l.event_id = $1
                   AND (NOT EXISTS (SELECT 1 FROM attendees a
                                    WHERE a.id = l.attendee_id AND a.event_id = l.event_id)
                        OR (l.owner_id IS NOT NULL
                            AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.owner_id)))",
            )
            .bind(self.event_id)
            .fetch_one(&mut **t)
            .await?;
            if dangling != 0 {
                return Err(StoreError::Corrupt(format!(
                    "{dangling} leads name an attendee who is not of this event or an owner who does not exist; nothing was saved"
                )));
            }
        }
        let claimed = on_tx!(&mut self.tx, c => sqlx::query(
            "UPDATE lead_builds SET state = 'done', finished_at = $2, heartbeat_at = $2,
                 done = total, summary = $3, insight = $4
             WHERE id = $1 AND state = 'running'",
        )
        .bind(self.build_id)
        .bind(self.now)
        .bind(summary)
        .bind(insight)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        if claimed != 1 {
            return Err(StoreError::Conflict(
                "this lead build was stopped; its results were not saved".into(),
            ));
        }
        Ok(self.tx.commit().await?)
    }
}
