//! Signing keys: the events' badge keys (public halves always, secret halves when kept in
//! the database) and the key that signs links in follow-up emails.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Events;
use crate::store::{StoreResult, in_tx, on_pool, on_writer};

/// One signing key of an event. `secret_key` is `None` when secrets live in a key directory.
#[derive(Debug, Clone, FromRow)]
pub struct StoredKey {
    pub key_id: i64,
    pub public_key: Vec<u8>,
    pub secret_key: Option<Vec<u8>>,
    pub retired_at: Option<i64>,
}

impl Events<'_> {
    /// All keys of an event, oldest first, retired ones included.
    pub async fn event_keys(self, event_id: i64) -> StoreResult<Vec<StoredKey>> {
        let keys = on_pool!(self, p => sqlx::query_as(
            "SELECT key_id, public_key, secret_key, retired_at FROM event_keys WHERE event_id = $1 ORDER BY key_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(keys)
    }

    /// Stores a new key unless another instance stored one with the same id first; returns
    /// whether this one was stored.
    pub async fn insert_event_key(
        self,
        event_id: i64,
        key_id: i64,
        public_key: &[u8],
        secret_key: Option<&[u8]>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = on_writer!(self, p => sqlx::query(
            "INSERT INTO event_keys (event_id, key_id, public_key, secret_key, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (event_id, key_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(key_id)
        .bind(public_key.to_vec())
        .bind(secret_key.map(<[u8]>::to_vec))
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Stops signing with a key; badges it signed stop verifying once devices resync.
    pub async fn retire_event_key(
        self,
        event_id: i64,
        key_id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE event_keys SET retired_at = $3 WHERE event_id = $1 AND key_id = $2 AND retired_at IS NULL",
        )
        .bind(event_id)
        .bind(key_id)
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The secret that signs links in follow-up emails, made on first use from `fresh`.
    pub async fn link_secret(self, fresh: &[u8], now: Timestamp) -> StoreResult<Vec<u8>> {
        in_tx!(self, tx => {
            sqlx::query("INSERT INTO link_keys (id, secret, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(fresh)
                .bind(now.as_millisecond())
                .execute(&mut *tx)
                .await?;
        });
        let secret = on_pool!(self, p => sqlx::query_scalar("SELECT secret FROM link_keys WHERE id = 1")
            .fetch_one(p)
            .await)?;
        Ok(secret)
    }
}
