//! One write transaction on either database, and the macros that run statements in it.
//!
//! Every transaction the store opens is a `Tx`: the scan group's and the lead build's, held
//! across calls, and the short ones `in_tx!` opens around a block.

use sqlx::{Postgres, Sqlite, Transaction};

use super::{Pool, sqlite};

/// An open write transaction. Dropping it without `commit` rolls it back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Opens a write transaction: on SQLite on the writer connection with the write lock
    /// taken at once (`sqlite::begin_write`), on PostgreSQL at READ COMMITTED.
    pub(crate) async fn begin(pool: &Pool) -> Result<Tx, sqlx::Error> {
        Ok(match pool {
            Pool::Sqlite(pools) => Tx::Sqlite(sqlite::begin_write(&pools.write).await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Opens a write transaction on the live leads: on SQLite on the live file's writer
    /// (`sqlite::Pools::live`), deferred, so it takes the live file's write lock at its first
    /// write and never the database's; on PostgreSQL as `begin`.
    pub(crate) async fn begin_live(pool: &Pool) -> Result<Tx, sqlx::Error> {
        Ok(match pool {
            Pool::Sqlite(pools) => Tx::Sqlite(pools.live.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Undoes the transaction now, releasing its locks at once rather than when the
    /// connection's drop is cleaned up.
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx` (a `&mut Tx`),
/// compiled once per driver; with a `Sql` statement, `$sql` is bound to its text for that
/// database.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
    ($tx:expr, $stmt:expr, ($c:ident, $sql:ident) => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c = &mut **t;
                let $sql = $stmt.sqlite;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c = &mut **t;
                let $sql = $stmt.postgres;
                $body
            }
        }
    };
}

/// Runs `$body` inside one write transaction, with `$tx` bound to its connection, and
/// evaluates to `$body`'s value. The body runs as an async block of its own: `?` and
/// `return` leave the block, never the function, so every way out of it either commits
/// (a value) or rolls back (an error, which the macro then returns from the function).
///
/// `in_tx!(store, &mut tx => body)` binds `tx` to the `&mut Tx` instead, for a body that
/// calls steps of its own, each running its statements with `on_tx!`.
macro_rules! in_tx {
    ($store:expr, &mut $tx:ident => $body:expr) => {{
        let mut tx = $crate::store::Tx::begin(&$store.pool).await?;
        let out = async {
            let $tx = &mut tx;
            Ok::<_, $crate::store::StoreError>($body)
        }
        .await;
        $crate::store::in_tx!(@settle tx, out)
    }};
    ($store:expr, $tx:ident => $body:expr) => {{
        let mut tx = $crate::store::Tx::begin(&$store.pool).await?;
        let out = $crate::store::on_tx!(&mut tx, $tx => async {
            Ok::<_, $crate::store::StoreError>($body)
        }
        .await);
        $crate::store::in_tx!(@settle tx, out)
    }};
    (@settle $tx:ident, $out:expr) => {
        match $out {
            Ok(value) => {
                $tx.commit().await?;
                value
            }
            Err(e) => {
                // The error says what went wrong; a failed rollback only means the
                // connection is gone, which undoes the transaction as well.
                let _ = $tx.rollback().await;
                return Err(e.into());
            }
        }
    };
}

pub(crate) use {in_tx, on_tx};

#[cfg(test)]
mod tests {
    use crate::store::{Store, StoreError, StoreResult, on_pool};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url, 2).await.unwrap();
        (dir, store)
    }

    /// Writes a link key, then leaves the block early: with a value when `fail` is false,
    /// with an error when it is true.
    async fn write_then_leave(store: &Store, fail: bool) -> StoreResult<i64> {
        let value = in_tx!(store, tx => {
            sqlx::query("INSERT INTO link_keys (id, secret, created_at) VALUES (1, $1, 0)")
                .bind(vec![1u8; 32])
                .execute(&mut *tx)
                .await?;
            if fail {
                return Err(StoreError::Conflict("refused".into()));
            }
            if !fail {
                return Ok(7);
            }
            8
        });
        Ok(value)
    }

    async fn keys(store: &Store) -> i64 {
        on_pool!(store, p => sqlx::query_scalar("SELECT COUNT(*) FROM link_keys").fetch_one(p).await)
            .unwrap()
    }

    /// `write_then_leave` with the body given the `Tx`, its statement run by `on_tx!`.
    async fn write_through_tx_then_leave(store: &Store, fail: bool) -> StoreResult<i64> {
        let value = in_tx!(store, &mut tx => {
            on_tx!(tx, c => sqlx::query("INSERT INTO link_keys (id, secret, created_at) VALUES (1, $1, 0)")
                .bind(vec![1u8; 32])
                .execute(c)
                .await
                .map(|_| ()))?;
            if fail {
                return Err(StoreError::Conflict("refused".into()));
            }
            7
        });
        Ok(value)
    }

    #[tokio::test]
    async fn a_body_given_the_transaction_commits_a_value_and_rolls_back_an_error() {
        let (_dir, store) = store().await;
        let err = write_through_tx_then_leave(&store, true).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(keys(&store).await, 0);
        assert_eq!(write_through_tx_then_leave(&store, false).await.unwrap(), 7);
        assert_eq!(keys(&store).await, 1);
    }

    #[tokio::test]
    async fn an_early_return_with_a_value_still_commits() {
        let (_dir, store) = store().await;
        assert_eq!(write_then_leave(&store, false).await.unwrap(), 7);
        assert_eq!(keys(&store).await, 1);
    }

    #[tokio::test]
    async fn an_error_rolls_back_and_is_returned() {
        let (_dir, store) = store().await;
        let err = write_then_leave(&store, true).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(keys(&store).await, 0);
        // The writer connection is free again: a later transaction commits.
        assert_eq!(write_then_leave(&store, false).await.unwrap(), 7);
    }
}
