//! Single changes to a stored programme that an import by stable keys cannot express:
//! renaming a room, and removing a topic, room or session nothing refers to any more.

use super::Events;
use crate::store::{StoreError, StoreResult, in_tx};

/// Turns a foreign-key violation (door scans, devices or registrations still naming the
/// row) into a `Conflict` with a message for people.
fn still_used(e: sqlx::Error, message: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::Conflict(message.to_owned())
        }
        _ => StoreError::from(e),
    }
}

impl Events<'_> {
    /// Renames a room of the event; sessions and devices keep pointing at it.
    pub async fn rename_room(self, event_id: i64, from: &str, to: &str) -> StoreResult<()> {
        let n = in_tx!(self, tx => {
            sqlx::query("UPDATE rooms SET name = $3 WHERE event_id = $1 AND name = $2")
                .bind(event_id)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::store::conflict_on_unique(e, "another room already has that name"))?
                .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound("room"))
        }
    }

    /// Removes a session and its topic weights; refused once door scans name it.
    pub async fn delete_session(self, event_id: i64, external_id: &str) -> StoreResult<()> {
        let n = in_tx!(self, tx => {
            let id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM sessions WHERE event_id = $1 AND external_id = $2",
            )
            .bind(event_id)
            .bind(external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                return Err(StoreError::NotFound("session"));
            };
            sqlx::query("DELETE FROM session_topics WHERE session_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    still_used(e, "door scans name this session; it can no longer be removed")
                })?
                .rows_affected()
        });
        debug_assert_eq!(n, 1);
        Ok(())
    }

    /// Removes a room that no session, door device or scan names.
    pub async fn delete_room(self, event_id: i64, name: &str) -> StoreResult<()> {
        let n = in_tx!(self, tx => {
            let sessions: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sessions s JOIN rooms r ON r.id = s.room_id
                 WHERE r.event_id = $1 AND r.name = $2",
            )
            .bind(event_id)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            if sessions > 0 {
                return Err(StoreError::Conflict(format!(
                    "{sessions} session(s) are in this room; move or remove them first"
                )));
            }
            sqlx::query("DELETE FROM rooms WHERE event_id = $1 AND name = $2")
                .bind(event_id)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    still_used(e, "door devices or scans name this room; it can no longer be removed")
                })?
                .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound("room"))
        }
    }

    /// Removes a topic that no session covers and no attendee chose as an interest.
    pub async fn delete_topic(self, event_id: i64, slug: &str) -> StoreResult<()> {
        let n = in_tx!(self, tx => {
            let sessions: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM session_topics st JOIN topics t ON t.id = st.topic_id
                 WHERE t.event_id = $1 AND t.slug = $2",
            )
            .bind(event_id)
            .bind(slug)
            .fetch_one(&mut *tx)
            .await?;
            if sessions > 0 {
                return Err(StoreError::Conflict(format!(
                    "{sessions} session(s) cover this topic; take it off them first"
                )));
            }
            sqlx::query("DELETE FROM topics WHERE event_id = $1 AND slug = $2")
                .bind(event_id)
                .bind(slug)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    still_used(e, "attendees chose this topic as an interest; it can no longer be removed")
                })?
                .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound("topic"))
        }
    }
}
