//! The SQLite backend: one file, WAL mode, writers serialised by `BEGIN IMMEDIATE`.

use std::{str::FromStr, time::Duration};

use sqlx::{
    SqlitePool, Transaction,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL keeps every committed transaction across a process crash; only an
        // OS crash or power loss can lose the last few, which is the trade SQLite documents.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .connect_with(options)
        .await
}

/// Starts a transaction that takes the write lock at once. A deferred transaction that reads
/// first and writes later can fail with SQLITE_BUSY under concurrency instead of waiting.
pub async fn begin_write(
    pool: &SqlitePool,
) -> Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
