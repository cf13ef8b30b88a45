//! Finds the line of each section, list item and key of an event file, so errors found
//! after parsing (bad values, programme inconsistencies) can still name a line.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span};
use toml::de::{DeTable, DeValue};

use crate::domain::programme::{Programme, ProgrammeProblem};

use super::line_index::LineIndex;
use super::row_error::RowError;

type Place = (String, Option<usize>, Option<String>);

/// Lines of places in a document: a top-level key, an item of a top-level list, or a key
/// inside either.
#[derive(Debug, Default)]
pub(crate) struct Locator {
    lines: HashMap<Place, u64>,
}

impl Locator {
    fn insert(&mut self, section: &str, index: Option<usize>, key: Option<&str>, line: u64) {
        self.lines
            .entry((section.to_owned(), index, key.map(str::to_owned)))
            .or_insert(line);
    }

    fn get(&self, section: &str, index: Option<usize>, key: Option<&str>) -> Option<u64> {
        self.lines
            .get(&(section.to_owned(), index, key.map(str::to_owned)))
            .copied()
    }

    /// The most precise line known: the key, else its item, else its section, else 0.
    pub(crate) fn line(&self, section: &str, index: Option<usize>, key: Option<&str>) -> u64 {
        key.and_then(|k| self.get(section, index, Some(k)))
            .or_else(|| index.and_then(|i| self.get(section, Some(i), None)))
            .or_else(|| self.get(section, None, None))
            .unwrap_or(0)
    }

    /// Exact locations from the TOML parser's spans.
    pub(crate) fn from_toml(text: &str) -> Locator {
        let mut loc = Locator::default();
        let Ok(root) = DeTable::parse(text) else {
            return loc;
        };
        let lines = LineIndex::new(text.as_bytes());
        let at = |offset: usize| lines.line(offset);
        for (key, value) in root.get_ref().iter() {
            let section = key.get_ref().as_ref();
            loc.insert(section, None, None, at(key.span().start));
            match value.get_ref() {
                DeValue::Table(table) => {
                    for (k, _) in table.iter() {
                        loc.insert(section, None, Some(k.get_ref()), at(k.span().start));
                    }
                }
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        loc.insert(section, Some(i), None, at(item.span().start));
                        if let DeValue::Table(table) = item.get_ref() {
                            for (k, _) in table.iter() {
                                loc.insert(section, Some(i), Some(k.get_ref()), at(k.span().start));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        loc
    }

    /// Locations from the YAML parser's node positions: a key's line, an item's first line
    /// (its first key's for a mapping), in block and flow style alike.
    pub(crate) fn from_yaml(text: &str) -> Locator {
        let mut loc = Locator::default();
        let mut events = Parser::new_from_str(text).map_while(Result::ok);
        // The document's root mapping: everything else locates nothing.
        let root = events.find(|(e, _)| !matches!(e, Event::StreamStart | Event::DocumentStart(_)));
        if !matches!(root, Some((Event::MappingStart(..), _))) {
            return loc;
        }
        let line = |span: &Span| span.start.line() as u64;
        while let Some((key, span)) = events.next() {
            let section = match key {
                Event::Scalar(k, ..) => k.into_owned(),
                Event::MappingEnd => break,
                other => {
                    // A key that is itself a list or mapping: skip it and its value.
                    skip(&mut events, &other);
                    skip_next(&mut events);
                    continue;
                }
            };
            loc.insert(&section, None, None, line(&span));
            match events.next() {
                Some((Event::MappingStart(..), _)) => {
                    for (k, at) in keys(&mut events) {
                        loc.insert(&section, None, Some(&k), at);
                    }
                }
                Some((Event::SequenceStart(..), _)) => {
                    for i in 0.. {
                        let Some((item, at)) = events.next() else {
                            break;
                        };
                        match item {
                            Event::SequenceEnd => break,
                            Event::MappingStart(..) => {
                                loc.insert(&section, Some(i), None, line(&at));
                                for (k, key_at) in keys(&mut events) {
                                    loc.insert(&section, Some(i), Some(&k), key_at);
                                }
                            }
                            other => {
                                loc.insert(&section, Some(i), None, line(&at));
                                skip(&mut events, &other);
                            }
                        }
                    }
                }
                Some((other, _)) => skip(&mut events, &other),
                None => break,
            }
        }
        loc
    }
}

/// The keys of a mapping whose start was just read, with their lines; reads up to its end.
fn keys<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    while let Some((key, span)) = events.next() {
        match key {
            Event::MappingEnd => break,
            Event::Scalar(k, ..) => found.push((k.into_owned(), span.start.line() as u64)),
            other => skip(events, &other),
        }
        skip_next(events);
    }
    found
}

/// Reads past the rest of the node `first` began (nothing more for a scalar or alias).
fn skip<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>, first: &Event<'a>) {
    if !matches!(first, Event::MappingStart(..) | Event::SequenceStart(..)) {
        return;
    }
    let mut depth = 1;
    for (e, _) in events.by_ref() {
        match e {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            break;
        }
    }
}

/// Reads past the next node.
fn skip_next<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>) {
    if let Some((first, _)) = events.next() {
        skip(events, &first);
    }
}

/// Points each programme problem at the item it concerns. Problems arrive in programme
/// order, so a cursor per section tells the two copies of a duplicated key apart.
pub(crate) fn locate_problems(
    problems: &[ProgrammeProblem],
    p: &Programme,
    loc: &Locator,
) -> Vec<RowError> {
    let mut cursors: HashMap<&str, usize> = HashMap::new();
    problems
        .iter()
        .map(|problem| {
            let (kind, key) = problem
                .subject
                .split_once(' ')
                .unwrap_or((problem.subject.as_str(), ""));
            let (section, matches): (&str, Vec<usize>) = match kind {
                "topic" => ("topics", positions(&p.topics, |t| t.slug.as_str() == key)),
                "room" => ("rooms", positions(&p.rooms, |r| r.name.trim() == key)),
                "session" => ("sessions", positions(&p.sessions, |s| s.id == key)),
                _ => ("event", Vec::new()),
            };
            let index = (!matches.is_empty()).then(|| {
                let cursor = cursors.entry(section).or_default();
                let repeat = problem.message == "is listed twice";
                let found = matches
                    .iter()
                    .copied()
                    .find(|i| *i >= *cursor && !(repeat && *i == matches[0]))
                    .unwrap_or(matches[0]);
                *cursor = found;
                found
            });
            let column = match problem.field {
                "session_id" => "id",
                other => other,
            };
            let message = if problem.message.starts_with(['m', 'i', 'n']) {
                format!("{}: {column} {}", problem.subject, problem.message)
            } else {
                format!("{}: {}", problem.subject, problem.message)
            };
            RowError::new(
                loc.line(section, index, Some(column)),
                Some(column),
                message,
            )
        })
        .collect()
}

fn positions<T>(items: &[T], pred: impl Fn(&T) -> bool) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, t)| pred(t))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"sessions_csv = "more.csv"

[event]
slug = "x"
name = "X"

[[topics]]
slug = "ai"

[[sessions]]
id = "S1"
title = "One"

[[sessions]]
id = "S2"
room = "A"
"#;

    #[test]
    fn toml_places_come_from_spans() {
        let loc = Locator::from_toml(TOML);
        assert_eq!(loc.line("sessions_csv", None, None), 1);
        assert_eq!(loc.line("event", None, None), 3);
        assert_eq!(loc.line("event", None, Some("name")), 5);
        assert_eq!(loc.line("topics", Some(0), Some("slug")), 8);
        assert_eq!(loc.line("sessions", Some(0), None), 10);
        assert_eq!(loc.line("sessions", Some(1), None), 14);
        assert_eq!(loc.line("sessions", Some(1), Some("room")), 16);
        // Unknown keys fall back to the item, then the section, then 0.
        assert_eq!(loc.line("sessions", Some(1), Some("kind")), 14);
        assert_eq!(loc.line("sessions", Some(7), None), 10);
        assert_eq!(loc.line("rooms", None, None), 0);
    }

    const YAML: &str = "# programme\nevent:\n  slug: x\n  \"name\": X\nsessions:\n  - id: S1\n    title: One\n    topics:\n      - ai\n  -\n    id: S2\n    room: A\n    notes: |\n      room: not a key\nrooms:\n- name: A\n  capacity: 10\n- {name: B, capacity: 20}\n";

    #[test]
    fn yaml_places_come_from_the_parser() {
        let loc = Locator::from_yaml(YAML);
        assert_eq!(loc.line("event", None, None), 2);
        assert_eq!(loc.line("event", None, Some("slug")), 3);
        assert_eq!(loc.line("event", None, Some("name")), 4);
        assert_eq!(loc.line("sessions", Some(0), None), 6);
        assert_eq!(loc.line("sessions", Some(0), Some("id")), 6);
        assert_eq!(loc.line("sessions", Some(0), Some("topics")), 8);
        // An item whose dash stands alone is where its first key is.
        assert_eq!(loc.line("sessions", Some(1), None), 11);
        assert_eq!(loc.line("sessions", Some(1), Some("id")), 11);
        assert_eq!(loc.line("sessions", Some(1), Some("room")), 12);
        assert_eq!(loc.line("rooms", Some(0), Some("capacity")), 17);
        assert_eq!(loc.line("rooms", Some(1), Some("capacity")), 18);
    }

    #[test]
    fn yaml_keys_are_what_the_parser_reads_as_keys() {
        let loc = Locator::from_yaml(
            "event:\n  starts_at: 2026-05-12T09:00\n  'quoted key': 1\n  note: http://x\ntopics:\n- a: b\n",
        );
        assert_eq!(loc.line("event", None, Some("starts_at")), 2);
        assert_eq!(loc.line("event", None, Some("quoted key")), 3);
        assert_eq!(loc.get("event", None, Some("http")), None);
        assert_eq!(loc.line("topics", Some(0), Some("a")), 6);
    }

    #[test]
    fn yaml_that_is_not_a_mapping_locates_nothing() {
        assert_eq!(Locator::from_yaml("- a\n- b\n").line("a", None, None), 0);
        assert_eq!(Locator::from_yaml("").line("event", None, None), 0);
    }
}
