//! The SQLite backend: one file in WAL mode, many readers and one writer connection, and
//! the live leads in a file of their own with its own writer.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Connection, SqliteConnection, SqlitePool, Transaction,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
/// The live file's schema (`Pools::live`).
pub static LIVE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite_live");

/// SQLite allows one writer at a time. Writers that contend for the file lock wait in
/// SQLite's busy handler, which sleeps in steps of up to 100 ms: fine for correctness, bad
/// for tail latency. So all writes go through one pooled connection, where waiting writers
/// queue in order and wake as soon as it is free; reads use the other connections.
///
/// The live leads (`live_leads`, rewritten for every scanned attendee while doors run) are
/// derived from the scans and live in a file of their own beside the database, named after
/// it with `-live` appended, with its own writer connection: SQLite's write lock is one per
/// file, so their writes never make the door's scan groups wait. Readers attach that file as
/// `live`, so statements name `live_leads` as on PostgreSQL; the live writer attaches the
/// database as `core`, to read who is erased.
#[derive(Clone)]
pub struct Pools {
    pub read: SqlitePool,
    pub write: SqlitePool,
    pub live: SqlitePool,
    /// The live file's options, for its migrations (boxed: the pools stay small to move).
    live_options: Arc<SqliteConnectOptions>,
}

pub async fn connect(url: &str, max_connections: u32) -> Result<Pools, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL keeps every committed transaction across a process crash; only an
        // OS crash or power loss can lose the last few, which is the trade SQLite documents.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Pages are read through a memory map instead of a copy per read call.
        .pragma("mmap_size", "268435456");
    // The writer connects first so that it creates the file and switches it to WAL. It keeps
    // statement journals in memory (a multi-row insert in a transaction needs one, and on
    // disk it costs a temporary-file write per page) and a 64 MiB page cache, so the index
    // pages that group commits touch stay in memory between transactions.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(
            options
                .clone()
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-65536"),
        )
        .await?;
    let main_file = options.get_filename().to_owned();
    let mut live_file = main_file.clone().into_os_string();
    live_file.push("-live");
    let live_options = options
        .clone()
        .filename(&live_file)
        .foreign_keys(false)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-65536");
    // The live writer reads `attendees` in the database and never writes it: the database is
    // attached read-only (a URI with `mode=ro`; sqlx opens connections with URI names on),
    // so a write through it by mistake fails instead of taking the database's write lock.
    let core = read_only_uri(&main_file)?;
    let live = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            let core = core.clone();
            Box::pin(async move { attach(conn, &core, "ATTACH DATABASE $1 AS core").await })
        })
        .connect_with(live_options.clone())
        .await?;
    // The readers cannot write: a statement that writes through `on_pool!` by mistake fails
    // (SQLITE_READONLY) instead of racing the writer connection for the file lock.
    let live_name = live_file.to_string_lossy().into_owned();
    let read = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .after_connect(move |conn, _| {
            let live = live_name.clone();
            Box::pin(async move { attach(conn, &live, "ATTACH DATABASE $1 AS live").await })
        })
        .connect_with(options.pragma("query_only", "ON"))
        .await?;
    Ok(Pools {
        read,
        write,
        live,
        live_options: Arc::new(live_options),
    })
}

/// `file` as an SQLite URI that opens it read-only: its absolute path, percent-encoded.
fn read_only_uri(file: &std::path::Path) -> Result<String, sqlx::Error> {
    let path = std::path::absolute(file).map_err(sqlx::Error::Io)?;
    let mut uri = url::Url::from_file_path(&path).map_err(|()| {
        sqlx::Error::Configuration(format!("no file URI for {}", path.display()).into())
    })?;
    uri.set_query(Some("mode=ro"));
    Ok(uri.into())
}

/// Runs an `ATTACH DATABASE $1 AS name` statement for `file`.
async fn attach(
    conn: &mut SqliteConnection,
    file: &str,
    statement: &'static str,
) -> Result<(), sqlx::Error> {
    sqlx::query(statement)
        .bind(file)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Brings the live file's schema up to date, on a connection of its own with nothing
/// attached.
pub async fn migrate_live(pools: &Pools) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = SqliteConnection::connect_with(&pools.live_options).await?;
    LIVE_MIGRATOR.run(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Copies the live rows an older version kept in the database itself over to the live file
/// (before the migration that drops them there runs).
pub async fn move_live_rows(pools: &Pools) -> Result<(), sqlx::Error> {
    let old: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM core.sqlite_master WHERE type = 'table' AND name = 'live_leads'",
    )
    .fetch_one(&pools.live)
    .await?;
    if old > 0 {
        sqlx::query(
            "INSERT INTO main.live_leads (attendee_id, event_id, tier, score, top_topic,
               topic_scores, scan_seen, updated_at)
             SELECT attendee_id, event_id, tier, score, top_topic, topic_scores, scan_seen,
                    updated_at
             FROM core.live_leads WHERE true
             ON CONFLICT (attendee_id) DO NOTHING",
        )
        .execute(&pools.live)
        .await?;
    }
    Ok(())
}

/// Deletes the live rows of people erased or gone: an erasure that stopped between its
/// commit and the live file's delete leaves nothing behind past the next start.
pub async fn drop_erased_live(pools: &Pools) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM main.live_leads WHERE attendee_id NOT IN
           (SELECT id FROM core.attendees WHERE erased_at IS NULL)",
    )
    .execute(&pools.live)
    .await?
    .rows_affected())
}

/// Starts a transaction that takes the write lock at once. A deferred transaction that reads
/// first and writes later can fail with SQLITE_BUSY under concurrency instead of waiting.
pub async fn begin_write(
    pool: &SqlitePool,
) -> Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_live_writer_reads_the_database_and_cannot_write_it() {
        // A folder name SQLite's URIs must escape: the read-only URI still names the file.
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("a?b#c %d");
        std::fs::create_dir(&folder).unwrap();
        let path = folder.join("t.db").display().to_string();
        let escaped = path
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let pools = connect(&format!("sqlite://{escaped}"), 2).await.unwrap();
        assert!(folder.join("t.db").exists() && folder.join("t.db-live").exists());
        sqlx::query("CREATE TABLE t (a INTEGER); INSERT INTO t (a) VALUES (7)")
            .execute(&pools.write)
            .await
            .unwrap();
        let a: i64 = sqlx::query_scalar("SELECT a FROM core.t")
            .fetch_one(&pools.live)
            .await
            .unwrap();
        assert_eq!(a, 7);
        let refused = sqlx::query("INSERT INTO core.t (a) VALUES (8)")
            .execute(&pools.live)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");
        sqlx::query("CREATE TABLE main.own (a INTEGER); INSERT INTO main.own VALUES (1)")
            .execute(&pools.live)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_read_pool_refuses_writes_and_the_write_pool_takes_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let pools = connect(&url, 2).await.unwrap();
        sqlx::query("CREATE TABLE t (a INTEGER)")
            .execute(&pools.write)
            .await
            .unwrap();
        let refused = sqlx::query("INSERT INTO t (a) VALUES (1)")
            .execute(&pools.read)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");
        sqlx::query("INSERT INTO t (a) VALUES (1)")
            .execute(&pools.write)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&pools.read)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
}
