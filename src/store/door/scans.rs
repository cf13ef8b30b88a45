//! Door scans as stored: reads for trails and reports, and the programme as doors see it.

use sqlx::FromRow;

use super::Door;
use crate::domain::{
    dashboard::Decision,
    door::scan::{Direction, Refusal},
};
use crate::store::{StoreResult, on_pool};

/// What was decided, as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ScanVerdict {
    pub nonce: String,
    pub decision: Decision,
    pub reason: Option<Refusal>,
    pub session_id: Option<i64>,
    pub attendee_id: Option<i64>,
}

/// One stored scan, for trails and reports.
#[derive(Debug, Clone, FromRow)]
pub struct ScanRow {
    pub attendee_id: Option<i64>,
    pub room_id: Option<i64>,
    pub session_id: Option<i64>,
    pub direction: Direction,
    pub scanned_at: i64,
    pub decision: Decision,
    pub reason: Option<Refusal>,
}

impl Door<'_> {
    /// Every scan of an event, oldest first (for trails and exports).
    /// Whether any scan of the event is stored.
    pub async fn event_has_scans(self, event_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM scans WHERE event_id = $1 LIMIT 1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?;
        Ok(found.is_some())
    }

    pub async fn event_scans(self, event_id: i64) -> StoreResult<Vec<ScanRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, room_id, session_id, direction, scanned_at, decision, reason
             FROM scans WHERE event_id = $1 ORDER BY scanned_at, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The accepted scans of one attendee, oldest first.
    pub async fn attendee_accepted_scans(self, attendee_id: i64) -> StoreResult<Vec<ScanRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, room_id, session_id, direction, scanned_at, decision, reason
             FROM scans WHERE attendee_id = $1 AND decision = 'accepted' ORDER BY scanned_at, id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Sessions of an event as (id, stable id, title, room name), for showing trails.
    pub async fn event_session_names(
        self,
        event_id: i64,
    ) -> StoreResult<Vec<(i64, String, String, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT s.id, s.external_id, s.title, r.name FROM sessions s JOIN rooms r ON r.id = s.room_id
             WHERE s.event_id = $1",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Rooms of an event as (id, name).
    pub async fn event_rooms(self, event_id: i64) -> StoreResult<Vec<(i64, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name FROM rooms WHERE event_id = $1 ORDER BY position",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Sessions of an event as (id, room id, starts_at ms, ends_at ms).
    pub async fn event_session_slots(
        self,
        event_id: i64,
    ) -> StoreResult<Vec<(i64, i64, i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, room_id, starts_at, ends_at FROM sessions WHERE event_id = $1 ORDER BY starts_at",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The event's door version: bumped in the same transaction as any change to its rooms,
    /// sessions, keys or badge serials (see migration 0004). Read it before the state it
    /// versions, so a change made in between is noticed later rather than missed.
    pub async fn door_version(self, event_id: i64) -> StoreResult<i64> {
        let v: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT door_version FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?;
        Ok(v.unwrap_or(-1))
    }

    /// Every nonce stored for a device, repeats included (the schema allows none).
    pub async fn device_nonces(self, device_id: i64) -> StoreResult<Vec<String>> {
        let rows = on_pool!(self, p => sqlx::query_scalar(
            "SELECT nonce FROM scans WHERE device_id = $1 ORDER BY id",
        )
        .bind(device_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
