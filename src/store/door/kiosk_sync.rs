//! What a paired kiosk downloads to work offline: the event's rooms and timed sessions.

use sqlx::FromRow;

use super::Door;
use crate::store::{StoreResult, on_pool};

/// A room as a kiosk lists it.
#[derive(Debug, Clone, FromRow)]
pub struct KioskRoom {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
}

/// A session with its room and times (unix milliseconds), for showing what runs now.
#[derive(Debug, Clone, FromRow)]
pub struct KioskSession {
    pub id: i64,
    pub external_id: String,
    pub title: String,
    pub room_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

impl Door<'_> {
    /// The event's rooms in programme order.
    pub async fn kiosk_rooms(self, event_id: i64) -> StoreResult<Vec<KioskRoom>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, capacity FROM rooms WHERE event_id = $1 ORDER BY position, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The event's sessions in time order.
    pub async fn kiosk_sessions(self, event_id: i64) -> StoreResult<Vec<KioskSession>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, external_id, title, room_id, starts_at, ends_at FROM sessions
             WHERE event_id = $1 ORDER BY starts_at, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
