//! How often the lead builder finds each simulated person's true main topic, beside naive
//! rules computed on the same scans. Pure: a generated programme, people with known
//! interests, a messy door day, then the same steps as a real build (scans resolved to
//! sessions by room and time, trails, `lead_build`).

use std::collections::HashMap;

use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

use super::{
    door_day::{self, Behaviour, Declarations, DoorDay, Person},
    recovery_reference::{self as reference, Knowledge},
    sim_programme::{self, Shape},
};
use crate::domain::{
    door::scan::{self, Direction, ScanRules, SessionSlot},
    leads::build::{self, AttendeeInput, EventInput, SessionInput, TopicRef},
    leads::content::ContentLibrary,
    leads::interest,
    leads::rules::LeadRules,
    programme::Programme,
    trail::{self, TrailScan},
};

/// One simulated setting: the programme's shape, how people fill in the form, how they and
/// the doors behave.
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: &'static str,
    pub shape: Shape,
    pub declarations: Declarations,
    pub behaviour: Behaviour,
    /// Share of people whose main topic is the fashionable one.
    pub fashionable_main: f64,
}

/// The settings the report runs: a believable day, and harder ones.
pub fn settings() -> Vec<Setting> {
    settings_on(&Shape::default())
}

/// The same settings on programmes of another shape: `shape` gives the sessions, topics,
/// parallel rooms, second topics, room sizes and share of sessions on the fashionable topic,
/// except that the fashion craze keeps its 35 % of sessions on it.
pub fn settings_on(shape: &Shape) -> Vec<Setting> {
    let base = Setting {
        name: "believable",
        shape: shape.clone(),
        declarations: Declarations::default(),
        behaviour: Behaviour::default(),
        fashionable_main: 0.25,
    };
    vec![
        base.clone(),
        Setting {
            name: "fashion craze",
            shape: Shape {
                fashionable_share: 0.35,
                ..shape.clone()
            },
            behaviour: Behaviour {
                curiosity: 0.6,
                ..Behaviour::default()
            },
            fashionable_main: 0.35,
            ..base.clone()
        },
        Setting {
            name: "bad doors",
            behaviour: Behaviour {
                tailgate: 0.2,
                scan_exit: 0.25,
                scan_exit_early: 0.3,
                scan_twice: 0.12,
                wrong_door: 0.06,
                offline_rooms: 0.6,
                ..Behaviour::default()
            },
            ..base.clone()
        },
        Setting {
            name: "careless forms",
            declarations: Declarations {
                honest: 0.3,
                partial: 0.25,
                wrong: 0.2,
            },
            behaviour: Behaviour {
                hallway: 0.12,
                hallway_unmatched: 0.45,
                whim: 1.2,
                ..Behaviour::default()
            },
            ..base
        },
    ]
}

/// `n` people with known interests for `programme`, the same for the same `seed`.
pub fn people(programme: &Programme, n: usize, seed: u64, setting: &Setting) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x009e_091e);
    let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();
    let fashionable = sim_programme::fashionable(programme);
    let d = &setting.declarations;
    (0..n)
        .map(|i| {
            let main = if rng.random_bool(setting.fashionable_main) {
                fashionable.to_owned()
            } else {
                let rest: Vec<&str> = topics
                    .iter()
                    .copied()
                    .filter(|t| *t != fashionable)
                    .collect();
                (*rest.choose(&mut rng).expect("topics")).to_owned()
            };
            let others: Vec<&str> = topics.iter().copied().filter(|t| *t != main).collect();
            let k = rng.random_range(1..=2);
            let also: Vec<String> = others
                .choose_multiple(&mut rng, k)
                .map(|t| (*t).to_owned())
                .collect();
            let roll: f64 = rng.random();
            let declared = if roll < d.honest {
                let mut ticked = vec![main.clone()];
                ticked.extend(also.iter().take(rng.random_range(0..=2)).cloned());
                ticked
            } else if roll < d.honest + d.partial {
                also.iter().take(rng.random_range(1..=2)).cloned().collect()
            } else if roll < d.honest + d.partial + d.wrong {
                let unrelated: Vec<&str> = others
                    .iter()
                    .copied()
                    .filter(|t| !also.iter().any(|a| a == t))
                    .collect();
                unrelated
                    .choose(&mut rng)
                    .map(|t| vec![(*t).to_owned()])
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            Person {
                attendee_id: i as i64 + 1,
                declared,
                main,
                also,
            }
        })
        .collect()
}

/// The ways of naming a person's main topic that the report compares.
pub const RULES: &[&str] = &[
    "lead builder",
    "declared only",
    "entry scans per topic",
    "dwell minutes",
    "dwell minutes + declared",
    "the simulator's own model",
    "the simulator's own model, not told which topic is in fashion",
];

/// The naive rules' positions in `RULES`; the two after them are references, no rules.
const NAIVE: std::ops::Range<usize> = 1..5;

/// The position of the simulator's own model (`recovery_reference`) in `RULES`.
pub const REFERENCE: usize = 5;

/// The position of the same model with every topic as likely a main topic as another: what
/// the scans and the form tell of a person alone, as the lead builder scores them, without
/// knowing how many people came for the topic in fashion.
pub const REFERENCE_UNTOLD: usize = 6;

/// Hits of one rule among the people who came.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hits {
    pub top: usize,
    pub top_two: usize,
}

/// One run: a setting, a size, a seed.
#[derive(Debug, Clone)]
pub struct Run {
    pub setting: &'static str,
    pub attendees: usize,
    pub seed: u64,
    pub came: usize,
    /// In the order of `RULES`.
    pub hits: Vec<Hits>,
}

impl Run {
    pub fn share(&self, rule: usize) -> (f64, f64) {
        let came = self.came.max(1) as f64;
        let h = self.hits[rule];
        (h.top as f64 / came, h.top_two as f64 / came)
    }

    /// The best naive rule's top-topic share.
    pub fn best_naive(&self) -> f64 {
        NAIVE.map(|r| self.share(r).0).fold(0.0, f64::max)
    }
}

/// What a lead build sees of a simulated event: the programme and every person's declared
/// interests and trail.
pub fn event_input(programme: &Programme, people: &[Person], day: &DoorDay) -> EventInput {
    let topic_index: HashMap<&str, usize> = programme
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let room_index: HashMap<&str, i64> = programme
        .rooms
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i as i64))
        .collect();
    let slots: Vec<SessionSlot> = programme
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| SessionSlot {
            session_id: i as i64,
            room_id: room_index.get(s.room.as_str()).copied().unwrap_or(-1),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    let rules = ScanRules::default();
    let mut scans: HashMap<i64, Vec<TrailScan>> = HashMap::new();
    for s in &day.scans {
        let Some(&room_id) = room_index.get(s.room.as_str()) else {
            continue;
        };
        if let Some(slot) = scan::resolve_session(&slots, room_id, s.at, &rules) {
            scans.entry(s.attendee_id).or_default().push(TrailScan {
                at: s.at,
                session_id: slot.session_id,
                room_id,
                direction: s.direction,
            });
        }
    }
    EventInput {
        topics: programme
            .topics
            .iter()
            .map(|t| TopicRef {
                slug: t.slug.as_str().to_owned(),
                name: t.name.clone(),
            })
            .collect(),
        sessions: programme
            .sessions
            .iter()
            .map(|s| SessionInput {
                external_id: s.id.clone(),
                title: s.title.clone(),
                kind: s.kind,
                topics: s
                    .topics
                    .iter()
                    .filter_map(|t| topic_index.get(t.topic.as_str()).map(|&i| (i, t.weight)))
                    .collect(),
                speakers: s.speakers.clone(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            })
            .collect(),
        attendees: people
            .iter()
            .map(|p| {
                let mut declared: Vec<usize> = p
                    .declared
                    .iter()
                    .filter_map(|t| topic_index.get(t.as_str()).copied())
                    .collect();
                declared.sort_unstable();
                let mine = scans.remove(&p.attendee_id).unwrap_or_default();
                AttendeeInput {
                    id: p.attendee_id,
                    declared,
                    visits: trail::build_trail(&mine, &slots)
                        .into_iter()
                        .map(|v| (v.session_id as usize, v.minutes))
                        .collect(),
                    ..AttendeeInput::default()
                }
            })
            .collect(),
    }
}

/// The topics ranked by `score` (highest first, then programme order), zero scores left out.
fn ranked(score: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..score.len()).filter(|&t| score[t] > 0.0).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    order
}

fn hit(ranking: &[usize], truth: usize) -> Hits {
    Hits {
        top: usize::from(ranking.first() == Some(&truth)),
        top_two: usize::from(ranking.iter().take(2).any(|&t| t == truth)),
    }
}

/// Weight share of each topic in session `s`.
fn shares(input: &EventInput, s: usize) -> Vec<(usize, f64)> {
    interest::topic_shares(&input.sessions[s].topics)
}

/// Runs one setting at one size and seed with the given scoring rules.
pub fn run(setting: &Setting, attendees: usize, seed: u64, rules: &LeadRules) -> Run {
    let programme = sim_programme::generated(&setting.shape, attendees, seed);
    let people = people(&programme, attendees, seed, setting);
    let behaviour = Behaviour {
        fashionable: Some(sim_programme::fashionable(&programme).to_owned()),
        ..setting.behaviour.clone()
    };
    let day = door_day::simulate_people(&programme, &people, seed, &behaviour);
    let input = event_input(&programme, &people, &day);
    let leads = build::build(&input, rules, &ContentLibrary::default(), &mut |_| {});
    let topic_of: HashMap<&str, usize> = input
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let n_topics = input.topics.len();
    let facts = input.session_facts();
    let knowledge = Knowledge::new(
        n_topics,
        topic_of
            .get(sim_programme::fashionable(&programme))
            .copied()
            .unwrap_or(0),
        setting.fashionable_main,
        &setting.declarations,
        &behaviour,
    );
    let untold = Knowledge {
        fashionable_main: 1.0 / n_topics.max(1) as f64,
        ..knowledge.clone()
    };
    let mut entries: HashMap<i64, Vec<f64>> = HashMap::new();
    let session_of = |room: &str, at| {
        programme
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.room == room)
            .find(|(_, s)| s.starts_at <= at && at < s.ends_at)
            .map(|(i, _)| i)
    };
    for s in day.scans.iter().filter(|s| s.direction == Direction::Entry) {
        if let Some(session) = session_of(&s.room, s.at) {
            let row = entries
                .entry(s.attendee_id)
                .or_insert_with(|| vec![0.0; n_topics]);
            for (t, share) in shares(&input, session) {
                row[t] += share;
            }
        }
    }
    let came: std::collections::HashSet<i64> = day.came.iter().copied().collect();
    let mut hits = vec![Hits::default(); RULES.len()];
    // Dwell plus declared gets the best of a few bonuses, chosen after the fact.
    let bonuses = [15.0, 30.0, 45.0, 60.0, 90.0];
    let mut with_bonus = vec![Hits::default(); bonuses.len()];
    for (a, lead) in input.attendees.iter().zip(&leads) {
        if !came.contains(&a.id) {
            continue;
        }
        let Some(&truth) = day.truth.get(&a.id).and_then(|t| topic_of.get(t.as_str())) else {
            continue;
        };
        let mut add = |rule: usize, h: Hits| {
            hits[rule].top += h.top;
            hits[rule].top_two += h.top_two;
        };
        let built: Vec<usize> = lead
            .topics
            .iter()
            .filter_map(|t| topic_of.get(t.slug.as_str()).copied())
            .collect();
        add(0, hit(&built, truth));
        add(1, hit(&a.declared, truth));
        let zero = vec![0.0; n_topics];
        add(2, hit(&ranked(entries.get(&a.id).unwrap_or(&zero)), truth));
        let mut dwell = vec![0.0; n_topics];
        for &(s, m) in &a.visits {
            for (t, share) in shares(&input, s) {
                dwell[t] += f64::from(m) * share;
            }
        }
        add(3, hit(&ranked(&dwell), truth));
        for (b, bonus) in bonuses.iter().enumerate() {
            let mut d = dwell.clone();
            for &t in &a.declared {
                d[t] += bonus;
            }
            let h = hit(&ranked(&d), truth);
            with_bonus[b].top += h.top;
            with_bonus[b].top_two += h.top_two;
        }
        let stays = reference::stays(&a.visits, &facts);
        for (rule, k) in [(REFERENCE, &knowledge), (REFERENCE_UNTOLD, &untold)] {
            let odds = reference::main_topic_odds(&a.declared, &stays, &facts, k);
            add(rule, hit(&ranked(&odds), truth));
        }
    }
    hits[4] = with_bonus
        .into_iter()
        .max_by_key(|h| (h.top, h.top_two))
        .unwrap_or_default();
    Run {
        setting: setting.name,
        attendees,
        seed,
        came: came.len(),
        hits,
    }
}

/// The report as a Markdown table, one row per run.
pub fn table(runs: &[Run]) -> String {
    let mut out = String::from(
        "| setting | attendees | seed | came | lead builder top / top two | declared only | entry scans | dwell minutes | dwell + declared | margin over best naive | simulator's own model | not told the fashion |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    for r in runs {
        let (top, two) = r.share(0);
        let naive: Vec<String> = NAIVE
            .map(|i| {
                let (t, t2) = r.share(i);
                format!("{} / {}", pct(t), pct(t2))
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} / {} | {} | {:+.1} | {} / {} | {} / {} |\n",
            r.setting,
            r.attendees,
            r.seed,
            r.came,
            pct(top),
            pct(two),
            naive.join(" | "),
            (top - r.best_naive()) * 100.0,
            pct(r.share(REFERENCE).0),
            pct(r.share(REFERENCE).1),
            pct(r.share(REFERENCE_UNTOLD).0),
            pct(r.share(REFERENCE_UNTOLD).1)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_builder_beats_every_naive_rule_on_a_small_event() {
        // A loose floor; the targets are measured by `cargo bench --bench interest_recovery`.
        for setting in settings() {
            let r = run(&setting, 300, 1, &LeadRules::default());
            println!("{}", table(std::slice::from_ref(&r)));
            let (top, two) = r.share(0);
            assert!(top >= 0.8, "{}: {top}", setting.name);
            assert!(two >= 0.9, "{}: {two}", setting.name);
            assert!(
                top > r.best_naive(),
                "{}: {top} vs {}",
                setting.name,
                r.best_naive()
            );
        }
    }

    #[test]
    fn the_settings_run_on_another_programme_and_the_untold_model_knows_less() {
        let sparse = Shape {
            sessions: 38,
            topics: 12,
            tracks: 3,
            ..Shape::default()
        };
        let shaped = settings_on(&sparse);
        assert_eq!(shaped.len(), settings().len());
        for s in &shaped {
            assert_eq!(
                (s.shape.sessions, s.shape.topics, s.shape.tracks),
                (38, 12, 3)
            );
        }
        assert_eq!(shaped[1].shape.fashionable_share, 0.35);
        let r = run(&shaped[1], 300, 2, &LeadRules::default());
        let programme = sim_programme::generated(&shaped[1].shape, 300, 2);
        assert_eq!(programme.topics.len(), 12);
        assert!(
            programme.sessions.len() >= 30,
            "{}",
            programme.sessions.len()
        );
        // Told that a third of the people came for the topic in fashion, the model names
        // more main topics right than without it, in a setting built on that fashion.
        assert!(
            r.share(REFERENCE).0 > r.share(REFERENCE_UNTOLD).0,
            "{:?}",
            r.hits
        );
    }

    fn simulated(seed: u64) -> (Programme, Vec<Person>, DoorDay) {
        let setting = &settings()[2];
        let programme = sim_programme::generated(&setting.shape, 300, seed);
        let people = people(&programme, 300, seed, setting);
        let behaviour = Behaviour {
            fashionable: Some(sim_programme::fashionable(&programme).to_owned()),
            ..setting.behaviour.clone()
        };
        let day = door_day::simulate_people(&programme, &people, seed, &behaviour);
        (programme, people, day)
    }

    fn build(input: &EventInput) -> Vec<crate::domain::leads::package::LeadPackage> {
        build::build(
            input,
            &LeadRules::default(),
            &ContentLibrary::default(),
            &mut |_| {},
        )
    }

    #[test]
    fn the_order_scans_arrive_in_changes_no_lead() {
        let (programme, people, mut day) = simulated(8);
        assert!(day.scans.iter().any(|s| s.late));
        let before = build(&event_input(&programme, &people, &day));
        day.scans.reverse();
        assert_eq!(build(&event_input(&programme, &people, &day)), before);
        day.scans.sort_by_key(|s| (s.attendee_id, s.at));
        assert_eq!(build(&event_input(&programme, &people, &day)), before);
    }

    #[test]
    fn a_crowd_in_a_session_changes_nobody_elses_interest() {
        let (programme, people, day) = simulated(9);
        let input = event_input(&programme, &people, &day);
        let before = build(&input);
        // 500 more people sit through the most popular session and nothing else.
        let mut counts = vec![0; input.sessions.len()];
        for a in &input.attendees {
            for &(s, _) in &a.visits {
                counts[s] += 1;
            }
        }
        let popular = (0..counts.len())
            .filter(|&s| input.sessions[s].kind != crate::domain::programme::SessionKind::Keynote)
            .max_by_key(|&s| counts[s])
            .unwrap();
        let mut crowded = input.clone();
        for i in 0..500 {
            crowded.attendees.push(AttendeeInput {
                id: 10_000 + i,
                visits: vec![(popular, 45)],
                ..AttendeeInput::default()
            });
        }
        let after = build(&crowded);
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.topics, a.topics, "attendee {}", b.attendee_id);
        }
    }

    #[test]
    fn people_declare_wrongly_partly_or_not_at_all_in_the_set_proportions() {
        let p = sim_programme::generated(&Shape::default(), 3000, 2);
        let setting = &settings()[0];
        let people = people(&p, 3000, 2, setting);
        let honest = people
            .iter()
            .filter(|p| p.declared.contains(&p.main))
            .count();
        let none = people.iter().filter(|p| p.declared.is_empty()).count();
        assert!((1500..1800).contains(&honest), "{honest}");
        assert!((450..750).contains(&none), "{none}");
        assert!(people.iter().all(|p| !p.also.contains(&p.main)));
    }
}
