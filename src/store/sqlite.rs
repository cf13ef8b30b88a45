//! The SQLite backend: one file in WAL mode, many readers and one writer connection.

use std::{str::FromStr, time::Duration};

use sqlx::{
    SqlitePool, Transaction,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite allows one writer at a time. Writers that contend for the file lock wait in
/// SQLite's busy handler, which sleeps in steps of up to 100 ms: fine for correctness, bad
/// for tail latency. So all writes go through one pooled connection, where waiting writers
/// queue in order and wake as soon as it is free; reads use the other connections.
#[derive(Clone)]
pub struct Pools {
    pub read: SqlitePool,
    pub write: SqlitePool,
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
    // The readers cannot write: a statement that writes through `on_pool!` by mistake fails
    // (SQLITE_READONLY) instead of racing the writer connection for the file lock.
    let read = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .connect_with(options.pragma("query_only", "ON"))
        .await?;
    Ok(Pools { read, write })
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
