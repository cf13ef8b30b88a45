//! The rows a programme import writes, worked out without a database.

use super::*;
use crate::domain::{
    programme::{SessionKind, TopicWeight},
    slug::Slug,
};

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn session(id: &str, room: &str, topics: &[(&str, f64)]) -> Session {
    Session {
        id: id.into(),
        title: format!("Title of {id}"),
        room: room.into(),
        starts_at: "2026-05-12T09:00:00Z".parse().unwrap(),
        ends_at: "2026-05-12T09:45:00Z".parse().unwrap(),
        kind: SessionKind::Workshop,
        topics: topics
            .iter()
            .map(|(t, weight)| TopicWeight {
                topic: slug(t),
                weight: *weight,
            })
            .collect(),
        speakers: vec!["Ana Diaz".into(), "Bo \"B\" Li".into()],
    }
}

/// DevConf with a room as large as a capacity can be, and `sessions`.
fn programme(sessions: Vec<Session>) -> Programme {
    let mut p = crate::domain::programme::devconf();
    p.rooms[1].capacity = u32::MAX;
    p.sessions = sessions;
    p
}

#[test]
fn topics_and_rooms_are_written_in_programme_order() {
    let p = programme(Vec::new());
    assert_eq!(
        topic_rows(&p),
        vec![
            TopicRow {
                slug: "cloud",
                name: "Cloud platforms",
                position: 0
            },
            TopicRow {
                slug: "ai",
                name: "Machine learning",
                position: 1
            },
        ]
    );
    assert_eq!(
        room_rows(&p),
        vec![
            RoomRow {
                name: "Main Hall",
                capacity: 400,
                position: 0
            },
            RoomRow {
                name: "Lab",
                capacity: 4_294_967_295,
                position: 1
            },
        ]
    );
}

#[test]
fn a_session_row_names_its_room_by_id_and_its_speakers_as_json() {
    let s = session("s1", "Lab", &[]);
    let rooms = HashMap::from([("Main Hall", 10), ("Lab", 11)]);
    assert_eq!(
        session_row(&s, &rooms).unwrap(),
        SessionRow {
            external_id: "s1",
            title: "Title of s1",
            room_id: 11,
            starts_at: 1_778_576_400_000,
            ends_at: 1_778_579_100_000,
            kind: "workshop",
            speakers: r#"["Ana Diaz","Bo \"B\" Li"]"#.into(),
        }
    );
}

#[test]
fn a_session_in_a_room_the_programme_lacks_is_refused() {
    let s = session("s9", "Attic", &[]);
    let err = session_row(&s, &HashMap::from([("Lab", 11)])).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m == "session s9: unknown room 'Attic'"),
        "{err:?}"
    );
}

#[test]
fn session_topics_keep_their_weights_and_refuse_an_unknown_topic() {
    let topics = HashMap::from([("cloud", 1), ("ai", 2)]);
    let s = session("s1", "Lab", &[("ai", 0.5), ("cloud", 1.0)]);
    assert_eq!(
        session_topic_rows(&s, &topics).unwrap(),
        vec![(2, 0.5), (1, 1.0)]
    );
    let s = session("s2", "Lab", &[("cloud", 1.0), ("iot", 1.0)]);
    let err = session_topic_rows(&s, &topics).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m == "session s2: unknown topic 'iot'"),
        "{err:?}"
    );
}

#[test]
fn the_summary_counts_the_file_and_lists_stored_sessions_it_no_longer_has() {
    let p = programme(vec![session("s1", "Lab", &[]), session("s3", "Lab", &[])]);
    let stored = vec!["s0".into(), "s1".into(), "s2".into(), "s3".into()];
    assert_eq!(
        summary(4, false, &p, stored),
        ImportSummary {
            event_id: 4,
            created: false,
            topics: 2,
            rooms: 2,
            sessions: 2,
            sessions_not_in_file: vec!["s0".into(), "s2".into()],
        }
    );
    let all_listed = summary(4, true, &p, vec!["s1".into(), "s3".into()]);
    assert!(all_listed.created);
    assert!(all_listed.sessions_not_in_file.is_empty());
}
