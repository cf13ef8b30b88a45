//! The event programme: the event itself, its topics, rooms and sessions.

use std::collections::HashSet;

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

use super::{choice::choice_enum, slug::Slug};

/// The event as organisers describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub slug: Slug,
    pub name: String,
    /// IANA time zone name, e.g. `Europe/Berlin`; local times in files are read in it.
    pub time_zone: String,
    pub venue: String,
    pub starts_on: Date,
    pub ends_on: Date,
}

impl EventInfo {
    /// The event's time zone; `Programme::validate` guarantees it resolves.
    pub fn tz(&self) -> Result<TimeZone, String> {
        TimeZone::get(&self.time_zone)
            .map_err(|_| format!("unknown time zone '{}'", self.time_zone))
    }

    /// The event's dates as people read them: "12 May 2026", "12-13 May 2026" or
    /// "30 May - 2 June 2026".
    pub fn dates(&self) -> String {
        let (a, b) = (self.starts_on, self.ends_on);
        if a == b {
            a.strftime("%-d %B %Y").to_string()
        } else if (a.year(), a.month()) == (b.year(), b.month()) {
            format!("{}-{}", a.day(), b.strftime("%-d %B %Y"))
        } else if a.year() == b.year() {
            format!("{} - {}", a.strftime("%-d %B"), b.strftime("%-d %B %Y"))
        } else {
            format!("{} - {}", a.strftime("%-d %B %Y"), b.strftime("%-d %B %Y"))
        }
    }
}

/// A subject the event covers (big data, AI, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub slug: Slug,
    pub name: String,
}

/// A room that holds sessions; its capacity feeds occupancy warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub name: String,
    pub capacity: u32,
}

choice_enum!(
    /// What kind of session it is: a workshop says more about intent than a keynote.
    SessionKind {
        Keynote = "keynote": "Keynote",
        Talk = "talk": "Talk",
        Workshop = "workshop": "Workshop",
        Panel = "panel": "Panel",
        Other = "other": "Other",
    }
    unknown(raw) => format!("unknown session kind '{raw}' (keynote, talk, workshop, panel or other)");
);

/// One topic of a session and how much of the session is about it (a positive weight).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicWeight {
    pub topic: Slug,
    pub weight: f64,
}

/// One session in one room at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Stable key chosen by the organiser; re-imports update by it.
    pub id: String,
    pub title: String,
    pub room: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub kind: SessionKind,
    pub topics: Vec<TopicWeight>,
    pub speakers: Vec<String>,
}

/// The whole programme of one event, as imported or exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub event: EventInfo,
    pub topics: Vec<Topic>,
    pub rooms: Vec<Room>,
    pub sessions: Vec<Session>,
}

/// A problem that makes a programme unusable, located by what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeProblem {
    /// Where: `event`, `topic big-data`, `room Hall A`, `session S12`.
    pub subject: String,
    /// The field concerned.
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for ProgrammeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.subject, self.field, self.message)
    }
}

/// Session ids: short and printable, they appear in files and URLs.
pub fn check_session_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "'{id}' may only contain letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

impl Programme {
    /// Checks everything that must hold across the parts of a programme. All problems are
    /// reported, not just the first.
    pub fn validate(&self) -> Result<(), Vec<ProgrammeProblem>> {
        let mut problems = Vec::new();
        let mut bad = |subject: String, field: &'static str, message: String| {
            problems.push(ProgrammeProblem {
                subject,
                field,
                message,
            })
        };
        let ev = &self.event;
        if ev.name.trim().is_empty() {
            bad("event".into(), "name", "must not be empty".into());
        }
        if let Err(e) = ev.tz() {
            bad("event".into(), "time_zone", e);
        }
        if ev.ends_on < ev.starts_on {
            bad(
                "event".into(),
                "ends_on",
                "must not be before starts_on".into(),
            );
        }
        let mut topics = HashSet::new();
        for t in &self.topics {
            if !topics.insert(t.slug.as_str()) {
                bad(
                    format!("topic {}", t.slug),
                    "slug",
                    "is listed twice".into(),
                );
            }
            if t.name.trim().is_empty() {
                bad(
                    format!("topic {}", t.slug),
                    "name",
                    "must not be empty".into(),
                );
            }
        }
        let mut rooms = HashSet::new();
        for r in &self.rooms {
            if r.name.trim().is_empty() {
                bad("room".into(), "name", "must not be empty".into());
            } else if !rooms.insert(r.name.as_str()) {
                bad(format!("room {}", r.name), "name", "is listed twice".into());
            }
            if r.capacity == 0 {
                bad(
                    format!("room {}", r.name),
                    "capacity",
                    "must be at least 1".into(),
                );
            }
        }
        let mut ids = HashSet::new();
        for s in &self.sessions {
            let subject = format!("session {}", s.id);
            if let Err(e) = check_session_id(&s.id) {
                bad(subject.clone(), "session_id", e);
            }
            if !ids.insert(s.id.as_str()) {
                bad(subject.clone(), "session_id", "is listed twice".into());
            }
            if s.title.trim().is_empty() {
                bad(subject.clone(), "title", "must not be empty".into());
            }
            if !rooms.contains(s.room.as_str()) {
                bad(
                    subject.clone(),
                    "room",
                    format!("unknown room '{}'", s.room),
                );
            }
            if s.ends_at <= s.starts_at {
                bad(subject.clone(), "ends_at", "must be after starts_at".into());
            }
            if s.topics.is_empty() {
                bad(subject.clone(), "topics", "needs at least one topic".into());
            }
            let mut seen = HashSet::new();
            for tw in &s.topics {
                if !topics.contains(tw.topic.as_str()) {
                    bad(
                        subject.clone(),
                        "topics",
                        format!("unknown topic '{}'", tw.topic),
                    );
                }
                if !seen.insert(tw.topic.as_str()) {
                    bad(
                        subject.clone(),
                        "topics",
                        format!("topic '{}' is listed twice", tw.topic),
                    );
                }
                if !(tw.weight.is_finite() && tw.weight > 0.0) {
                    bad(
                        subject.clone(),
                        "topics",
                        format!("weight of '{}' must be a positive number", tw.topic),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A small programme for unit tests elsewhere: DevConf on 12-13 May 2026 in Berlin, two
/// topics (`cloud`, `ai`), two rooms (Main Hall for 400, Lab for 30), no sessions.
#[cfg(test)]
pub(crate) fn devconf() -> Programme {
    let slug = |s: &str| Slug::parse(s).unwrap();
    Programme {
        event: EventInfo {
            slug: slug("devconf"),
            name: "DevConf".into(),
            time_zone: "Europe/Berlin".into(),
            venue: "Messe".into(),
            starts_on: "2026-05-12".parse().unwrap(),
            ends_on: "2026-05-13".parse().unwrap(),
        },
        topics: vec![
            Topic {
                slug: slug("cloud"),
                name: "Cloud platforms".into(),
            },
            Topic {
                slug: slug("ai"),
                name: "Machine learning".into(),
            },
        ],
        rooms: vec![
            Room {
                name: "Main Hall".into(),
                capacity: 400,
            },
            Room {
                name: "Lab".into(),
                capacity: 30,
            },
        ],
        sessions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Programme {
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        Programme {
            event: EventInfo {
                slug: Slug::parse("cloudconf").unwrap(),
                name: "Cloud Conf".into(),
                time_zone: "Europe/Berlin".into(),
                venue: "Hall".into(),
                starts_on: "2026-05-12".parse().unwrap(),
                ends_on: "2026-05-12".parse().unwrap(),
            },
            topics: vec![Topic {
                slug: Slug::parse("ai").unwrap(),
                name: "AI".into(),
            }],
            rooms: vec![Room {
                name: "A".into(),
                capacity: 100,
            }],
            sessions: vec![Session {
                id: "S1".into(),
                title: "Intro".into(),
                room: "A".into(),
                starts_at: ts("2026-05-12T07:00:00Z"),
                ends_at: ts("2026-05-12T08:00:00Z"),
                kind: SessionKind::Talk,
                topics: vec![TopicWeight {
                    topic: Slug::parse("ai").unwrap(),
                    weight: 1.0,
                }],
                speakers: vec![],
            }],
        }
    }

    #[test]
    fn a_consistent_programme_validates() {
        sample().validate().unwrap();
    }

    #[test]
    fn every_cross_reference_problem_is_reported() {
        let mut p = sample();
        p.event.time_zone = "Mars/Olympus".into();
        p.sessions[0].room = "Z".into();
        p.sessions[0].topics[0].topic = Slug::parse("nope").unwrap();
        p.sessions[0].ends_at = p.sessions[0].starts_at;
        let problems = p.validate().unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["time_zone", "room", "ends_at", "topics"]);
    }

    #[test]
    fn kinds_parse_case_insensitively() {
        assert_eq!(
            SessionKind::parse("Workshop").unwrap(),
            SessionKind::Workshop
        );
        assert!(SessionKind::parse("party").is_err());
    }

    #[test]
    fn date_ranges_read_naturally() {
        let dates = |a: &str, b: &str| {
            EventInfo {
                starts_on: a.parse().unwrap(),
                ends_on: b.parse().unwrap(),
                ..sample().event
            }
            .dates()
        };
        assert_eq!(dates("2026-05-12", "2026-05-12"), "12 May 2026");
        assert_eq!(dates("2026-05-12", "2026-05-13"), "12-13 May 2026");
        assert_eq!(dates("2026-05-30", "2026-06-02"), "30 May - 2 June 2026");
    }
}
