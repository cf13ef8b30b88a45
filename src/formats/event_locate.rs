//! Finds the line of each section, list item and key of an event file, so errors found
//! after parsing (bad values, programme inconsistencies) can still name a line.

use std::collections::HashMap;

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

    /// Locations from a scan of block-style YAML (the style people write and we export).
    /// Flow-style items (`- {id: S1, ...}`) are located by their item line only.
    pub(crate) fn from_yaml(text: &str) -> Locator {
        let mut loc = Locator::default();
        let mut section: Option<String> = None;
        let mut item_indent: Option<usize> = None;
        let mut index: Option<usize> = None;
        let mut key_indent: Option<usize> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = n as u64 + 1;
            let content = raw.trim_start_matches(' ');
            let indent = raw.len() - content.len();
            let content = content.trim_end();
            if content.is_empty() || content.starts_with('#') || content == "---" {
                continue;
            }
            if indent == 0 && !content.starts_with('-') {
                section = key_of(content);
                if let Some(s) = &section {
                    loc.insert(s, None, None, line);
                }
                (item_indent, index, key_indent) = (None, None, None);
                continue;
            }
            let Some(sec) = section.as_deref() else {
                continue;
            };
            if let Some(rest) = dash_item(content)
                && *item_indent.get_or_insert(indent) == indent
            {
                let i = index.map_or(0, |i| i + 1);
                index = Some(i);
                loc.insert(sec, Some(i), None, line);
                let rest = rest.trim_start();
                key_indent = (!rest.is_empty()).then(|| indent + content.len() - rest.len());
                if let Some(k) = key_of(rest) {
                    loc.insert(sec, Some(i), Some(&k), line);
                }
                continue;
            }
            if key_indent.is_none() && (index.is_some() || item_indent.is_none()) {
                key_indent = Some(indent);
            }
            if key_indent == Some(indent)
                && let Some(k) = key_of(content)
            {
                loc.insert(sec, index, Some(&k), line);
            }
        }
        loc
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

/// The rest of a YAML list item line (`- x` gives `x`), or `None` if it is not one.
fn dash_item(content: &str) -> Option<&str> {
    if content == "-" {
        Some("")
    } else {
        content.strip_prefix("- ")
    }
}

/// The key of a YAML `key: value` line, quoted or not.
fn key_of(content: &str) -> Option<String> {
    if content.starts_with(['-', '{', '[', '#', '|', '>', '&', '*', '!']) {
        return None;
    }
    let (key, rest) = match content.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let end = content[1..].find(q)? + 1;
            (&content[1..end], &content[end + 1..])
        }
        _ => {
            let colon = content.find(':')?;
            (&content[..colon], &content[colon..])
        }
    };
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then(|| key.trim().to_owned())
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
    fn yaml_places_come_from_a_block_style_scan() {
        let loc = Locator::from_yaml(YAML);
        assert_eq!(loc.line("event", None, None), 2);
        assert_eq!(loc.line("event", None, Some("slug")), 3);
        assert_eq!(loc.line("event", None, Some("name")), 4);
        assert_eq!(loc.line("sessions", Some(0), None), 6);
        assert_eq!(loc.line("sessions", Some(0), Some("id")), 6);
        assert_eq!(loc.line("sessions", Some(0), Some("topics")), 8);
        assert_eq!(loc.line("sessions", Some(1), None), 10);
        assert_eq!(loc.line("sessions", Some(1), Some("id")), 11);
        assert_eq!(loc.line("sessions", Some(1), Some("room")), 12);
        assert_eq!(loc.line("rooms", Some(0), Some("capacity")), 17);
        assert_eq!(loc.line("rooms", Some(1), Some("capacity")), 18);
    }

    #[test]
    fn yaml_keys_are_recognised_only_when_followed_by_a_colon_and_space() {
        assert_eq!(
            key_of("starts_at: 2026-05-12T09:00").as_deref(),
            Some("starts_at")
        );
        assert_eq!(key_of("'quoted key': 1").as_deref(), Some("quoted key"));
        assert_eq!(key_of("topics:").as_deref(), Some("topics"));
        assert_eq!(key_of("http://x"), None);
        assert_eq!(key_of("- a: b"), None);
    }
}
