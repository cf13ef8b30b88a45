//! The event's clock setting (24-hour or 12-hour), read for pages and the kiosk.

use jiff::Timestamp;

use super::Events;
use crate::domain::clock::Clock;
use crate::store::{StoreResult, on_pool, on_writer};

impl Events<'_> {
    /// The clock an event's times are written with: its setting, else its zone's usual one.
    pub async fn event_clock(self, event_id: i64) -> StoreResult<Clock> {
        let row: Option<(Option<String>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT clock, time_zone FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await)?;
        Ok(row.map_or(Clock::H24, |(clock, tz)| {
            Clock::of_event(clock.as_deref(), &tz)
        }))
    }

    /// Sets the event's clock; `None` goes back to the zone's usual one.
    pub async fn set_event_clock(
        self,
        event_id: i64,
        clock: Option<Clock>,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE events SET clock = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(event_id)
        .bind(clock.map(Clock::as_str))
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
