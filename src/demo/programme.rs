//! The sample event: a one-day cloud-vendor conference with parallel tracks.

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time},
    tz::TimeZone,
};

use crate::domain::{
    programme::{EventInfo, Programme, Room, Session, SessionKind, Topic, TopicWeight},
    slug::Slug,
};

pub const SLUG: &str = "cloud-summit-2026";

const TOPICS: &[(&str, &str)] = &[
    ("big-data", "Big data and analytics"),
    ("ai", "AI and machine learning"),
    ("video-cloud", "Video cloud and streaming"),
    ("databases", "Managed databases"),
    ("object-storage", "Object storage"),
    ("security", "Cloud security"),
    ("caching", "Caching and CDN"),
];

const ROOMS: &[(&str, u32)] = &[
    ("Main Hall", 600),
    ("Room A", 150),
    ("Room B", 150),
    ("Room C", 120),
    ("Workshop Lab", 40),
];

/// (id, title, room, start, end, kind, topics as `slug:weight`)
const SESSIONS: &[(&str, &str, &str, &str, &str, SessionKind, &str)] = &[
    (
        "K1",
        "Opening keynote: the next decade of cloud",
        "Main Hall",
        "09:00",
        "09:45",
        SessionKind::Keynote,
        "ai:1;big-data:1;security:1",
    ),
    (
        "K2",
        "Keynote: building for a billion users",
        "Main Hall",
        "09:45",
        "10:30",
        SessionKind::Keynote,
        "video-cloud:1;databases:1;caching:1",
    ),
    (
        "T01",
        "Lakehouse architectures in practice",
        "Room A",
        "11:00",
        "11:45",
        SessionKind::Talk,
        "big-data:3;databases:1",
    ),
    (
        "T02",
        "Serving LLMs at scale on GPUs",
        "Room B",
        "11:00",
        "11:45",
        SessionKind::Talk,
        "ai:3",
    ),
    (
        "T03",
        "Low-latency live streaming",
        "Room C",
        "11:00",
        "11:45",
        SessionKind::Talk,
        "video-cloud:3;caching:1",
    ),
    (
        "W01",
        "Hands-on: your first data pipeline",
        "Workshop Lab",
        "11:00",
        "12:30",
        SessionKind::Workshop,
        "big-data:3",
    ),
    (
        "T04",
        "Postgres, serverless and branching",
        "Room A",
        "12:00",
        "12:45",
        SessionKind::Talk,
        "databases:3",
    ),
    (
        "T05",
        "Zero-trust networking for hybrid clouds",
        "Room B",
        "12:00",
        "12:45",
        SessionKind::Talk,
        "security:3",
    ),
    (
        "T06",
        "Storage classes that cut your bill",
        "Room C",
        "12:00",
        "12:45",
        SessionKind::Talk,
        "object-storage:3",
    ),
    (
        "T07",
        "Vector search inside your database",
        "Room A",
        "14:00",
        "14:45",
        SessionKind::Talk,
        "ai:2;databases:2",
    ),
    (
        "T08",
        "Streaming analytics with exactly-once",
        "Room B",
        "14:00",
        "14:45",
        SessionKind::Talk,
        "big-data:3",
    ),
    (
        "T09",
        "Edge caching for video on demand",
        "Room C",
        "14:00",
        "14:45",
        SessionKind::Talk,
        "caching:2;video-cloud:2",
    ),
    (
        "W02",
        "Hands-on: fine-tune and deploy a model",
        "Workshop Lab",
        "14:00",
        "15:30",
        SessionKind::Workshop,
        "ai:3",
    ),
    (
        "P01",
        "Panel: data governance in regulated industries",
        "Main Hall",
        "14:00",
        "14:45",
        SessionKind::Panel,
        "security:2;big-data:1",
    ),
    (
        "T10",
        "Backups, versioning and ransomware",
        "Room A",
        "15:00",
        "15:45",
        SessionKind::Talk,
        "object-storage:2;security:2",
    ),
    (
        "T11",
        "Transcoding pipelines on spot capacity",
        "Room B",
        "15:00",
        "15:45",
        SessionKind::Talk,
        "video-cloud:3",
    ),
    (
        "T12",
        "Redis patterns that survive failover",
        "Room C",
        "15:00",
        "15:45",
        SessionKind::Talk,
        "caching:3;databases:1",
    ),
    (
        "T13",
        "Data lakes on object storage",
        "Room A",
        "16:00",
        "16:45",
        SessionKind::Talk,
        "object-storage:2;big-data:2",
    ),
    (
        "T14",
        "Securing ML supply chains",
        "Room B",
        "16:00",
        "16:45",
        SessionKind::Talk,
        "ai:1;security:3",
    ),
    (
        "W03",
        "Hands-on: migrate a database with no downtime",
        "Workshop Lab",
        "16:00",
        "17:30",
        SessionKind::Workshop,
        "databases:3",
    ),
    (
        "T15",
        "Multi-CDN strategies for live sport",
        "Room C",
        "16:00",
        "16:45",
        SessionKind::Talk,
        "video-cloud:2;caching:2",
    ),
    (
        "K3",
        "Closing keynote: customers on stage",
        "Main Hall",
        "17:00",
        "17:45",
        SessionKind::Keynote,
        "ai:1;big-data:1;video-cloud:1;object-storage:1",
    ),
];

/// The sample programme; deterministic, valid by construction (checked in tests).
pub fn cloud_summit() -> Programme {
    cloud_summit_on(
        "2026-05-12".parse().expect("fixed date"),
        "Europe/Berlin",
        OPENING,
    )
}

/// When the opening keynote starts in `cloud_summit`; the timetable keeps its shape around it.
pub const OPENING: Time = Time::constant(9, 0, 0, 0);

/// How long the sample day runs, from the opening keynote to the end of the last session.
pub fn day_length() -> SignedDuration {
    let minutes = |hm: &str| -> i64 {
        let (h, m) = hm.split_once(':').expect("HH:MM");
        h.parse::<i64>().expect("hour") * 60 + m.parse::<i64>().expect("minute")
    };
    let last = SESSIONS
        .iter()
        .map(|s| minutes(s.4))
        .max()
        .unwrap_or_default();
    SignedDuration::from_mins(last - minutes("09:00"))
}

/// The sample programme on `day` in `time_zone` (an IANA name), with its opening keynote at
/// `opening` local time.
pub fn cloud_summit_on(day: Date, time_zone: &str, opening: Time) -> Programme {
    let tz = TimeZone::get(time_zone).expect("a known time zone");
    let start = day.to_datetime(opening);
    let at = |hm: &str| -> Timestamp {
        let (h, m) = hm.split_once(':').expect("HH:MM");
        let since_nine = SignedDuration::from_mins(
            (h.parse::<i64>().expect("hour") - 9) * 60 + m.parse::<i64>().expect("minute"),
        );
        start
            .checked_add(since_nine)
            .expect("a session within the calendar")
            .to_zoned(tz.clone())
            .expect("a time within the calendar")
            .timestamp()
    };
    let slug = |s: &str| Slug::parse(s).expect("fixed slug");
    Programme {
        event: EventInfo {
            slug: slug(SLUG),
            name: "Cloud Summit 2026".into(),
            time_zone: time_zone.into(),
            venue: "Estrel Congress Center, Berlin".into(),
            starts_on: day,
            ends_on: day,
        },
        topics: TOPICS
            .iter()
            .map(|(s, n)| Topic {
                slug: slug(s),
                name: (*n).into(),
            })
            .collect(),
        rooms: ROOMS
            .iter()
            .map(|(n, c)| Room {
                name: (*n).into(),
                capacity: *c,
            })
            .collect(),
        sessions: SESSIONS
            .iter()
            .map(|(id, title, room, start, end, kind, topics)| Session {
                id: (*id).into(),
                title: (*title).into(),
                room: (*room).into(),
                starts_at: at(start),
                ends_at: at(end),
                kind: *kind,
                topics: topics
                    .split(';')
                    .map(|tw| {
                        let (t, w) = tw.split_once(':').expect("slug:weight");
                        TopicWeight {
                            topic: slug(t),
                            weight: w.parse().expect("weight"),
                        }
                    })
                    .collect(),
                speakers: vec![format!("Speaker {id}")],
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_programme_is_valid_and_big_enough() {
        let p = cloud_summit();
        p.validate().unwrap();
        assert!(p.topics.len() >= 6);
        assert!(p.rooms.len() >= 4);
        assert!(p.sessions.len() >= 20);
        assert!(p.sessions.iter().any(|s| s.kind == SessionKind::Keynote));
        assert!(p.sessions.iter().any(|s| s.kind == SessionKind::Workshop));
    }
}
