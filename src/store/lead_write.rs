//! Writing a build's leads: one transaction that replaces an event's leads, filled chunk by
//! chunk as the builder produces them, so a large event never has all packages in memory.

use jiff::Timestamp;
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use super::{Pool, Store, StoreError, StoreResult, leads::StoredLead};

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open lead write. Dropping it without `finish` rolls everything back, leaving the
/// previous leads in place.
pub struct LeadWrite {
    tx: Tx,
    build_id: i64,
    event_id: i64,
    now: i64,
}

/// Rows per INSERT statement: 2,000 rows of 15 parameters stay below SQLite's limit of
/// 32,766 (and PostgreSQL's 65,535); the builder writes chunks of this size, one statement
/// each, so a chunk is one round trip.
pub const INSERT_CHUNK: usize = 2_000;

macro_rules! on_tx {
    ($w:expr, $c:ident => $body:expr) => {
        match &mut $w.tx {
            Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

macro_rules! insert_leads {
    ($db:ty, $c:expr, $w:expr, $leads:expr) => {{
        for chunk in $leads.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                "INSERT INTO leads (event_id, attendee_id, tier, top_topic, built_at, score, fit,
                     engagement, stage, topic_scores, explanation, package, owner_id, due_at,
                     build_id) ",
            );
            qb.push_values(chunk, |mut b, l: &StoredLead| {
                b.push_bind($w.event_id)
                    .push_bind(l.attendee_id)
                    .push_bind(l.tier.clone())
                    .push_bind(l.top_topic.clone())
                    .push_bind($w.now)
                    .push_bind(l.score)
                    .push_bind(l.fit)
                    .push_bind(l.engagement)
                    .push_bind(l.stage.clone())
                    .push_bind(l.topic_scores.clone())
                    .push_bind(l.explanation.clone())
                    .push_bind(l.package.clone())
                    .push_bind(l.owner_id)
                    .push_bind(l.due_at)
                    .push_bind($w.build_id);
            });
            qb.build().execute(&mut *$c).await?;
        }
    }};
}

/// The columns of `copy_rows`, in order. Empty text columns stay empty strings; an empty
/// `top_topic`, `owner_id` or `due_at` is NULL (a top topic is never the empty slug).
const COPY_LEADS: &str = "COPY leads (event_id, attendee_id, tier, top_topic, built_at, score,
     fit, engagement, stage, topic_scores, explanation, package, owner_id, due_at, build_id)
     FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (tier, stage, topic_scores, explanation, package))";

/// Leads as the CSV stream of `COPY_LEADS`.
fn copy_rows(event_id: i64, build_id: i64, now: i64, leads: &[StoredLead]) -> StoreResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(leads.len() * 3_000));
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for l in leads {
        w.write_record([
            event_id.to_string().as_str(),
            &l.attendee_id.to_string(),
            &l.tier,
            l.top_topic.as_deref().unwrap_or(""),
            &now.to_string(),
            &l.score.to_string(),
            &l.fit.to_string(),
            &l.engagement.to_string(),
            &l.stage,
            &l.topic_scores,
            &l.explanation,
            &l.package,
            &opt(l.owner_id),
            &opt(l.due_at),
            &build_id.to_string(),
        ])
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    }
    Ok(w.into_inner()
        .map_err(|e| sqlx::Error::Encode(Box::new(e.into_error())))?)
}

impl Store {
    /// Opens the transaction that replaces the leads of `event_id` with build `build_id`'s.
    /// The old leads are deleted inside it, so readers see them until `finish` commits.
    pub async fn begin_lead_write(
        &self,
        build_id: i64,
        event_id: i64,
        now: Timestamp,
    ) -> StoreResult<LeadWrite> {
        let tx = match &self.pool {
            Pool::Sqlite(pools) => Tx::Sqlite(super::sqlite::begin_write(&pools.write).await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        };
        let mut w = LeadWrite {
            tx,
            build_id,
            event_id,
            now: now.as_millisecond(),
        };
        on_tx!(w, c => sqlx::query("DELETE FROM leads WHERE event_id = $1")
            .bind(event_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(w)
    }
}

impl LeadWrite {
    /// Adds leads to the write: multi-row INSERTs on SQLite, one `COPY` on PostgreSQL (which
    /// parses a CSV stream far faster than it binds the parameters of an INSERT).
    pub async fn write(&mut self, leads: &[StoredLead]) -> StoreResult<()> {
        match &mut self.tx {
            Tx::Sqlite(t) => insert_leads!(Sqlite, &mut **t, self, leads),
            Tx::Postgres(t) => {
                if leads.is_empty() {
                    return Ok(());
                }
                let rows = copy_rows(self.event_id, self.build_id, self.now, leads)?;
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
        let claimed = on_tx!(self, c => sqlx::query(
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
        match self.tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}
