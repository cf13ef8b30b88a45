//! How often the lead builder names each simulated person's true main topic, beside naive
//! rules on the same scans (`demo::recovery`): every setting, at 300 and 3,000 attendees,
//! for several seeds.
//!
//! `cargo bench --bench interest_recovery [-- SEEDS [SIZE ...] [shape=SESSIONS,TOPICS,ROOMS]]`
//! (defaults 5, then 300 and 3000, and the programme of `Shape::default`: 50 sessions, 8
//! topics, 5 rooms in parallel). Prints one Markdown table and the targets checked against
//! it, and beside them the simulator's own model (`demo::recovery_reference`): how much the
//! scans can tell at best, with and without knowing which topic is in fashion.

use badgetrail::{
    demo::{recovery, sim_programme::Shape},
    domain::leads::rules::LeadRules,
};

/// `shape=SESSIONS,TOPICS,ROOMS` from the arguments, else the default programme.
fn shape(args: &[String]) -> Shape {
    let Some(given) = args.iter().find_map(|a| a.strip_prefix("shape=")) else {
        return Shape::default();
    };
    let n: Vec<usize> = given
        .split(',')
        .map(|x| {
            x.trim()
                .parse()
                .expect("shape=SESSIONS,TOPICS,ROOMS: whole numbers")
        })
        .collect();
    let [sessions, topics, tracks] = n[..] else {
        panic!("shape=SESSIONS,TOPICS,ROOMS: three numbers, not {given}");
    };
    Shape {
        sessions,
        topics,
        tracks,
        ..Shape::default()
    }
}

fn main() {
    let all: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let shape = shape(&all);
    println!(
        "programme: {} sessions, {} topics, {} rooms in parallel",
        shape.sessions, shape.topics, shape.tracks
    );
    let args: Vec<String> = all
        .into_iter()
        .filter(|a| !a.starts_with("shape="))
        .collect();
    let seeds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut sizes: Vec<usize> = args.iter().skip(1).filter_map(|s| s.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![300, 3000];
    }
    let rules = LeadRules::default();
    let mut runs = Vec::new();
    for setting in recovery::settings_on(&shape) {
        for &size in &sizes {
            for seed in 1..=seeds {
                runs.push(recovery::run(&setting, size, seed, &rules));
            }
        }
    }
    println!("{}", recovery::table(&runs));
    let worst_top = runs.iter().map(|r| r.share(0).0).fold(1.0, f64::min);
    let worst_two = runs.iter().map(|r| r.share(0).1).fold(1.0, f64::min);
    let worst_margin = runs
        .iter()
        .map(|r| r.share(0).0 - r.best_naive())
        .fold(1.0, f64::min);
    let mean =
        |f: &dyn Fn(&recovery::Run) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    println!(
        "lead builder: top topic {:.1}% on average, {:.1}% at worst (target 88%); top two {:.1}% on average, {:.1}% at worst (target 97%)",
        mean(&|r| r.share(0).0) * 100.0,
        worst_top * 100.0,
        mean(&|r| r.share(0).1) * 100.0,
        worst_two * 100.0
    );
    println!(
        "margin over the best naive rule: {:+.1} points on average, {:+.1} at worst (target +5)",
        mean(&|r| r.share(0).0 - r.best_naive()) * 100.0,
        worst_margin * 100.0
    );
    let reference = recovery::REFERENCE;
    println!(
        "the simulator's own model (knows how choices are drawn; a ceiling, not a rule): top topic {:.1}% on average, {:.1}% at worst; its margin over the best naive rule {:+.1} points at worst",
        mean(&|r| r.share(reference).0) * 100.0,
        runs.iter()
            .map(|r| r.share(reference).0)
            .fold(1.0, f64::min)
            * 100.0,
        runs.iter()
            .map(|r| r.share(reference).0 - r.best_naive())
            .fold(1.0, f64::min)
            * 100.0
    );
    let untold = recovery::REFERENCE_UNTOLD;
    println!(
        "the same model not told which topic is in fashion (every topic as likely a main topic): top topic {:.1}% on average, {:.1}% at worst",
        mean(&|r| r.share(untold).0) * 100.0,
        runs.iter().map(|r| r.share(untold).0).fold(1.0, f64::min) * 100.0
    );
}
