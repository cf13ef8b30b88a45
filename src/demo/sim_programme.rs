//! A generated programme for simulated events of any size: opening keynotes, parallel
//! slots of talks, panels and workshops, a closing keynote, and one fashionable topic that
//! the programme committee gives more sessions than the others.

use jiff::{SignedDuration, civil::Date, tz::TimeZone};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

use crate::domain::{
    programme::{EventInfo, Programme, Room, Session, SessionKind, Topic, TopicWeight},
    slug::Slug,
};

const TOPICS: &[(&str, &str)] = &[
    ("ai", "AI and machine learning"),
    ("big-data", "Big data and analytics"),
    ("video-cloud", "Video cloud and streaming"),
    ("databases", "Managed databases"),
    ("object-storage", "Object storage"),
    ("security", "Cloud security"),
    ("caching", "Caching and CDN"),
    ("serverless", "Serverless computing"),
    ("observability", "Observability"),
    ("networking", "Cloud networking"),
    ("iot", "Internet of things"),
    ("devops", "DevOps and platform engineering"),
];

/// The size and mix of a generated programme.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Sessions in all, keynotes included.
    pub sessions: usize,
    /// Topics (at most 12).
    pub topics: usize,
    /// Rooms used in parallel after the keynotes (the main hall is one of them).
    pub tracks: usize,
    /// Share of the parallel sessions whose main topic is the fashionable one (topic 0).
    pub fashionable_share: f64,
    /// Share of sessions with a second, lighter topic.
    pub second_topic: f64,
    /// Room capacity as a share of the attendees, for the smaller rooms; the main hall holds
    /// everybody.
    pub room_share: f64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            sessions: 50,
            topics: 8,
            tracks: 5,
            fashionable_share: 0.24,
            second_topic: 0.35,
            room_share: 0.22,
        }
    }
}

/// The slug of the fashionable topic in a generated programme.
pub fn fashionable(p: &Programme) -> &str {
    p.topics.first().map_or("", |t| t.slug.as_str())
}

/// A valid programme of `shape` for `attendees` people, the same for the same `seed`.
pub fn generated(shape: &Shape, attendees: usize, seed: u64) -> Programme {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_0001);
    let slug = |s: &str| Slug::parse(s).expect("fixed slug");
    let topics: Vec<Topic> = TOPICS
        .iter()
        .take(shape.topics.clamp(2, TOPICS.len()))
        .map(|(s, n)| Topic {
            slug: slug(s),
            name: (*n).into(),
        })
        .collect();
    let tracks = shape.tracks.max(2);
    let small = ((attendees as f64 * shape.room_share).ceil() as u32).max(10);
    let mut rooms = vec![Room {
        name: "Main Hall".into(),
        capacity: attendees as u32 + 50,
    }];
    for r in 1..tracks {
        rooms.push(Room {
            name: format!("Room {r}"),
            capacity: small + (r as u32 % 3) * small / 4,
        });
    }
    let day: Date = "2026-05-12".parse().expect("fixed date");
    let tz = TimeZone::get("Europe/Berlin").expect("known zone");
    let nine = day
        .at(9, 0, 0, 0)
        .to_zoned(tz)
        .expect("a real time")
        .timestamp();
    let at = |m: i64| nine + SignedDuration::from_mins(m);
    let topic_weights = |picked: &[(usize, f64)]| -> Vec<TopicWeight> {
        picked
            .iter()
            .map(|(t, w)| TopicWeight {
                topic: topics[*t].slug.clone(),
                weight: *w,
            })
            .collect()
    };
    let mut sessions = Vec::new();
    let keynote = |sessions: &mut Vec<Session>, start: i64, rng: &mut StdRng| {
        let n = sessions.len() + 1;
        let mut spread: Vec<usize> = (0..topics.len()).collect();
        spread.sort_by_key(|_| rng.random::<u32>());
        spread.truncate(3.min(topics.len()));
        sessions.push(Session {
            id: format!("K{n}"),
            title: format!("Keynote {n}"),
            room: "Main Hall".into(),
            starts_at: at(start),
            ends_at: at(start + 45),
            kind: SessionKind::Keynote,
            topics: topic_weights(&spread.iter().map(|t| (*t, 1.0)).collect::<Vec<_>>()),
            speakers: vec![format!("Keynote speaker {n}")],
        });
    };
    keynote(&mut sessions, 0, &mut rng);
    keynote(&mut sessions, 45, &mut rng);
    let parallel = shape.sessions.saturating_sub(3).max(tracks);
    let mut start = 105;
    let mut made = 0;
    // A workshop runs two slots in the last room.
    let mut lab_busy = false;
    while made < parallel {
        let mut used: Vec<usize> = Vec::new();
        for (r, room) in rooms.iter().enumerate() {
            if made >= parallel {
                break;
            }
            if r == tracks - 1 && lab_busy {
                lab_busy = false;
                continue;
            }
            let main = if rng.random_bool(shape.fashionable_share.clamp(0.0, 1.0)) {
                0
            } else {
                let fresh: Vec<usize> = (1..topics.len()).filter(|t| !used.contains(t)).collect();
                let pool: Vec<usize> = if fresh.is_empty() {
                    (1..topics.len()).collect()
                } else {
                    fresh
                };
                *pool.choose(&mut rng).expect("two topics at least")
            };
            used.push(main);
            let mut picked = vec![(main, 1.0)];
            if rng.random_bool(shape.second_topic.clamp(0.0, 1.0)) {
                let other = rng.random_range(0..topics.len());
                if other != main {
                    picked.push((other, rng.random_range(0.3..0.7)));
                }
            }
            let workshop = r == tracks - 1 && made + tracks < parallel && rng.random_bool(0.3);
            let kind = if workshop {
                lab_busy = true;
                SessionKind::Workshop
            } else if rng.random_bool(0.12) {
                SessionKind::Panel
            } else {
                SessionKind::Talk
            };
            let length = if workshop { 105 } else { 45 };
            made += 1;
            sessions.push(Session {
                id: format!("S{made:02}"),
                title: format!("{} session {made}", topics[main].name),
                room: room.name.clone(),
                starts_at: at(start),
                ends_at: at(start + length),
                kind,
                topics: topic_weights(&picked),
                speakers: vec![format!("Speaker {made}")],
            });
        }
        start += 60;
    }
    keynote(&mut sessions, start, &mut rng);
    Programme {
        event: EventInfo {
            slug: slug("simulated-summit"),
            name: "Simulated Summit".into(),
            time_zone: "Europe/Berlin".into(),
            venue: "Simulated venue".into(),
            starts_on: day,
            ends_on: day,
        },
        topics,
        rooms,
        sessions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_programmes_are_valid_and_have_the_asked_size() {
        for seed in 0..20 {
            let p = generated(&Shape::default(), 3000, seed);
            p.validate().unwrap();
            assert_eq!(p.sessions.len(), 50, "seed {seed}");
            let fashionable = p
                .sessions
                .iter()
                .filter(|s| s.kind != SessionKind::Keynote && s.topics[0].topic.as_str() == "ai")
                .count();
            assert!(fashionable >= 5, "seed {seed}: {fashionable}");
            assert_eq!(
                p.sessions
                    .iter()
                    .filter(|s| s.kind == SessionKind::Keynote)
                    .count(),
                3
            );
        }
        assert_eq!(
            generated(&Shape::default(), 300, 4),
            generated(&Shape::default(), 300, 4)
        );
    }
}
