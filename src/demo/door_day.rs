//! A simulated day at the doors, pure and reproducible: people follow their interests,
//! keynotes fill up, some skip a slot, some leave early, some forget to scan out and some
//! scan twice. Each simulated attendee has a true main topic, so tests can check that the
//! lead builder recovers it from the trail alone.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

use crate::domain::{
    programme::{Programme, SessionKind},
    scan::Direction,
};

/// One attendee as the simulation sees them.
#[derive(Debug, Clone)]
pub struct Walker {
    pub attendee_id: i64,
    /// Topic slugs ticked at registration.
    pub declared: Vec<String>,
}

/// One simulated door scan.
#[derive(Debug, Clone, PartialEq)]
pub struct SimScan {
    pub attendee_id: i64,
    pub room: String,
    pub at: Timestamp,
    pub direction: Direction,
}

/// The simulated day.
#[derive(Debug, Clone, Default)]
pub struct DoorDay {
    /// In time order.
    pub scans: Vec<SimScan>,
    /// Each attendee's true main topic (no-shows included).
    pub truth: HashMap<i64, String>,
    pub no_shows: usize,
}

/// How people behave; the defaults give a believable day.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub no_show: f64,
    /// The true main topic is the first declared one this often, else any topic.
    pub declared_is_true: f64,
    /// A slot is picked at random instead of by interest this often.
    pub wander: f64,
    pub skip_slot: f64,
    /// A slot with nothing on the main topic is spent elsewhere (expo, calls) this often.
    pub skip_unmatched: f64,
    pub keynote: f64,
    pub leave_early: f64,
    pub scan_exit: f64,
    pub scan_twice: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            no_show: 0.08,
            declared_is_true: 0.7,
            wander: 0.12,
            skip_slot: 0.1,
            skip_unmatched: 0.35,
            keynote: 0.9,
            leave_early: 0.15,
            scan_exit: 0.6,
            scan_twice: 0.05,
        }
    }
}

fn minutes(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// Simulates the day of `programme` for `walkers`, the same for the same `seed`.
pub fn simulate(programme: &Programme, walkers: &[Walker], seed: u64, b: &Behaviour) -> DoorDay {
    let mut rng = StdRng::seed_from_u64(seed);
    let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();
    let capacity: HashMap<&str, u32> = programme
        .rooms
        .iter()
        .map(|r| (r.name.as_str(), r.capacity))
        .collect();
    let mut starts: Vec<Timestamp> = programme.sessions.iter().map(|s| s.starts_at).collect();
    starts.sort();
    starts.dedup();
    let mut day = DoorDay::default();
    // Who is where, per session index, to respect capacity.
    let mut filled: Vec<u32> = vec![0; programme.sessions.len()];
    let mut people: Vec<(usize, &Walker, String, Timestamp)> = Vec::new();
    for (i, w) in walkers.iter().enumerate() {
        let truth = match w.declared.first() {
            Some(t) if rng.random_bool(b.declared_is_true) => t.clone(),
            _ => topics
                .choose(&mut rng)
                .map(|t| (*t).to_owned())
                .unwrap_or_default(),
        };
        day.truth.insert(w.attendee_id, truth.clone());
        if rng.random_bool(b.no_show) {
            day.no_shows += 1;
            continue;
        }
        people.push((i, w, truth, Timestamp::MIN));
    }
    for start in starts {
        let here: Vec<usize> = programme
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.starts_at == start)
            .map(|(i, _)| i)
            .collect();
        for (_, w, truth, busy_until) in people.iter_mut() {
            if *busy_until > start {
                continue;
            }
            let keynote = here
                .iter()
                .copied()
                .find(|&i| programme.sessions[i].kind == SessionKind::Keynote);
            let has_truth = here.iter().any(|&i| {
                programme.sessions[i]
                    .topics
                    .iter()
                    .any(|t| t.topic.as_str() == truth.as_str())
            });
            let skip = if has_truth {
                b.skip_slot
            } else {
                b.skip_unmatched
            };
            let room_cap = |i: usize| {
                capacity
                    .get(programme.sessions[i].room.as_str())
                    .copied()
                    .unwrap_or(u32::MAX)
            };
            // How much of a session is about the walker's main topic, and about the others
            // they ticked.
            let affinity = |i: usize| -> (f64, f64) {
                let s = &programme.sessions[i];
                let total: f64 = s
                    .topics
                    .iter()
                    .map(|t| t.weight)
                    .sum::<f64>()
                    .max(f64::EPSILON);
                let mut main = 0.0;
                let mut other = 0.0;
                for t in &s.topics {
                    if t.topic.as_str() == truth.as_str() {
                        main += t.weight / total;
                    } else if w.declared.iter().any(|d| d == t.topic.as_str()) {
                        other += t.weight / total;
                    }
                }
                (main, other)
            };
            let pick = match keynote {
                Some(k) if here.len() == 1 => rng.random_bool(b.keynote).then_some(k),
                _ if rng.random_bool(skip) => None,
                _ if rng.random_bool(b.wander) => here.choose(&mut rng).copied(),
                _ => {
                    // Nobody sits through a hands-on workshop off their main topic.
                    let mut ranked: Vec<(f64, usize)> = here
                        .iter()
                        .filter(|&&i| {
                            programme.sessions[i].kind != SessionKind::Workshop
                                || affinity(i).0 > 0.0
                        })
                        .map(|&i| {
                            let (main, other) = affinity(i);
                            (3.0 * main + 0.7 * other + rng.random_range(0.0..0.4), i)
                        })
                        .collect();
                    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                    // A full room sends people to their next choice.
                    ranked
                        .into_iter()
                        .map(|(_, i)| i)
                        .find(|&i| filled[i] < room_cap(i))
                }
            };
            let Some(chosen) = pick else { continue };
            if filled[chosen] >= room_cap(chosen) {
                continue;
            }
            filled[chosen] += 1;
            let s = &programme.sessions[chosen];
            let length = s.ends_at.duration_since(s.starts_at).as_mins().max(1);
            let entered = s.starts_at + minutes(rng.random_range(-6..=8));
            let early = rng.random_bool(b.leave_early);
            let left = if early {
                s.starts_at
                    + minutes(rng.random_range(length / 3..=(length * 3 / 4).max(length / 3 + 1)))
            } else {
                s.ends_at + minutes(rng.random_range(-2..=3))
            };
            day.scans.push(SimScan {
                attendee_id: w.attendee_id,
                room: s.room.clone(),
                at: entered,
                direction: Direction::Entry,
            });
            if rng.random_bool(b.scan_twice) {
                day.scans.push(SimScan {
                    attendee_id: w.attendee_id,
                    room: s.room.clone(),
                    at: entered + SignedDuration::from_secs(rng.random_range(2..30)),
                    direction: Direction::Entry,
                });
            }
            if early || rng.random_bool(b.scan_exit) {
                day.scans.push(SimScan {
                    attendee_id: w.attendee_id,
                    room: s.room.clone(),
                    at: left,
                    direction: Direction::Exit,
                });
            }
            *busy_until = if early { left } else { s.ends_at };
        }
    }
    day.scans.sort_by_key(|s| (s.at, s.attendee_id));
    day
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
        assert!(in_k1 as f64 > 0.8 * (400 - a.no_shows) as f64, "{in_k1}");
        assert!(a.scans.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
