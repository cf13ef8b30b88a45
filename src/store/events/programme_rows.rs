//! The rows a programme import writes, worked out from the programme and the ids the store
//! gave its rooms and topics, and what the import reports: pure, no database.

use std::collections::HashMap;

use super::programme::ImportSummary;
use crate::domain::programme::{Programme, Session};
use crate::store::{StoreError, StoreResult};

/// A topic as stored: matched by slug, in programme order.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub position: i64,
}

/// A room as stored: matched by name, in programme order.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomRow<'a> {
    pub name: &'a str,
    pub capacity: i64,
    pub position: i64,
}

/// A session as stored: matched by its stable id, in the room the store knows by id.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow<'a> {
    pub external_id: &'a str,
    pub title: &'a str,
    pub room_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub kind: &'static str,
    /// The speakers as a JSON array.
    pub speakers: String,
}

pub fn topic_rows(p: &Programme) -> Vec<TopicRow<'_>> {
    p.topics
        .iter()
        .enumerate()
        .map(|(i, t)| TopicRow {
            slug: t.slug.as_str(),
            name: &t.name,
            position: i as i64,
        })
        .collect()
}

pub fn room_rows(p: &Programme) -> Vec<RoomRow<'_>> {
    p.rooms
        .iter()
        .enumerate()
        .map(|(i, r)| RoomRow {
            name: &r.name,
            capacity: i64::from(r.capacity),
            position: i as i64,
        })
        .collect()
}

/// The session's row, its room found by name among `room_ids`; a room the programme does
/// not have refuses the import.
pub fn session_row<'a>(
    s: &'a Session,
    room_ids: &HashMap<&str, i64>,
) -> StoreResult<SessionRow<'a>> {
    let room_id = *room_ids.get(s.room.as_str()).ok_or_else(|| {
        StoreError::Conflict(format!("session {}: unknown room '{}'", s.id, s.room))
    })?;
    Ok(SessionRow {
        external_id: &s.id,
        title: &s.title,
        room_id,
        starts_at: s.starts_at.as_millisecond(),
        ends_at: s.ends_at.as_millisecond(),
        kind: s.kind.as_str(),
        speakers: serde_json::to_string(&s.speakers).unwrap_or_else(|_| "[]".into()),
    })
}

/// The session's (topic id, weight) rows, each topic found by slug among `topic_ids`; a
/// topic the programme does not have refuses the import.
pub fn session_topic_rows(
    s: &Session,
    topic_ids: &HashMap<&str, i64>,
) -> StoreResult<Vec<(i64, f64)>> {
    s.topics
        .iter()
        .map(|tw| {
            let topic_id = *topic_ids.get(tw.topic.as_str()).ok_or_else(|| {
                StoreError::Conflict(format!("session {}: unknown topic '{}'", s.id, tw.topic))
            })?;
            Ok((topic_id, tw.weight))
        })
        .collect()
}

/// What the import did: counts from the file, and the `stored` sessions (external ids, in
/// their order) that the file no longer lists.
pub fn summary(event_id: i64, created: bool, p: &Programme, stored: Vec<String>) -> ImportSummary {
    let sessions_not_in_file = stored
        .into_iter()
        .filter(|id| !p.sessions.iter().any(|s| &s.id == id))
        .collect();
    ImportSummary {
        event_id,
        created,
        topics: p.topics.len(),
        rooms: p.rooms.len(),
        sessions: p.sessions.len(),
        sessions_not_in_file,
    }
}

#[cfg(test)]
#[path = "programme_rows_tests.rs"]
mod tests;
