//! A simulated day at the doors, pure and reproducible, with each person's true interests
//! known. People choose among parallel sessions by their interests, peek into sessions of
//! the fashionable topic out of curiosity, spend slots in the hallway, are sent to their
//! second choice by full rooms, leave early; the doors miss entries (tailgating) and exits,
//! scan twice, scan at the wrong door, and kiosks that were offline deliver late and out of
//! order. Every proportion is a field of `Behaviour`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

use crate::domain::{
    door::scan::Direction,
    programme::{Programme, Session, SessionKind},
};

/// One attendee as the demo registers them: the truth is drawn from what they ticked.
#[derive(Debug, Clone)]
pub struct Walker {
    pub attendee_id: i64,
    /// Topic slugs ticked at registration.
    pub declared: Vec<String>,
}

/// One person with known interests.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub attendee_id: i64,
    /// Topic slugs ticked at registration (may be wrong, partial or empty).
    pub declared: Vec<String>,
    /// The true main topic.
    pub main: String,
    /// Lesser interests, never the main topic.
    pub also: Vec<String>,
}

/// How people fill in the interests on the form.
#[derive(Debug, Clone)]
pub struct Declarations {
    /// Tick their main topic (and perhaps a lesser one or two).
    pub honest: f64,
    /// Tick only lesser interests.
    pub partial: f64,
    /// Tick something they do not care about.
    pub wrong: f64,
    // The rest tick nothing.
}

impl Default for Declarations {
    fn default() -> Self {
        Declarations {
            honest: 0.55,
            partial: 0.15,
            wrong: 0.1,
        }
    }
}

/// One simulated door scan.
#[derive(Debug, Clone, PartialEq)]
pub struct SimScan {
    pub attendee_id: i64,
    pub room: String,
    /// When the kiosk scanned (its clock is right).
    pub at: Timestamp,
    pub direction: Direction,
    /// Whether an offline kiosk delivered it late.
    pub late: bool,
}

/// The simulated day.
#[derive(Debug, Clone, Default)]
pub struct DoorDay {
    /// In the order the server receives them: time order, except that the scans of a
    /// kiosk that was offline arrive together when it is back.
    pub scans: Vec<SimScan>,
    /// Each person's true main topic (no-shows included).
    pub truth: HashMap<i64, String>,
    pub no_shows: usize,
    /// The people who came, by attendee id.
    pub came: Vec<i64>,
}

/// How people and doors behave; the defaults give a believable, messy day.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub no_show: f64,
    /// For `Walker`s: the true main topic is the first ticked one this often, else any.
    pub declared_is_true: f64,
    /// A keynote is attended this often.
    pub keynote: f64,
    /// A slot is spent in the hallway this often when something on the main topic runs,
    pub hallway: f64,
    /// and this often when nothing does.
    pub hallway_unmatched: f64,
    /// A session is picked at random instead of by interest this often.
    pub wander: f64,
    /// How much the main topic outweighs a lesser interest when choosing (1 = no more).
    pub focus: f64,
    /// Random spread added to each session's appeal (0 = always the best match).
    pub whim: f64,
    /// The fashionable topic, when there is one: people who do not care most about it peek
    /// into its sessions for a few minutes this often (`curiosity`) before moving on.
    pub fashionable: Option<String>,
    pub curiosity: f64,
    /// A whole session is left early (a third to three quarters in) this often.
    pub leave_early: f64,
    /// Arriving after the opening or leaving before the close, this often.
    pub partial_day: f64,
    /// An entry without a scan (following someone through the door).
    pub tailgate: f64,
    /// Exits scanned this often when leaving at the end, and `scan_exit_early` when not.
    pub scan_exit: f64,
    pub scan_exit_early: f64,
    pub scan_twice: f64,
    /// An entry scanned at the next room's door.
    pub wrong_door: f64,
    /// Share of rooms whose kiosk goes offline for an hour and delivers its scans late.
    pub offline_rooms: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            no_show: 0.08,
            declared_is_true: 0.7,
            keynote: 0.85,
            hallway: 0.06,
            hallway_unmatched: 0.3,
            wander: 0.08,
            focus: 3.0,
            whim: 0.8,
            fashionable: None,
            curiosity: 0.3,
            leave_early: 0.12,
            partial_day: 0.12,
            tailgate: 0.08,
            scan_exit: 0.5,
            scan_exit_early: 0.6,
            scan_twice: 0.05,
            wrong_door: 0.02,
            offline_rooms: 0.25,
        }
    }
}

fn minutes(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// Simulates the day for demo walkers, drawing each one's truth from what they ticked.
pub fn simulate(programme: &Programme, walkers: &[Walker], seed: u64, b: &Behaviour) -> DoorDay {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7e11);
    let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<Person> = walkers
        .iter()
        .map(|w| {
            let main = match w.declared.first() {
                Some(t) if rng.random_bool(b.declared_is_true) => t.clone(),
                _ => topics
                    .choose(&mut rng)
                    .map(|t| (*t).to_owned())
                    .unwrap_or_default(),
            };
            Person {
                attendee_id: w.attendee_id,
                also: w.declared.iter().filter(|d| **d != main).cloned().collect(),
                declared: w.declared.clone(),
                main,
            }
        })
        .collect();
    simulate_people(programme, &people, seed, b)
}

/// A stay in one session.
struct Stay {
    session: usize,
    entered: Timestamp,
    left: Timestamp,
    /// Left before the end (or only peeked in).
    early: bool,
}

/// How much of a session is about the person's main topic and about their lesser ones.
fn affinity(s: &Session, p: &Person) -> (f64, f64) {
    let total: f64 = s
        .topics
        .iter()
        .map(|t| t.weight)
        .sum::<f64>()
        .max(f64::EPSILON);
    let mut main = 0.0;
    let mut other = 0.0;
    for t in &s.topics {
        if t.topic.as_str() == p.main {
            main += t.weight / total;
        } else if p.also.iter().any(|a| a == t.topic.as_str()) {
            other += t.weight / total;
        }
    }
    (main, other)
}

/// Simulates the day of `programme` for `people`, the same for the same `seed`.
pub fn simulate_people(
    programme: &Programme,
    people: &[Person],
    seed: u64,
    b: &Behaviour,
) -> DoorDay {
    let mut rng = StdRng::seed_from_u64(seed);
    let sessions = &programme.sessions;
    let capacity: HashMap<&str, u32> = programme
        .rooms
        .iter()
        .map(|r| (r.name.as_str(), r.capacity))
        .collect();
    let room_cap = |i: usize| {
        capacity
            .get(sessions[i].room.as_str())
            .copied()
            .unwrap_or(u32::MAX)
    };
    let mut starts: Vec<Timestamp> = sessions.iter().map(|s| s.starts_at).collect();
    starts.sort();
    starts.dedup();
    let first = starts.first().copied().unwrap_or(Timestamp::UNIX_EPOCH);
    let last = starts.last().copied().unwrap_or(Timestamp::UNIX_EPOCH);
    // The offline kiosks: an hour each, somewhere in the day; scans then wait for the end.
    let offline: HashMap<&str, (Timestamp, Timestamp)> = programme
        .rooms
        .iter()
        .filter_map(|r| {
            if !rng.random_bool(b.offline_rooms) {
                return None;
            }
            let span = last.duration_since(first).as_mins().max(1);
            let from = first + minutes(rng.random_range(0..span));
            Some((r.name.as_str(), (from, from + minutes(60))))
        })
        .collect();
    let mut day = DoorDay::default();
    let mut filled: Vec<u32> = vec![0; sessions.len()];
    // (person, busy until, arrives, leaves the event)
    let mut present: Vec<(&Person, Timestamp, Timestamp, Timestamp)> = Vec::new();
    for p in people {
        day.truth.insert(p.attendee_id, p.main.clone());
        if rng.random_bool(b.no_show) {
            day.no_shows += 1;
            continue;
        }
        day.came.push(p.attendee_id);
        let (mut arrives, mut leaves) = (Timestamp::MIN, Timestamp::MAX);
        if rng.random_bool(b.partial_day) {
            let k = rng.random_range(1..=2.min(starts.len().max(1)));
            if rng.random_bool(0.5) {
                arrives = starts.get(k).copied().unwrap_or(last);
            } else {
                leaves = starts
                    .get(starts.len().saturating_sub(k))
                    .copied()
                    .unwrap_or(first);
            }
        }
        present.push((p, Timestamp::MIN, arrives, leaves));
    }
    let mut stays: Vec<(i64, Stay)> = Vec::new();
    for start in starts {
        let here: Vec<usize> = (0..sessions.len())
            .filter(|&i| sessions[i].starts_at == start)
            .collect();
        let plenary = here.len() == 1 && sessions[here[0]].kind == SessionKind::Keynote;
        let fashion: Vec<usize> = match &b.fashionable {
            Some(f) => here
                .iter()
                .copied()
                .filter(|&i| sessions[i].topics.iter().any(|t| t.topic.as_str() == f))
                .collect(),
            None => Vec::new(),
        };
        for (p, busy_until, arrives, leaves) in present.iter_mut() {
            if *busy_until > start || start < *arrives || start >= *leaves {
                continue;
            }
            if plenary {
                if rng.random_bool(b.keynote) {
                    let s = &sessions[here[0]];
                    stays.push((p.attendee_id, full_stay(here[0], s, &mut rng)));
                    *busy_until = s.ends_at;
                }
                continue;
            }
            let matched = here.iter().any(|&i| affinity(&sessions[i], p).0 > 0.0);
            let skip = if matched {
                b.hallway
            } else {
                b.hallway_unmatched
            };
            // Curiosity: a few minutes in a fashionable session, then on.
            let mut late_by = 0;
            if fashion.iter().all(|&i| affinity(&sessions[i], p).0 == 0.0)
                && rng.random_bool(b.curiosity)
                && let Some(&peek) = fashion.choose(&mut rng)
            {
                let s = &sessions[peek];
                let stay = rng.random_range(3..=14);
                let entered = s.starts_at + minutes(rng.random_range(-3..=2));
                stays.push((
                    p.attendee_id,
                    Stay {
                        session: peek,
                        entered,
                        left: entered + minutes(stay),
                        early: true,
                    },
                ));
                late_by = stay + rng.random_range(1..=4);
                *busy_until = entered + minutes(stay);
            }
            let pick = if rng.random_bool(skip) {
                None
            } else if rng.random_bool(b.wander) {
                here.choose(&mut rng).copied()
            } else {
                // Nobody sits through a hands-on workshop off their main topic.
                let mut ranked: Vec<(f64, usize)> = here
                    .iter()
                    .filter(|&&i| {
                        sessions[i].kind != SessionKind::Workshop
                            || affinity(&sessions[i], p).0 > 0.0
                    })
                    .map(|&i| {
                        let (main, other) = affinity(&sessions[i], p);
                        let appeal = b.focus * main + other + rng.random_range(0.0..=b.whim);
                        (appeal, i)
                    })
                    .collect();
                ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                // A full room sends people to their next choice.
                ranked
                    .into_iter()
                    .map(|(_, i)| i)
                    .find(|&i| filled[i] < room_cap(i))
            };
            let Some(chosen) = pick else { continue };
            if filled[chosen] >= room_cap(chosen) {
                continue;
            }
            filled[chosen] += 1;
            let s = &sessions[chosen];
            let mut stay = full_stay(chosen, s, &mut rng);
            if late_by > 0 {
                stay.entered = s.starts_at + minutes(late_by);
            }
            if rng.random_bool(b.leave_early) {
                let length = s.ends_at.duration_since(s.starts_at).as_mins().max(3);
                let left = s.starts_at + minutes(rng.random_range(length / 3..=length * 3 / 4));
                if left > stay.entered {
                    stay.left = left;
                    stay.early = true;
                }
            }
            *busy_until = if stay.early { stay.left } else { s.ends_at };
            stays.push((p.attendee_id, stay));
        }
    }
    for (attendee_id, stay) in stays {
        scans_of(&mut day.scans, programme, attendee_id, &stay, b, &mut rng);
    }
    // What the server receives: an offline kiosk's scans arrive when it is back.
    let delivered = |s: &SimScan| match offline.get(s.room.as_str()) {
        Some((from, to)) if *from <= s.at && s.at < *to => *to,
        _ => s.at,
    };
    for s in &mut day.scans {
        s.late = delivered(s) != s.at;
    }
    day.scans
        .sort_by_key(|s| (delivered(s), s.attendee_id, s.at));
    day
}

fn full_stay(i: usize, s: &Session, rng: &mut StdRng) -> Stay {
    Stay {
        session: i,
        entered: s.starts_at + minutes(rng.random_range(-6..=6)),
        left: s.ends_at + minutes(rng.random_range(-2..=3)),
        early: false,
    }
}

/// The door scans one stay leaves behind, imperfections included.
fn scans_of(
    out: &mut Vec<SimScan>,
    programme: &Programme,
    attendee_id: i64,
    stay: &Stay,
    b: &Behaviour,
    rng: &mut StdRng,
) {
    let s = &programme.sessions[stay.session];
    let scan = |room: &str, at: Timestamp, direction: Direction| SimScan {
        attendee_id,
        room: room.to_owned(),
        at,
        direction,
        late: false,
    };
    if !rng.random_bool(b.tailgate) {
        let room = if rng.random_bool(b.wrong_door) {
            let others: Vec<&str> = programme
                .sessions
                .iter()
                .filter(|o| {
                    o.room != s.room && o.starts_at <= stay.entered && stay.entered < o.ends_at
                })
                .map(|o| o.room.as_str())
                .collect();
            others.choose(rng).copied().unwrap_or(s.room.as_str())
        } else {
            s.room.as_str()
        };
        out.push(scan(room, stay.entered, Direction::Entry));
        if rng.random_bool(b.scan_twice) {
            let again = stay.entered + SignedDuration::from_secs(rng.random_range(2..30));
            out.push(scan(room, again, Direction::Entry));
        }
    }
    let exit = if stay.early {
        b.scan_exit_early
    } else {
        b.scan_exit
    };
    if rng.random_bool(exit) {
        out.push(scan(&s.room, stay.left, Direction::Exit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::programme::cloud_summit;

    fn walkers(n: i64) -> Vec<Walker> {
        let topics = ["ai", "big-data", "video-cloud", "security"];
        (1..=n)
            .map(|id| Walker {
                attendee_id: id,
                declared: vec![topics[(id as usize) % topics.len()].into()],
            })
            .collect()
    }

    #[test]
    fn the_day_is_reproducible_and_believable() {
        let p = cloud_summit();
        let w = walkers(400);
        let a = simulate(&p, &w, 7, &Behaviour::default());
        let b = simulate(&p, &w, 7, &Behaviour::default());
        assert_eq!(a.scans, b.scans);
        assert_eq!(a.truth.len(), 400);
        assert_eq!(a.came.len() + a.no_shows, 400);
        assert!(a.no_shows > 10 && a.no_shows < 60, "{}", a.no_shows);
        let entries = a
            .scans
            .iter()
            .filter(|s| s.direction == Direction::Entry)
            .count();
        let exits = a.scans.len() - entries;
        assert!(entries > 400 * 4, "{entries}");
        assert!(
            exits > entries / 3 && exits < entries,
            "{exits} of {entries}"
        );
        // Keynotes draw most of the people who came.
        let k1 = p.sessions.iter().find(|s| s.id == "K1").unwrap();
        let in_k1 = a
            .scans
            .iter()
            .filter(|s| s.room == k1.room && s.direction == Direction::Entry && s.at < k1.ends_at)
            .count();
        assert!(in_k1 as f64 > 0.7 * (400 - a.no_shows) as f64, "{in_k1}");
    }

    #[test]
    fn offline_kiosks_deliver_late_and_out_of_order() {
        let p = cloud_summit();
        let all_offline = Behaviour {
            offline_rooms: 1.0,
            ..Behaviour::default()
        };
        let day = simulate(&p, &walkers(200), 3, &all_offline);
        assert!(day.scans.iter().any(|s| s.late));
        assert!(day.scans.windows(2).any(|w| w[0].at > w[1].at));
        let online = Behaviour {
            offline_rooms: 0.0,
            ..Behaviour::default()
        };
        let day = simulate(&p, &walkers(200), 3, &online);
        assert!(day.scans.iter().all(|s| !s.late));
        assert!(day.scans.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn curious_people_peek_into_the_fashionable_topic() {
        let p = cloud_summit();
        let curious = Behaviour {
            fashionable: Some("ai".into()),
            curiosity: 1.0,
            ..Behaviour::default()
        };
        let people: Vec<Person> = (1..=100)
            .map(|id| Person {
                attendee_id: id,
                declared: vec![],
                main: "security".into(),
                also: vec![],
            })
            .collect();
        let day = simulate_people(&p, &people, 5, &curious);
        let ai_rooms: Vec<&str> = p
            .sessions
            .iter()
            .filter(|s| {
                s.kind != SessionKind::Keynote && s.topics.iter().any(|t| t.topic.as_str() == "ai")
            })
            .map(|s| s.room.as_str())
            .collect();
        let peeks = day
            .scans
            .iter()
            .filter(|s| s.direction == Direction::Entry && ai_rooms.contains(&s.room.as_str()))
            .count();
        assert!(peeks > 50, "{peeks}");
    }
}
