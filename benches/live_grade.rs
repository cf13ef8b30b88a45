//! The live worker's scoring of one person (`build::one_grade`) against the package it
//! stands in for (`build::one_package`), on a simulated door day: per person, each timed
//! alone, on one thread. The read and write of a live update are not in it
//! (`live_leads` measures the whole update under door load). Every person's grade is
//! checked against the package's tier, score and topics first.
//!
//! `cargo bench --bench live_grade [-- ATTENDEES ROUNDS SEED]` (defaults 3000, 5, 1).

use std::time::{Duration, Instant};

use badgetrail::{
    demo::{door_day, recovery, sim_programme},
    domain::leads::{
        build::{self, EventFacts},
        content::ContentLibrary,
        rules::LeadRules,
    },
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let attendees: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let setting = recovery::settings().remove(0);
    let programme = sim_programme::generated(&setting.shape, attendees, seed);
    let people = recovery::people(&programme, attendees, seed, &setting);
    let behaviour = door_day::Behaviour {
        fashionable: Some(sim_programme::fashionable(&programme).to_owned()),
        ..setting.behaviour.clone()
    };
    let day = door_day::simulate_people(&programme, &people, seed, &behaviour);
    let input = recovery::event_input(&programme, &people, &day);
    let facts = EventFacts::new(&input);
    let rules = LeadRules::default();
    let content = ContentLibrary::default();
    let scanned: Vec<usize> = (0..input.attendees.len())
        .filter(|&i| !input.attendees[i].visits.is_empty())
        .collect();
    for &i in &scanned {
        let full = build::one_package(&input, &facts, i, &rules, &content, None);
        let g = build::one_grade(&input, &facts, i, &rules);
        let topics: Vec<(&str, f64)> = g.scored_topics(&input).collect();
        let want: Vec<(&str, f64)> = full.scored_topics().collect();
        anyhow::ensure!(
            (g.tier, g.score, &topics) == (full.tier, full.score, &want),
            "attendee {}: the grade differs from the package",
            full.attendee_id
        );
    }
    println!(
        "live_grade: {} attendees, {} of them scanned ({} scans), {} sessions, {} topics; {rounds} rounds; every grade equals its package",
        input.attendees.len(),
        scanned.len(),
        day.scans.len(),
        input.sessions.len(),
        input.topics.len()
    );
    let mut package = Vec::with_capacity(scanned.len() * rounds);
    let mut grade = Vec::with_capacity(scanned.len() * rounds);
    for _ in 0..rounds {
        for &i in &scanned {
            let t = Instant::now();
            std::hint::black_box(build::one_package(
                &input, &facts, i, &rules, &content, None,
            ));
            package.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(build::one_grade(&input, &facts, i, &rules));
            grade.push(t.elapsed());
        }
    }
    report("one_package (the words too)", &mut package);
    report("one_grade (what the live row stores)", &mut grade);
    Ok(())
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort_unstable();
    let total: Duration = times.iter().sum();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "  {what}: {:.0} people/s on one thread; per person p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, mean {:.1} us",
        times.len() as f64 / total.as_secs_f64(),
        micros(at(0.5)),
        micros(at(0.9)),
        micros(at(0.99)),
        micros(total / times.len() as u32)
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
