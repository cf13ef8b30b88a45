//! Door devices: pairing, scoped tokens (only hashes stored), revocation and last contact.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Door;
use crate::store::{StoreResult, on_pool, on_writer};

/// A door device of one event, optionally bound to a room.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRecord {
    pub id: i64,
    pub event_id: i64,
    pub room_id: Option<i64>,
    pub name: String,
    pub created_at: i64,
    pub paired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub app_version: Option<String>,
    pub queue_size: Option<i64>,
    pub clock_skew_ms: Option<i64>,
}

const DEVICE_COLUMNS: &str = "id, event_id, room_id, name, created_at, paired_at, revoked_at, last_seen_at, \
     app_version, queue_size, clock_skew_ms";

impl Door<'_> {
    /// Creates a device waiting to be paired with a one-time code (stored hashed).
    pub async fn create_device(
        self,
        event_id: i64,
        room_id: Option<i64>,
        name: &str,
        pairing_code_hash: &str,
        pairing_expires: Timestamp,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO devices (event_id, room_id, name, pairing_code_hash, pairing_expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(event_id)
        .bind(room_id)
        .bind(name)
        .bind(pairing_code_hash)
        .bind(pairing_expires.as_millisecond())
        .bind(now.as_millisecond())
        .fetch_one(p)
        .await)?;
        Ok(id)
    }

    /// The pseudo-device that file imports record their scans under (no token, never paired),
    /// created on first use. Its nonces keep re-imports of the same file harmless.
    pub async fn import_device(self, event_id: i64, now: Timestamp) -> StoreResult<i64> {
        const NAME: &str = "file import";
        let existing: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM devices WHERE event_id = $1 AND name = $2 AND token_hash IS NULL
               AND pairing_code_hash IS NULL AND paired_at IS NULL ORDER BY id LIMIT 1",
        )
        .bind(event_id)
        .bind(NAME)
        .fetch_optional(p)
        .await)?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO devices (event_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(event_id)
        .bind(NAME)
        .bind(now.as_millisecond())
        .fetch_one(p)
        .await)?;
        Ok(id)
    }

    /// Exchanges a valid, unexpired pairing code for a device token; the code is used up.
    pub async fn pair_device(
        self,
        code_hash: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<DeviceRecord>> {
        let sql = format!(
            "UPDATE devices SET token_hash = $2, paired_at = $3, pairing_code_hash = NULL, last_seen_at = $3
             WHERE pairing_code_hash = $1 AND pairing_expires_at > $3 AND revoked_at IS NULL
             RETURNING {DEVICE_COLUMNS}"
        );
        let d = on_writer!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code_hash)
            .bind(token_hash)
            .bind(now.as_millisecond())
            .fetch_optional(p)
            .await)?;
        Ok(d)
    }

    /// The device a token belongs to, whether or not it was revoked.
    pub async fn device_by_token(self, token_hash: &str) -> StoreResult<Option<DeviceRecord>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1");
        let d = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(p)
            .await)?;
        Ok(d)
    }

    /// Replaces a device's token; the old one stops working at once.
    pub async fn rotate_device_token(self, device_id: i64, token_hash: &str) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE devices SET token_hash = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(token_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn revoke_device(self, device_id: i64, now: Timestamp) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE devices SET revoked_at = $2, pairing_code_hash = NULL WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn list_devices(self, event_id: i64) -> StoreResult<Vec<DeviceRecord>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE event_id = $1 ORDER BY id");
        let d = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_all(p)
            .await)?;
        Ok(d)
    }
}
