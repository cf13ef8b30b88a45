//! Reads the sessions of an event file: times in the event's zone, topics in any of their
//! spellings, speakers.

use jiff::{Timestamp, tz::TimeZone};

use super::event_read::{Item, Reader};
use super::loose::Loose;
use super::session_text::{parse_instant, parse_topic_weight, split_list};
use crate::domain::programme::{Session, SessionKind, TopicWeight};
use crate::domain::slug::Slug;

impl Reader<'_> {
    pub(super) fn session(
        &mut self,
        item: &mut Item,
        tz: Option<(&TimeZone, &str)>,
    ) -> Option<Session> {
        let id = self.text(item, "id");
        let title = self.text(item, "title");
        let room = self.text(item, "room");
        let starts_at = self.time(item, "starts_at", tz);
        let ends_at = self.time(item, "ends_at", tz);
        let kind = self.parsed(item, "kind", SessionKind::parse);
        let topics = self.topics(item);
        let speakers = self.speakers(item);
        Some(Session {
            id: id?,
            title: title?,
            room: room?,
            starts_at: starts_at?,
            ends_at: ends_at?,
            kind: kind?,
            topics: topics?,
            speakers: speakers?,
        })
    }

    fn time(
        &mut self,
        item: &mut Item,
        key: &str,
        tz: Option<(&TimeZone, &str)>,
    ) -> Option<Timestamp> {
        let raw = self.text(item, key)?;
        match parse_instant(&raw, tz) {
            Ok(ts) => Some(ts),
            Err(Some(e)) => {
                self.item_error(item, key, &e);
                None
            }
            // The event's time zone is wrong or missing, and that error is already reported.
            Err(None) => None,
        }
    }

    /// `["ai", "big-data:0.5"]`, `[{ topic = "ai", weight = 0.5 }]`, `{ ai = 1, big-data = 0.5 }`
    /// or one `;`-separated string as in the CSV.
    fn topics(&mut self, item: &mut Item) -> Option<Vec<TopicWeight>> {
        let value = self.take(item, "topics", true)?;
        let mut problems = Vec::new();
        let mut out = Vec::new();
        let mut push = |r: Result<TopicWeight, String>| match r {
            Ok(tw) => out.push(tw),
            Err(e) => problems.push(e),
        };
        match value {
            Loose::Str(s) => split_list(&s)
                .iter()
                .for_each(|t| push(parse_topic_weight(t))),
            Loose::List(entries) => {
                for entry in entries {
                    match entry {
                        Loose::Str(s) => push(parse_topic_weight(&s)),
                        Loose::Map(fields) => push(topic_table(fields)),
                        other => push(Err(format!(
                            "each topic must be \"slug\", \"slug:weight\" or a table \
                             with topic and weight, found {}",
                            other.kind()
                        ))),
                    }
                }
            }
            Loose::Map(fields) => {
                for (slug, weight) in fields {
                    push(weight_of(&slug, &weight).and_then(|w| topic_weight(&slug, w)));
                }
            }
            other => push(Err(format!(
                "topics must be a list such as [\"ai\", \"big-data:0.5\"], found {}",
                other.kind()
            ))),
        }
        for p in &problems {
            self.item_error(item, "topics", p);
        }
        problems.is_empty().then_some(out)
    }

    fn speakers(&mut self, item: &mut Item) -> Option<Vec<String>> {
        match self.take(item, "speakers", false) {
            None => Some(Vec::new()),
            Some(Loose::Str(s)) => Some(split_list(&s)),
            Some(Loose::List(names)) => {
                let mut out = Vec::new();
                for name in names {
                    match name.as_text() {
                        Some(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                        Some(_) => {}
                        None => {
                            let detail =
                                format!("each speaker must be text, found {}", name.kind());
                            self.item_error(item, "speakers", &detail);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(other) => {
                let detail = format!("speakers must be a list of names, found {}", other.kind());
                self.item_error(item, "speakers", &detail);
                None
            }
        }
    }
}

fn topic_weight(slug: &str, weight: f64) -> Result<TopicWeight, String> {
    let topic = Slug::parse(slug).map_err(|e| format!("topic {e}"))?;
    Ok(TopicWeight { topic, weight })
}

fn weight_of(slug: &str, weight: &Loose) -> Result<f64, String> {
    match weight {
        Loose::Int(i) => Ok(*i as f64),
        Loose::Float(f) => Ok(*f),
        other => Err(format!(
            "weight of topic '{slug}' must be a number, found {}",
            other.kind()
        )),
    }
}

/// `{ topic = "ai", weight = 0.5 }`; the weight defaults to 1.
fn topic_table(fields: Vec<(String, Loose)>) -> Result<TopicWeight, String> {
    let mut slug = None;
    let mut weight = None;
    for (k, v) in fields {
        match k.as_str() {
            "topic" => slug = Some(v),
            "weight" => weight = Some(v),
            other => return Err(format!("unknown key '{other}' in a topic (topic, weight)")),
        }
    }
    let slug = match slug.as_ref().and_then(Loose::as_text) {
        Some(s) => s,
        None => return Err("a topic table needs topic = \"slug\"".into()),
    };
    let weight = weight.map_or(Ok(1.0), |w| weight_of(&slug, &w))?;
    topic_weight(&slug, weight)
}
