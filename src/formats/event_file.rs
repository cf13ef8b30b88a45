//! The event programme file, TOML or YAML with one structure: `event`, `topics`, `rooms`,
//! `sessions`, and optionally `sessions_csv` naming a sessions CSV kept beside it.

use std::path::Path;

use serde::Serialize;

use super::event_locate::{Locator, locate_problems};
use super::event_read::{ParsedEventFile, Reader};
use super::line_index::LineIndex;
use super::loose::Loose;
use super::row_error::RowError;
use super::session_text::{format_instant, format_topic_weight, zone_or_utc};
use crate::domain::programme::{Programme, Room, Topic};

/// The two spellings of an event file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFileFormat {
    Toml,
    Yaml,
}

impl EventFileFormat {
    /// The format a file name says: `.toml`, `.yaml` or `.yml` (any case).
    pub fn from_path(p: &Path) -> Option<EventFileFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(EventFileFormat::Toml),
            "yaml" | "yml" => Some(EventFileFormat::Yaml),
            _ => None,
        }
    }
}

/// Parses and checks an event file. Any problem rejects the whole file; every problem
/// found is reported, each with the line it is on.
pub fn parse_event_file(
    text: &str,
    format: EventFileFormat,
) -> Result<ParsedEventFile, Vec<RowError>> {
    let (root, locator) = match format {
        EventFileFormat::Toml => (
            toml::from_str::<Loose>(text).map_err(|e| vec![toml_syntax_error(text, &e)])?,
            Locator::from_toml(text),
        ),
        EventFileFormat::Yaml => (
            serde_norway::from_str::<Loose>(text).map_err(|e| vec![yaml_syntax_error(&e)])?,
            Locator::from_yaml(text),
        ),
    };
    let mut reader = Reader {
        loc: &locator,
        errors: Vec::new(),
    };
    // `document` gives a programme only when every value read cleanly.
    let mut errors = match reader.document(root) {
        Some(parsed) => match parsed.programme.validate() {
            Ok(()) => return Ok(parsed),
            Err(problems) => locate_problems(&problems, &parsed.programme, &locator),
        },
        None => reader.errors,
    };
    errors.sort_by_key(|e| (e.line == 0, e.line));
    Err(errors)
}

fn toml_syntax_error(text: &str, e: &toml::de::Error) -> RowError {
    let line = e
        .span()
        .map_or(0, |span| LineIndex::new(text.as_bytes()).line(span.start));
    let message = e.message().trim().replace('\n', "; ");
    RowError::new(line, None, format!("not valid TOML: {message}"))
}

fn yaml_syntax_error(e: &serde_norway::Error) -> RowError {
    let full = e.to_string();
    // The message ends with " at line L column C", which the RowError says already.
    let message = full
        .split_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    let line = e.location().map_or(0, |l| l.line() as u64);
    RowError::new(line, None, format!("not valid YAML: {message}"))
}

#[derive(Serialize)]
struct OutDoc<'a> {
    event: OutEvent<'a>,
    topics: &'a [Topic],
    rooms: &'a [Room],
    sessions: Vec<OutSession<'a>>,
}

#[derive(Serialize)]
struct OutEvent<'a> {
    slug: &'a str,
    name: &'a str,
    time_zone: &'a str,
    venue: &'a str,
    starts_on: String,
    ends_on: String,
}

#[derive(Serialize)]
struct OutSession<'a> {
    id: &'a str,
    title: &'a str,
    room: &'a str,
    starts_at: String,
    ends_at: String,
    kind: &'static str,
    topics: Vec<String>,
    speakers: &'a [String],
}

/// Writes the whole programme, sessions inline, times local to the event with their offset.
pub fn write_event_file(p: &Programme, format: EventFileFormat) -> String {
    let tz = zone_or_utc(&p.event.time_zone);
    let doc = OutDoc {
        event: OutEvent {
            slug: p.event.slug.as_str(),
            name: &p.event.name,
            time_zone: &p.event.time_zone,
            venue: &p.event.venue,
            starts_on: p.event.starts_on.to_string(),
            ends_on: p.event.ends_on.to_string(),
        },
        topics: &p.topics,
        rooms: &p.rooms,
        sessions: p
            .sessions
            .iter()
            .map(|s| OutSession {
                id: &s.id,
                title: &s.title,
                room: &s.room,
                starts_at: format_instant(s.starts_at, &tz),
                ends_at: format_instant(s.ends_at, &tz),
                kind: s.kind.as_str(),
                topics: s.topics.iter().map(format_topic_weight).collect(),
                speakers: &s.speakers,
            })
            .collect(),
    };
    match format {
        EventFileFormat::Toml => {
            toml::to_string(&doc).expect("strings, integers and lists always serialise to TOML")
        }
        EventFileFormat::Yaml => serde_norway::to_string(&doc)
            .expect("strings, integers and lists always serialise to YAML"),
    }
}

#[cfg(test)]
#[path = "event_file_tests.rs"]
mod tests;
