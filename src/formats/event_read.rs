//! Reads a parsed event file key by key into a `Programme`, collecting every problem with
//! its line instead of stopping at the first.

use jiff::tz::TimeZone;

use super::event_locate::Locator;
use super::loose::Loose;
use super::row_error::{RowError, describe};
use super::session_text::parse_date;
use crate::domain::programme::{EventInfo, Programme, Room, Topic};
use crate::domain::slug::Slug;

/// A checked programme, plus the sessions CSV the file points to (relative to the file),
/// which the caller reads, parses with `parse_sessions_csv` and merges.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEventFile {
    pub programme: Programme,
    pub sessions_csv: Option<String>,
}

const TOP_KEYS: [&str; 5] = ["event", "topics", "rooms", "sessions", "sessions_csv"];

/// One table of the file (the event, a topic, a room or a session) being read key by key;
/// whatever is left at the end is an unknown key.
pub(super) struct Item {
    section: &'static str,
    index: Option<usize>,
    /// How messages name it: `event`, `topic ai`, `session S3`, `room #2`.
    subject: String,
    entries: Vec<(String, Loose)>,
}

pub(crate) struct Reader<'a> {
    pub(crate) loc: &'a Locator,
    pub(crate) errors: Vec<RowError>,
}

impl Reader<'_> {
    fn error(&mut self, section: &str, index: Option<usize>, key: Option<&str>, msg: String) {
        let line = self.loc.line(section, index, key);
        self.errors.push(RowError::new(line, key, msg));
    }

    pub(super) fn item_error(&mut self, item: &Item, key: &str, detail: &str) {
        let msg = format!("{}: {}", item.subject, describe(key, detail));
        self.error(item.section, item.index, Some(key), msg);
    }

    pub(crate) fn document(&mut self, root: Loose) -> Option<ParsedEventFile> {
        let mut top = match root {
            Loose::Map(entries) => entries,
            Loose::Null => {
                self.errors
                    .push(RowError::new(1, None, "the file is empty"));
                return None;
            }
            other => {
                let msg = format!(
                    "expected a table of event, topics, rooms and sessions, found {}",
                    other.kind()
                );
                self.errors.push(RowError::new(1, None, msg));
                return None;
            }
        };
        let mut take = |key: &str| {
            let i = top.iter().position(|(k, _)| k == key)?;
            Some(top.remove(i).1)
        };
        let event = take("event");
        let topics = take("topics");
        let rooms = take("rooms");
        let sessions = take("sessions");
        let sessions_csv = take("sessions_csv");
        for (key, _) in &top {
            let msg = format!("unknown key '{key}' (expected {})", TOP_KEYS.join(", "));
            self.error(key, None, Some(key), msg);
        }

        let event = match event {
            Some(v) => self.event(v),
            None => {
                let msg = "the event section is missing ([event] in TOML, event: in YAML)";
                self.errors.push(RowError::new(1, Some("event"), msg));
                None
            }
        };
        let zone = event
            .as_ref()
            .and_then(|e| Some((TimeZone::get(&e.time_zone).ok()?, e.time_zone.clone())));
        let tz = zone.as_ref().map(|(tz, name)| (tz, name.as_str()));
        let topics = self.list(topics, "topics", "slug", "topic", |r, item| r.topic(item));
        let rooms = self.list(rooms, "rooms", "name", "room", |r, item| r.room(item));
        let sessions = self.list(sessions, "sessions", "id", "session", |r, item| {
            r.session(item, tz)
        });
        let sessions_csv = sessions_csv.and_then(|v| match v {
            Loose::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            other => {
                let msg = format!("sessions_csv must name a CSV file, found {}", other.kind());
                self.error("sessions_csv", None, Some("sessions_csv"), msg);
                None
            }
        });
        Some(ParsedEventFile {
            programme: Programme {
                event: event?,
                topics: topics?,
                rooms: rooms?,
                sessions: sessions?,
            },
            sessions_csv,
        })
        .filter(|_| self.errors.is_empty())
    }

    /// Reads a list of tables; `None` if any item failed (its errors are recorded).
    fn list<T>(
        &mut self,
        value: Option<Loose>,
        section: &'static str,
        id_key: &str,
        noun: &str,
        mut read: impl FnMut(&mut Self, &mut Item) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = match value {
            None => return Some(Vec::new()),
            Some(Loose::List(items)) => items,
            Some(other) => {
                let msg = format!("{section} must be a list of tables, found {}", other.kind());
                self.error(section, None, Some(section), msg);
                return None;
            }
        };
        let mut out = Some(Vec::with_capacity(items.len()));
        for (i, value) in items.into_iter().enumerate() {
            let Loose::Map(entries) = value else {
                let msg = format!("{noun} #{} must be a table, found {}", i + 1, value.kind());
                self.error(section, Some(i), None, msg);
                out = None;
                continue;
            };
            let subject = entries
                .iter()
                .find(|(k, _)| k == id_key)
                .and_then(|(_, v)| v.as_text())
                .map(|id| format!("{noun} {}", id.trim()))
                .unwrap_or_else(|| format!("{noun} #{}", i + 1));
            let mut item = Item {
                section,
                index: Some(i),
                subject,
                entries,
            };
            let value = read(self, &mut item);
            self.unknown_keys(&item);
            match (value, out.as_mut()) {
                (Some(v), Some(out)) => out.push(v),
                _ => out = None,
            }
        }
        out
    }

    fn unknown_keys(&mut self, item: &Item) {
        for (key, _) in &item.entries {
            self.item_error(item, key, &format!("unknown key '{key}'"));
        }
    }

    pub(super) fn take(&mut self, item: &mut Item, key: &str, required: bool) -> Option<Loose> {
        let found = item.entries.iter().position(|(k, _)| k == key);
        match found.map(|i| item.entries.remove(i).1) {
            Some(Loose::Null) | None if required => {
                self.item_error(item, key, "is required");
                None
            }
            Some(Loose::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// A required single value, trimmed.
    pub(super) fn text(&mut self, item: &mut Item, key: &str) -> Option<String> {
        let value = self.take(item, key, true)?;
        match value.as_text() {
            Some(s) if s.trim().is_empty() => {
                self.item_error(item, key, "is required");
                None
            }
            Some(s) => Some(s.trim().to_owned()),
            None => {
                let detail = format!("{key} must be text, found {}", value.kind());
                self.item_error(item, key, &detail);
                None
            }
        }
    }

    /// Runs a parser over a required text value, reporting its error at the key.
    pub(super) fn parsed<T>(
        &mut self,
        item: &mut Item,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.text(item, key)?;
        parse(&raw).map_err(|e| self.item_error(item, key, &e)).ok()
    }

    fn event(&mut self, value: Loose) -> Option<EventInfo> {
        let Loose::Map(entries) = value else {
            let msg = format!("event must be a table, found {}", value.kind());
            self.error("event", None, Some("event"), msg);
            return None;
        };
        let mut item = Item {
            section: "event",
            index: None,
            subject: "event".into(),
            entries,
        };
        let slug = self.parsed(&mut item, "slug", Slug::parse);
        let name = self.text(&mut item, "name");
        let time_zone = self.parsed(&mut item, "time_zone", |raw| {
            TimeZone::get(raw).map(|_| raw.to_owned()).map_err(|_| {
                format!("unknown time zone '{raw}' (use an IANA name such as Europe/Berlin)")
            })
        });
        let venue = match self.take(&mut item, "venue", false) {
            None => Some(String::new()),
            Some(v) => match v.as_text() {
                Some(s) => Some(s.trim().to_owned()),
                None => {
                    let detail = format!("venue must be text, found {}", v.kind());
                    self.item_error(&item, "venue", &detail);
                    None
                }
            },
        };
        let starts_on = self.parsed(&mut item, "starts_on", parse_date);
        let ends_on = self.parsed(&mut item, "ends_on", parse_date);
        self.unknown_keys(&item);
        Some(EventInfo {
            slug: slug?,
            name: name?,
            time_zone: time_zone?,
            venue: venue?,
            starts_on: starts_on?,
            ends_on: ends_on?,
        })
    }

    fn topic(&mut self, item: &mut Item) -> Option<Topic> {
        let slug = self.parsed(item, "slug", Slug::parse);
        let name = self.text(item, "name");
        Some(Topic {
            slug: slug?,
            name: name?,
        })
    }

    fn room(&mut self, item: &mut Item) -> Option<Room> {
        let name = self.text(item, "name");
        let capacity = self.take(item, "capacity", true).and_then(|v| {
            let n = match &v {
                Loose::Int(i) => u32::try_from(*i).ok(),
                Loose::Str(s) => s.trim().parse::<u32>().ok(),
                _ => None,
            };
            if n.is_none() {
                let shown = v.as_text().unwrap_or_else(|| v.kind().to_owned());
                let detail = format!("capacity must be a whole number of seats, found '{shown}'");
                self.item_error(item, "capacity", &detail);
            }
            n
        });
        Some(Room {
            name: name?,
            capacity: capacity?,
        })
    }
}
