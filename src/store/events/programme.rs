//! Stored events and their programme, loaded back for export and pages, and what an import
//! of a programme reports.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::FromRow;

use super::Events;
use crate::domain::{
    programme::{EventInfo, Programme, Room, Session, SessionKind, Topic, TopicWeight},
    slug::Slug,
};
use crate::store::{StoreError, StoreResult, on_pool};

/// A stored event: its database id and what the organiser said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub info: EventInfo,
}

/// What an import did, for the organiser to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub event_id: i64,
    pub created: bool,
    pub topics: usize,
    pub rooms: usize,
    pub sessions: usize,
    /// Sessions already stored that the file no longer lists; they are kept, since door
    /// scans may refer to them.
    pub sessions_not_in_file: Vec<String>,
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    slug: String,
    name: String,
    time_zone: String,
    venue: String,
    starts_on: String,
    ends_on: String,
}

impl TryFrom<EventRow> for EventRecord {
    type Error = StoreError;
    fn try_from(r: EventRow) -> StoreResult<EventRecord> {
        let bad = |what: &str| StoreError::Corrupt(format!("event {}: bad {what}", r.id));
        Ok(EventRecord {
            id: r.id,
            info: EventInfo {
                slug: Slug::parse(&r.slug).map_err(|_| bad("slug"))?,
                starts_on: r.starts_on.parse().map_err(|_| bad("starts_on"))?,
                ends_on: r.ends_on.parse().map_err(|_| bad("ends_on"))?,
                name: r.name,
                time_zone: r.time_zone,
                venue: r.venue,
            },
        })
    }
}

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    external_id: String,
    title: String,
    room: String,
    starts_at: i64,
    ends_at: i64,
    kind: SessionKind,
    speakers: String,
}

#[derive(FromRow)]
struct SessionTopicRow {
    session_id: i64,
    slug: String,
    weight: f64,
}

pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Events<'_> {
    pub async fn event_by_slug(self, slug: &str) -> StoreResult<Option<EventRecord>> {
        let row: Option<EventRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, slug, name, time_zone, venue, starts_on, ends_on FROM events WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(p)
        .await)?;
        row.map(EventRecord::try_from).transpose()
    }

    pub async fn event_by_id(self, id: i64) -> StoreResult<Option<EventRecord>> {
        let row: Option<EventRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, slug, name, time_zone, venue, starts_on, ends_on FROM events WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        row.map(EventRecord::try_from).transpose()
    }

    pub async fn list_events(self) -> StoreResult<Vec<EventRecord>> {
        let rows: Vec<EventRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, slug, name, time_zone, venue, starts_on, ends_on FROM events ORDER BY starts_on DESC, slug",
        )
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(EventRecord::try_from).collect()
    }

    /// The event's topics in programme order.
    pub async fn event_topics(self, event_id: i64) -> StoreResult<Vec<Topic>> {
        let rows: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT slug, name FROM topics WHERE event_id = $1 ORDER BY position, slug",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|(slug, name)| {
                Ok(Topic {
                    slug: Slug::parse(&slug).map_err(StoreError::Corrupt)?,
                    name,
                })
            })
            .collect()
    }

    /// The whole programme of an event, as `event export` writes it.
    pub async fn load_programme(self, slug: &str) -> StoreResult<Option<Programme>> {
        let Some(event) = self.event_by_slug(slug).await? else {
            return Ok(None);
        };
        let topics = self.event_topics(event.id).await?;
        let rooms: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT name, capacity FROM rooms WHERE event_id = $1 ORDER BY position, name",
        )
        .bind(event.id)
        .fetch_all(p)
        .await)?;
        let sessions: Vec<SessionRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.id, s.external_id, s.title, r.name AS room, s.starts_at, s.ends_at, s.kind, s.speakers
             FROM sessions s JOIN rooms r ON r.id = s.room_id
             WHERE s.event_id = $1 ORDER BY s.starts_at, s.external_id",
        )
        .bind(event.id)
        .fetch_all(p)
        .await)?;
        let weights: Vec<SessionTopicRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT st.session_id, t.slug, st.weight
             FROM session_topics st JOIN topics t ON t.id = st.topic_id JOIN sessions s ON s.id = st.session_id
             WHERE s.event_id = $1 ORDER BY st.session_id, t.position",
        )
        .bind(event.id)
        .fetch_all(p)
        .await)?;
        let mut by_session: HashMap<i64, Vec<TopicWeight>> = HashMap::new();
        for w in weights {
            by_session
                .entry(w.session_id)
                .or_default()
                .push(TopicWeight {
                    topic: Slug::parse(&w.slug).map_err(StoreError::Corrupt)?,
                    weight: w.weight,
                });
        }
        let sessions = sessions
            .into_iter()
            .map(|s| {
                Ok(Session {
                    topics: by_session.remove(&s.id).unwrap_or_default(),
                    kind: s.kind,
                    speakers: serde_json::from_str(&s.speakers).map_err(|e| {
                        StoreError::Corrupt(format!("speakers of {}: {e}", s.external_id))
                    })?,
                    id: s.external_id,
                    title: s.title,
                    room: s.room,
                    starts_at: ts(s.starts_at),
                    ends_at: ts(s.ends_at),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Programme {
            event: event.info,
            topics,
            rooms: rooms
                .into_iter()
                .map(|(name, capacity)| Room {
                    name,
                    capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
                })
                .collect(),
            sessions,
        }))
    }
}
