//! Event files in TOML and YAML: the same programme from both, written back, and every
//! problem reported with its line.

use super::*;
use crate::domain::programme::{Session, SessionKind};
use crate::formats::sessions_csv::{merge_sessions, parse_sessions_csv};
use jiff::Timestamp;

const EXAMPLE: &str = include_str!("../../examples/cloud-summit.toml");
const EXAMPLE_CSV: &[u8] = include_bytes!("../../examples/cloud-summit-sessions.csv");

fn toml_ok(text: &str) -> ParsedEventFile {
    parse_event_file(text, EventFileFormat::Toml).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn errors(text: &str, format: EventFileFormat) -> Vec<String> {
    parse_event_file(text, format)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn session<'a>(p: &'a Programme, id: &str) -> &'a Session {
    p.sessions.iter().find(|s| s.id == id).unwrap()
}

/// The example programme with the sessions of its CSV merged in.
fn full_example() -> Programme {
    let mut parsed = toml_ok(EXAMPLE);
    let csv = parse_sessions_csv(EXAMPLE_CSV, &parsed.programme).unwrap();
    merge_sessions(&mut parsed.programme, csv.rows);
    parsed.programme
}

/// A small valid file; tests break one thing in it at a time.
const BASE: &str = r#"[event]
slug = "summit"
name = "Summit"
time_zone = "Europe/Berlin"
starts_on = "2026-05-12"
ends_on = "2026-05-12"

[[topics]]
slug = "ai"
name = "AI"

[[rooms]]
name = "Hall A"
capacity = 100

[[sessions]]
id = "S1"
title = "Intro"
room = "Hall A"
starts_at = "2026-05-12T09:00"
ends_at = "2026-05-12T10:00"
kind = "talk"
topics = ["ai"]
"#;

#[test]
fn the_example_parses_with_local_times_offsets_and_every_topic_form() {
    let parsed = toml_ok(EXAMPLE);
    assert_eq!(
        parsed.sessions_csv.as_deref(),
        Some("cloud-summit-sessions.csv")
    );
    let p = &parsed.programme;
    assert_eq!(p.event.slug.as_str(), "cloud-summit-2026");
    assert_eq!(p.event.starts_on.to_string(), "2026-05-12");
    assert_eq!((p.topics.len(), p.rooms.len(), p.sessions.len()), (6, 4, 4));
    let key = session(p, "D1-KEY");
    assert_eq!(key.starts_at, ts("2026-05-12T07:00:00Z"));
    assert_eq!(key.kind, SessionKind::Keynote);
    assert_eq!(key.topics[0].weight, 0.5);
    let video = session(p, "D1-R2-1");
    assert_eq!(video.starts_at, ts("2026-05-12T08:30:00Z"));
    let weights: Vec<(&str, f64)> = video
        .topics
        .iter()
        .map(|t| (t.topic.as_str(), t.weight))
        .collect();
    assert_eq!(weights, [("object-storage", 0.3), ("video-streaming", 1.0)]);
    let lab = session(p, "D1-LAB-1");
    assert_eq!(
        (lab.topics[0].topic.as_str(), lab.topics[0].weight),
        ("ai", 1.0)
    );
    assert_eq!(
        session(p, "D1-R1-1").speakers,
        ["Priya Raman", "Tomasz Nowak"]
    );
}

#[test]
fn the_example_with_its_sessions_csv_merged_is_consistent() {
    let p = full_example();
    assert_eq!(p.sessions.len(), 10);
    p.validate().unwrap();
}

#[test]
fn writing_then_parsing_gives_the_same_programme_in_both_formats() {
    let p = full_example();
    for format in [EventFileFormat::Toml, EventFileFormat::Yaml] {
        let text = write_event_file(&p, format);
        let back = parse_event_file(&text, format)
            .unwrap_or_else(|e| panic!("{format:?}: {e:#?}\n{text}"));
        assert_eq!(back.programme, p, "{format:?}");
        assert_eq!(back.sessions_csv, None);
    }
}

#[test]
fn written_times_are_local_with_their_offset() {
    let p = full_example();
    let toml = write_event_file(&p, EventFileFormat::Toml);
    assert!(
        toml.contains("starts_at = \"2026-05-12T09:00:00+02:00\""),
        "{toml}"
    );
    assert!(toml.contains("[[sessions]]"), "{toml}");
    let yaml = write_event_file(&p, EventFileFormat::Yaml);
    assert!(
        yaml.contains("starts_at: 2026-05-12T09:00:00+02:00"),
        "{yaml}"
    );
}

#[test]
fn yaml_with_the_same_structure_parses_to_the_same_programme() {
    let yaml = r#"
event:
  slug: summit
  name: Summit
  time_zone: Europe/Berlin
  starts_on: 2026-05-12
  ends_on: 2026-05-12
topics:
  - slug: ai
    name: AI
rooms:
  - name: Hall A
    capacity: 100
sessions:
  - id: S1
    title: Intro
    room: Hall A
    starts_at: 2026-05-12T09:00
    ends_at: 2026-05-12T10:00
    kind: talk
    topics: [ai]
"#;
    let parsed = parse_event_file(yaml, EventFileFormat::Yaml).unwrap();
    assert_eq!(parsed.programme, toml_ok(BASE).programme);
}

#[test]
fn toml_native_dates_and_times_are_accepted() {
    let text = BASE
        .replace("\"2026-05-12T09:00\"", "2026-05-12T09:00:00")
        .replace("\"2026-05-12T10:00\"", "2026-05-12T10:00:00+02:00")
        .replace("starts_on = \"2026-05-12\"", "starts_on = 2026-05-12");
    assert_eq!(toml_ok(&text).programme, toml_ok(BASE).programme);
}

#[test]
fn toml_syntax_errors_name_their_line() {
    let text = BASE.replace("name = \"AI\"", "name = AI");
    let e = errors(&text, EventFileFormat::Toml);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("line 10: not valid TOML: "), "{e:?}");
}

#[test]
fn yaml_syntax_errors_name_their_line() {
    let e = errors(
        "event:\n  slug: x\n  name: [unclosed\n",
        EventFileFormat::Yaml,
    );
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("line 4: not valid YAML: "), "{e:?}");
    assert!(!e[0].contains(" at line "), "{e:?}");
}

#[test]
fn every_missing_or_malformed_value_is_reported_with_its_line() {
    let text = BASE
        .replace("time_zone = \"Europe/Berlin\"\n", "")
        .replace("capacity = 100", "capacity = -5")
        .replace("starts_at = \"2026-05-12T09:00\"", "starts_at = \"soon\"")
        .replace("kind = \"talk\"", "kind = \"party\"\nlevel = 3")
        .replace("ends_at = \"2026-05-12T10:00\"\n", "");
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        [
            "line 1, column time_zone: event: time_zone is required",
            "line 13, column capacity: room Hall A: capacity must be a whole number of seats, found '-5'",
            "line 15, column ends_at: session S1: ends_at is required",
            "line 19, column starts_at: session S1: 'soon' is not a valid time (write 2026-05-12T09:00 for event local time, or 2026-05-12T09:00+02:00 with an offset)",
            "line 20, column kind: session S1: unknown session kind 'party' (keynote, talk, workshop, panel or other)",
            "line 21, column level: session S1: unknown key 'level'",
        ]
    );
}

#[test]
fn unknown_top_level_keys_and_wrong_shapes_are_errors() {
    let text = format!(
        "title = \"x\"\nrooms = \"Hall A\"\n{}",
        BASE.replace("[[rooms]]\nname = \"Hall A\"\ncapacity = 100\n", "")
    );
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        [
            "line 1, column title: unknown key 'title' (expected event, topics, rooms, sessions, sessions_csv)",
            "line 2, column rooms: rooms must be a list of tables, found text",
        ]
    );
    assert_eq!(
        errors(
            "[[topics]]\nslug = \"ai\"\nname = \"AI\"\n",
            EventFileFormat::Toml
        ),
        ["line 1, column event: the event section is missing ([event] in TOML, event: in YAML)"]
    );
    assert_eq!(
        errors("", EventFileFormat::Yaml),
        ["line 1: the file is empty"]
    );
    assert_eq!(
        errors("- a\n- b\n", EventFileFormat::Yaml),
        ["line 1: expected a table of event, topics, rooms and sessions, found a list"]
    );
}

#[test]
fn programme_problems_point_at_the_key_in_the_session_concerned() {
    let text = format!(
        "{BASE}\n[[sessions]]\nid = \"S2\"\ntitle = \"Two\"\nroom = \"Hall Z\"\nstarts_at = \"2026-05-12T11:00\"\nends_at = \"2026-05-12T10:00\"\nkind = \"talk\"\ntopics = [\"ai\", \"ml:2\"]\n"
    );
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        [
            "line 28, column room: session S2: unknown room 'Hall Z'",
            "line 30, column ends_at: session S2: ends_at must be after starts_at",
            "line 32, column topics: session S2: unknown topic 'ml'",
        ]
    );
}

#[test]
fn a_duplicated_session_id_points_at_the_second_copy() {
    let second = &BASE[BASE.find("[[sessions]]").unwrap()..];
    let text = format!("{BASE}\n{second}");
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        ["line 26, column id: session S1: id is listed twice"]
    );
}

#[test]
fn event_problems_point_at_the_event_key() {
    let text = BASE
        .replace("ends_on = \"2026-05-12\"", "ends_on = \"2026-05-11\"")
        .replace("name = \"Summit\"", "name = \" \"");
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        ["line 3, column name: event: name is required"]
    );
    let text = BASE.replace("ends_on = \"2026-05-12\"", "ends_on = \"2026-05-11\"");
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        ["line 6, column ends_on: event: ends_on must not be before starts_on"]
    );
}

#[test]
fn an_unknown_time_zone_is_reported_once_not_for_every_local_time() {
    let text = BASE.replace("Europe/Berlin", "Mars/Olympus");
    assert_eq!(
        errors(&text, EventFileFormat::Toml),
        [
            "line 4, column time_zone: event: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)"
        ]
    );
}

#[test]
fn a_local_time_in_a_daylight_saving_gap_is_an_error_not_a_shift() {
    let text = BASE
        .replace("2026-05-12T09:00", "2026-03-29T02:30")
        .replace("2026-05-12T10:00", "2026-03-29T03:30");
    let e = errors(&text, EventFileFormat::Toml);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("line 20, column starts_at: session S1: '2026-03-29T02:30' does not exist in Europe/Berlin"), "{e:?}");
}

#[test]
fn yaml_errors_name_lines_too() {
    let yaml = "event:\n  slug: summit\n  name: Summit\n  time_zone: Europe/Berlin\n  starts_on: 2026-05-12\n  ends_on: 2026-05-12\ntopics:\n  - slug: ai\n    name: AI\nrooms:\n  - name: Hall A\n    capacity: 100\nsessions:\n  - id: S1\n    title: Intro\n    room: Hall B\n    starts_at: 2026-10-25T02:30\n    ends_at: 2026-10-25T04:00\n    kind: talk\n    topics: [ai, big-data]\n";
    let e = errors(yaml, EventFileFormat::Yaml);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("line 17, column starts_at: session S1: '2026-10-25T02:30' happens twice"),
        "{e:?}"
    );
    let fixed = yaml.replace("2026-10-25T02:30", "2026-10-25T02:30+01:00");
    assert_eq!(
        errors(&fixed, EventFileFormat::Yaml),
        [
            "line 16, column room: session S1: unknown room 'Hall B'",
            "line 20, column topics: session S1: unknown topic 'big-data'",
        ]
    );
}

#[test]
fn topic_forms_report_their_own_mistakes() {
    for (topics, expected) in [
        ("[\"ai:x\"]", "weight 'x' of topic 'ai' is not a number"),
        ("[{ weight = 2 }]", "a topic table needs topic = \"slug\""),
        (
            "[{ topic = \"ai\", share = 2 }]",
            "unknown key 'share' in a topic (topic, weight)",
        ),
        (
            "{ ai = \"lots\" }",
            "weight of topic 'ai' must be a number, found text",
        ),
        (
            "[3]",
            "each topic must be \"slug\", \"slug:weight\" or a table with topic and weight, found a number",
        ),
        (
            "[\"AI\"]",
            "topic 'AI' may only contain lowercase letters, digits and hyphens",
        ),
        ("[]", "topics needs at least one topic"),
    ] {
        let text = BASE.replace("topics = [\"ai\"]", &format!("topics = {topics}"));
        assert_eq!(
            errors(&text, EventFileFormat::Toml),
            [format!("line 23, column topics: session S1: {expected}")],
            "{topics}"
        );
    }
    let text = BASE.replace(
        "topics = [\"ai\"]",
        "topics = \"ai:2\"\nspeakers = \"Ada; Grace\"",
    );
    let s = &toml_ok(&text).programme.sessions[0];
    assert_eq!(s.topics[0].weight, 2.0);
    assert_eq!(s.speakers, ["Ada", "Grace"]);
}

/// The first fenced block in docs/formats.md that starts with `opening` (the fence
/// and the beginning of its text).
fn doc_block(opening: &str) -> &'static str {
    let doc = include_str!("../../docs/formats.md");
    let start = doc.find(opening).unwrap() + opening.find('\n').unwrap() + 1;
    &doc[start..start + doc[start..].find("```").unwrap()]
}

#[test]
fn the_documented_examples_parse_and_agree() {
    let from_toml = toml_ok(doc_block("```toml\n"));
    assert_eq!(
        from_toml.sessions_csv.as_deref(),
        Some("cloud-summit-sessions.csv")
    );
    let from_yaml = parse_event_file(doc_block("```yaml\n"), EventFileFormat::Yaml).unwrap();
    assert_eq!(from_yaml.programme, from_toml.programme);
    let topics = ["ai", "big-data", "video-streaming", "object-storage"];
    let attendees = doc_block("```csv\nemail,").as_bytes();
    let out = crate::formats::parse_attendees_csv(attendees, &topics).unwrap();
    assert_eq!(out.rows.len(), 2);
}

#[test]
fn formats_are_known_by_extension() {
    let f = |p: &str| EventFileFormat::from_path(Path::new(p));
    assert_eq!(f("a/summit.toml"), Some(EventFileFormat::Toml));
    assert_eq!(f("summit.YAML"), Some(EventFileFormat::Yaml));
    assert_eq!(f("summit.yml"), Some(EventFileFormat::Yaml));
    assert_eq!(f("summit.json"), None);
    assert_eq!(f("summit"), None);
}

mod round_trip {
    use super::*;
    use crate::domain::programme::TopicWeight;
    use crate::domain::slug::Slug;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Quotes, formula starts, commas, semicolons-free Unicode: what titles look like.
        "[=+@'\"a-zA-Z0-9äé#:,. -]{0,20}[a-zA-Z0-9äé\"'.]"
            .prop_map(|s| s.trim().to_owned())
            .prop_filter("non-empty", |s| !s.is_empty())
    }

    prop_compose! {
        fn session(i: usize)(
            title in text(),
            start in 1_780_000_000i64..1_800_000_000,
            nanos in prop_oneof![Just(0i32), 0i32..1_000_000_000],
            minutes in 1i64..600,
            kind in 0usize..5,
            weight in prop_oneof![Just(1.0f64), 0.01f64..10.0],
            both in any::<bool>(),
            speakers in proptest::collection::vec(text(), 0..3),
            room in 0usize..2,
        ) -> Session {
            let starts_at = Timestamp::new(start, nanos).unwrap();
            let mut topics = vec![TopicWeight { topic: Slug::parse("ai").unwrap(), weight }];
            if both {
                topics.push(TopicWeight { topic: Slug::parse("big-data").unwrap(), weight: 0.5 });
            }
            Session {
                id: format!("S{i}"),
                title,
                room: ["Hall A", "=Room 2"][room].into(),
                starts_at,
                ends_at: starts_at + jiff::SignedDuration::from_mins(minutes),
                kind: SessionKind::ALL[kind],
                topics,
                speakers,
            }
        }
    }

    fn programme() -> impl Strategy<Value = Programme> {
        (session(1), session(2), session(3)).prop_map(|(a, b, c)| {
            let mut p = toml_ok(BASE).programme;
            p.event.time_zone = "America/New_York".into();
            p.topics.push(Topic {
                slug: Slug::parse("big-data").unwrap(),
                name: "Big data".into(),
            });
            p.rooms.push(Room {
                name: "=Room 2".into(),
                capacity: 9,
            });
            p.sessions = vec![a, b, c];
            p
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn event_files_round_trip(p in programme()) {
            for format in [EventFileFormat::Toml, EventFileFormat::Yaml] {
                let text = write_event_file(&p, format);
                let back = parse_event_file(&text, format);
                prop_assert_eq!(back.map(|b| b.programme), Ok(p.clone()), "{}", text);
            }
        }

        #[test]
        fn sessions_csv_round_trips(p in programme()) {
            let csv = crate::formats::sessions_csv::write_sessions_csv(&p);
            let back = parse_sessions_csv(csv.as_bytes(), &p).map(|o| o.rows);
            prop_assert_eq!(back, Ok(p.sessions.clone()), "{}", csv);
        }
    }
}
