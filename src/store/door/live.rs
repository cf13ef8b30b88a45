//! Reads for the live operations page, each bounded by time or by a row limit.
//!
//! Every statement starts from an index of migration 0004: `scans_event_scanned`
//! `(event_id, scanned_at)` for the scans of a time window, and the partial
//! `scans_event_refused` `(event_id, received_at) WHERE decision = 'refused'` read backwards
//! for the latest refusals. So a poll touches the scans of the window, never the whole table.

use sqlx::FromRow;

use super::Door;
use crate::domain::door::scan::{Direction, Refusal};
use crate::store::{StoreResult, on_pool};

/// An accepted scan as occupancy needs it (times in unix milliseconds).
#[derive(Debug, Clone, FromRow)]
pub struct LiveAccepted {
    pub attendee_id: Option<i64>,
    pub room_id: Option<i64>,
    pub session_id: Option<i64>,
    pub direction: Direction,
    pub scanned_at: i64,
}

/// A refused scan with the names staff read.
#[derive(Debug, Clone, FromRow)]
pub struct LiveRefusal {
    pub received_at: i64,
    pub scanned_at: i64,
    pub direction: Direction,
    pub reason: Option<Refusal>,
    pub device: String,
    pub room: Option<String>,
    /// The badge holder, when the badge was genuine (revoked, wrong room or time).
    pub attendee: Option<String>,
}

impl Door<'_> {
    /// Accepted scans of an event whose scan time is in `[from_ms, to_ms]`.
    pub async fn live_accepted_scans(
        self,
        event_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<LiveAccepted>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            // An erased person's scans carry a visitor number instead of them; negated, it
            // can never be an attendee id, and occupancy still tells people apart.
            "SELECT COALESCE(attendee_id, -visitor) AS attendee_id, room_id, session_id, direction, scanned_at
             FROM scans WHERE event_id = $1 AND scanned_at >= $2 AND scanned_at <= $3 AND decision = 'accepted'",
        )
        .bind(event_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// (device, scan time) of every scan of an event, whatever its decision, with a scan
    /// time in `(after_ms, to_ms]`.
    pub async fn live_door_scans(
        self,
        event_id: i64,
        after_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT device_id, scanned_at FROM scans
             WHERE event_id = $1 AND scanned_at > $2 AND scanned_at <= $3",
        )
        .bind(event_id)
        .bind(after_ms)
        .bind(to_ms)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The event's `limit` latest refused scans, newest first by arrival at the server.
    pub async fn live_refusals(self, event_id: i64, limit: i64) -> StoreResult<Vec<LiveRefusal>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT s.received_at, s.scanned_at, s.direction, s.reason, d.name AS device,
                    r.name AS room, a.name AS attendee
             FROM scans s
             JOIN devices d ON d.id = s.device_id
             LEFT JOIN rooms r ON r.id = s.room_id
             LEFT JOIN attendees a ON a.id = s.attendee_id
             WHERE s.event_id = $1 AND s.decision = 'refused'
             ORDER BY s.received_at DESC
             LIMIT $2",
        )
        .bind(event_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
