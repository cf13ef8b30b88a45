//! PostgreSQL's planner statistics: refreshed inside a transaction that grows its tables
//! several-fold (an organiser's import), and by a periodic pass over stale tables when the
//! server's autovacuum is off (`Store::refresh_stale_statistics`).
//!
//! PostgreSQL plans each statement from statistics that only `ANALYZE` gathers: on a table
//! that had none, or few rows when they were gathered, a lookup by a unique key can be
//! planned as a walk through every attendee of the event, and the plan is kept for the
//! connection's prepared statement. The server's autovacuum refreshes them after a commit,
//! if it is on and in its own time; an import of tens of thousands of registrations in one
//! transaction gets no such help. So a long writing transaction refreshes the statistics of
//! the tables it grows itself, inside the transaction (`ANALYZE` counts the transaction's
//! own rows, and the statements after it are planned again), at 1,000 rows written and then
//! at every fourfold, and only while the planner believes the table holds fewer rows than
//! the transaction alone has written. A table already known to be large costs one catalog
//! read per check. `ANALYZE` keeps its lock on the tables until the transaction ends, so a
//! second import refreshing at the same time would wait for the first to finish; instead
//! the refresh gives up after 200 ms (a savepoint undoes it) and is tried at the next check.
//! SQLite needs none of this: without statistics it takes a lookup on a
//! unique index to find one row, whatever the table's size.

use super::{StoreResult, Tx};

/// The first check, in rows written by the transaction; each later one is four times the last.
const FIRST_CHECK: usize = 1_000;

/// Tables whose statistics a growing transaction keeps current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grown {
    /// Registrations: attendees and the rows each brings.
    Registrations,
}

impl Grown {
    /// The table whose believed size decides, then every table to analyze.
    fn tables(self) -> (&'static str, &'static str) {
        match self {
            Grown::Registrations => (
                "attendees",
                "attendees, attendee_interests, consents, badges, mail_queue",
            ),
        }
    }
}

/// Follows one transaction's writes and refreshes the statistics when they outgrow them.
pub(crate) struct GrowthWatch {
    grown: Grown,
    next_check: usize,
}

impl GrowthWatch {
    pub(crate) fn new(grown: Grown) -> GrowthWatch {
        GrowthWatch {
            grown,
            next_check: FIRST_CHECK,
        }
    }

    /// Called after each row the transaction wrote, with how many it has written so far.
    pub(crate) async fn wrote(&mut self, tx: &mut Tx, written: usize) -> StoreResult<()> {
        if written < self.next_check {
            return Ok(());
        }
        self.next_check = written.saturating_mul(4);
        let Tx::Postgres(t) = tx else {
            return Ok(());
        };
        let (decides, all) = self.grown.tables();
        // -1 until the table was first analyzed (or vacuumed).
        let believed: Option<f32> =
            sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)")
                .bind(decides)
                .fetch_optional(&mut **t)
                .await?;
        if believed.is_none_or(|b| f64::from(b) >= written as f64) {
            return Ok(());
        }
        // `ANALYZE` holds its lock until the transaction ends, and waits for one another
        // transaction holds (another import's refresh, a VACUUM): rather than stall behind
        // it, the refresh gives up after a moment and is tried again at the next check.
        sqlx::query("SAVEPOINT refresh_statistics")
            .execute(&mut **t)
            .await?;
        sqlx::query("SET LOCAL lock_timeout = '200ms'")
            .execute(&mut **t)
            .await?;
        let analyzed = sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {all}")))
            .execute(&mut **t)
            .await;
        match analyzed {
            Ok(_) => {
                sqlx::query("SET LOCAL lock_timeout TO DEFAULT")
                    .execute(&mut **t)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT refresh_statistics")
                    .execute(&mut **t)
                    .await?;
                tracing::debug!(table = decides, written, "planner statistics refreshed");
            }
            Err(e) => {
                // Undoes the lock timeout too.
                sqlx::query("ROLLBACK TO SAVEPOINT refresh_statistics")
                    .execute(&mut **t)
                    .await?;
                tracing::info!(table = decides, written, error = %e, "planner statistics not refreshed now; tried again later");
            }
        }
        Ok(())
    }
}

/// PostgreSQL's autovacuum analyzes a table again once more rows than this, plus
/// `STALE_SHARE` of the table, changed since it was last analyzed (its default
/// `autovacuum_analyze_threshold` and `autovacuum_analyze_scale_factor`): the refresh below
/// applies the same rule when autovacuum is off.
const STALE_ROWS: f64 = 50.0;
const STALE_SHARE: f64 = 0.1;

/// Tables of this schema that changed enough since they were last analyzed and that this
/// role may analyze (it owns them, or belongs to their owner: `ANALYZE` of another's table
/// only warns and does nothing), by name, quoted for a statement.
const STALE_TABLES: &str = "SELECT quote_ident(s.relname) FROM pg_stat_user_tables s
     JOIN pg_class c ON c.oid = s.relid
     WHERE s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE')
       AND s.n_mod_since_analyze > $1 + $2 * s.n_live_tup
     ORDER BY s.relname";

/// The key of the session-level advisory lock one refresh holds, so that instances sharing
/// the database take turns: one per schema (tests and deployments may share a database).
const REFRESH_LOCK: &str = "SELECT pg_try_advisory_lock(hashtextextended('badgetrail statistics ' || current_schema(), 0))";
const REFRESH_UNLOCK: &str =
    "SELECT pg_advisory_unlock(hashtextextended('badgetrail statistics ' || current_schema(), 0))";

impl super::Store {
    /// Analyzes the tables whose planner statistics went stale, by autovacuum's own default
    /// rule, and returns their names: what keeps the plans of a PostgreSQL server whose
    /// autovacuum is off right as registrations arrive one at a time over the web (an import
    /// refreshes its own, `GrowthWatch`). One instance at a time: another that finds the
    /// refresh under way skips it. Each table is analyzed in its own transaction and gives
    /// up after 200 ms waiting for its lock (a VACUUM, an import's refresh), to be tried at
    /// the next call. SQLite: nothing to do.
    pub async fn refresh_stale_statistics(&self) -> StoreResult<Vec<String>> {
        let super::Pool::Postgres(p) = &self.pool else {
            return Ok(Vec::new());
        };
        let mut conn = p.acquire().await?;
        let locked: bool = sqlx::query_scalar(REFRESH_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !locked {
            return Ok(Vec::new());
        }
        let analyzed = analyze_stale(&mut conn).await;
        // Released on every path; a connection lost before this releases it with itself.
        let unlocked = sqlx::query(REFRESH_UNLOCK).execute(&mut *conn).await;
        let analyzed = analyzed?;
        unlocked?;
        Ok(analyzed)
    }

    /// Whether the database server refreshes planner statistics of its own accord
    /// (PostgreSQL's `autovacuum`); `None` on SQLite, which has no such thing to turn off.
    pub async fn server_refreshes_statistics(&self) -> StoreResult<Option<bool>> {
        match &self.pool {
            super::Pool::Sqlite(_) => Ok(None),
            super::Pool::Postgres(p) => {
                let setting: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
                    .fetch_one(p)
                    .await?;
                Ok(Some(setting == "on"))
            }
        }
    }
}

async fn analyze_stale(conn: &mut sqlx::PgConnection) -> StoreResult<Vec<String>> {
    let stale: Vec<String> = sqlx::query_scalar(STALE_TABLES)
        .bind(STALE_ROWS)
        .bind(STALE_SHARE)
        .fetch_all(&mut *conn)
        .await?;
    let mut analyzed = Vec::with_capacity(stale.len());
    for table in stale {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::query("SET LOCAL lock_timeout = '200ms'")
            .execute(&mut *tx)
            .await?;
        // The name comes from the catalog, quoted by `quote_ident`.
        match sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(&mut *tx)
            .await
        {
            Ok(_) => {
                tx.commit().await?;
                analyzed.push(table);
            }
            Err(e) => {
                tx.rollback().await?;
                tracing::info!(table, error = %e, "planner statistics not refreshed now; tried again later");
            }
        }
    }
    Ok(analyzed)
}
