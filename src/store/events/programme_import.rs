//! Importing a programme: the event, its topics, rooms and sessions created or updated in one
//! transaction, row by row as `programme_rows` works them out.

use std::collections::HashMap;

use jiff::Timestamp;

use super::Events;
use super::programme::ImportSummary;
use super::programme_rows::{self as rows, RoomRow, SessionRow, TopicRow};
use crate::domain::programme::{EventInfo, Programme};
use crate::store::{StoreResult, Tx, in_tx, on_tx};

impl Events<'_> {
    /// Creates or updates an event and its programme in one transaction, matching topics by
    /// slug, rooms by name and sessions by their stable id.
    pub async fn import_programme(
        self,
        p: &Programme,
        now: Timestamp,
    ) -> StoreResult<ImportSummary> {
        let now = now.as_millisecond();
        let summary = in_tx!(self, &mut tx => {
            let created = event_id_by_slug(tx, p.event.slug.as_str()).await?.is_none();
            let event_id = upsert_event(tx, &p.event, now).await?;
            let mut topic_ids = HashMap::new();
            for t in rows::topic_rows(p) {
                topic_ids.insert(t.slug, upsert_topic(tx, event_id, &t).await?);
            }
            let mut room_ids = HashMap::new();
            for r in rows::room_rows(p) {
                room_ids.insert(r.name, upsert_room(tx, event_id, &r).await?);
            }
            for s in &p.sessions {
                let row = rows::session_row(s, &room_ids)?;
                let session_id = upsert_session(tx, event_id, &row).await?;
                delete_session_topics(tx, session_id).await?;
                for (topic_id, weight) in rows::session_topic_rows(s, &topic_ids)? {
                    insert_session_topic(tx, session_id, topic_id, weight).await?;
                }
            }
            let stored = stored_session_ids(tx, event_id).await?;
            rows::summary(event_id, created, p, stored)
        });
        Ok(summary)
    }
}

async fn event_id_by_slug(tx: &mut Tx, slug: &str) -> StoreResult<Option<i64>> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM events WHERE slug = $1")
        .bind(slug)
        .fetch_optional(c)
        .await)?,
    )
}

async fn upsert_event(tx: &mut Tx, ev: &EventInfo, now: i64) -> StoreResult<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO events (slug, name, time_zone, venue, starts_on, ends_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (slug) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,
           venue = excluded.venue, starts_on = excluded.starts_on, ends_on = excluded.ends_on,
           updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(ev.slug.as_str())
    .bind(&ev.name)
    .bind(&ev.time_zone)
    .bind(&ev.venue)
    .bind(ev.starts_on.to_string())
    .bind(ev.ends_on.to_string())
    .bind(now)
    .fetch_one(c)
    .await)?)
}

async fn upsert_topic(tx: &mut Tx, event_id: i64, t: &TopicRow<'_>) -> StoreResult<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO topics (event_id, slug, name, position) VALUES ($1, $2, $3, $4)
         ON CONFLICT (event_id, slug) DO UPDATE SET name = excluded.name, position = excluded.position
         RETURNING id",
    )
    .bind(event_id)
    .bind(t.slug)
    .bind(t.name)
    .bind(t.position)
    .fetch_one(c)
    .await)?)
}

async fn upsert_room(tx: &mut Tx, event_id: i64, r: &RoomRow<'_>) -> StoreResult<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO rooms (event_id, name, capacity, position) VALUES ($1, $2, $3, $4)
         ON CONFLICT (event_id, name) DO UPDATE SET capacity = excluded.capacity, position = excluded.position
         RETURNING id",
    )
    .bind(event_id)
    .bind(r.name)
    .bind(r.capacity)
    .bind(r.position)
    .fetch_one(c)
    .await)?)
}

async fn upsert_session(tx: &mut Tx, event_id: i64, s: &SessionRow<'_>) -> StoreResult<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO sessions (event_id, external_id, title, room_id, starts_at, ends_at, kind, speakers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (event_id, external_id) DO UPDATE SET title = excluded.title,
           room_id = excluded.room_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
           kind = excluded.kind, speakers = excluded.speakers
         RETURNING id",
    )
    .bind(event_id)
    .bind(s.external_id)
    .bind(s.title)
    .bind(s.room_id)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.kind)
    .bind(&s.speakers)
    .fetch_one(c)
    .await)?)
}

async fn delete_session_topics(tx: &mut Tx, session_id: i64) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM session_topics WHERE session_id = $1")
        .bind(session_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

async fn insert_session_topic(
    tx: &mut Tx,
    session_id: i64,
    topic_id: i64,
    weight: f64,
) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query("INSERT INTO session_topics (session_id, topic_id, weight) VALUES ($1, $2, $3)")
        .bind(session_id)
        .bind(topic_id)
        .bind(weight)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The external ids of the event's stored sessions, in order.
async fn stored_session_ids(tx: &mut Tx, event_id: i64) -> StoreResult<Vec<String>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "SELECT external_id FROM sessions WHERE event_id = $1 ORDER BY external_id",
    )
    .bind(event_id)
    .fetch_all(c)
    .await)?)
}
