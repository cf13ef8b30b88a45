//! Cross-topic insight: how many people showed genuine interest in two topics, and how much
//! interest in one says about interest in another (support, confidence, lift).
//!
//! Interest, not attendance: a person counts for a topic when they chose its sessions and
//! scored high enough in it (`LeadPackage::genuine_interests`); keynotes, which everybody
//! attends, count for nothing. The population is every attendee with at least one such
//! topic. For a pair "people interested in X are also interested in Y":
//! - support = P(X and Y) = both / population
//! - confidence = P(Y | X) = both / attendees(X)
//! - lift = P(Y | X) / P(Y): above 1 means X's audience chose Y more often than everybody did.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One topic and how many attendees of the population attended its sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightTopic {
    pub slug: String,
    pub name: String,
    pub attendees: u64,
}

/// "People who attended `from` also attended `to`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossTopic {
    /// Topic slug X.
    pub from: String,
    /// Topic slug Y.
    pub to: String,
    /// Attendees who attended both.
    pub both: u64,
    pub support: f64,
    pub confidence: f64,
    pub lift: f64,
}

/// Shared interest in an event's topics, as the lead builder stores it with a build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// Attendees who attended a session of at least one topic.
    pub attendees: u64,
    /// In the order given.
    pub topics: Vec<InsightTopic>,
    /// `both[i][j]`: attendees who attended sessions of topics i and j; the diagonal holds
    /// each topic's own count. Symmetric.
    pub both: Vec<Vec<u64>>,
    /// Every ordered pair of different topics with enough attendees in common,
    /// highest lift first (then most attendees in common, then by slugs).
    pub pairs: Vec<CrossTopic>,
    /// Events the people counted come from, when more than this one (`elsewhere`); 0 for
    /// an event's own insight.
    #[serde(default)]
    pub events: u64,
}

impl Insight {
    /// The name of a topic slug, or the slug itself when unknown.
    pub fn topic_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.topics
            .iter()
            .find(|t| t.slug == slug)
            .map_or(slug, |t| t.name.as_str())
    }
}

/// Pairs with fewer people in common than this are left out: too few to mean anything.
pub const MIN_PEOPLE: u64 = 5;

/// Counts shared interest. `topics` are (slug, name) pairs with unique slugs; `attended`
/// holds, per attendee, the slugs of their topics (repeats and unknown slugs are ignored).
/// Pairs with fewer than `min_people` in common are left out. Linear in the input, plus
/// the square of each attendee's distinct topics.
pub fn insight<I, A, S>(topics: &[(String, String)], attended: I, min_people: u64) -> Insight
where
    I: IntoIterator<Item = A>,
    A: AsRef<[S]>,
    S: AsRef<str>,
{
    let n = topics.len();
    let index: HashMap<&str, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, (slug, _))| (slug.as_str(), i))
        .collect();
    // Upper triangle (i <= j) of the co-attendance matrix, flattened.
    let mut upper = vec![0u64; n * n];
    let mut population = 0u64;
    let mut seen: Vec<usize> = Vec::new();
    for one in attended {
        seen.clear();
        seen.extend(
            one.as_ref()
                .iter()
                .filter_map(|s| index.get(s.as_ref()).copied()),
        );
        if seen.is_empty() {
            continue;
        }
        seen.sort_unstable();
        seen.dedup();
        population += 1;
        for (k, &i) in seen.iter().enumerate() {
            for &j in &seen[k..] {
                upper[i * n + j] += 1;
            }
        }
    }
    let count = |i: usize, j: usize| upper[i.min(j) * n + i.max(j)];
    let both: Vec<Vec<u64>> = (0..n)
        .map(|i| (0..n).map(|j| count(i, j)).collect())
        .collect();
    let mut pairs = Vec::new();
    for x in 0..n {
        for y in 0..n {
            let b = count(x, y);
            if x == y || b == 0 || b < min_people {
                continue;
            }
            let (nx, ny, total) = (count(x, x) as f64, count(y, y) as f64, population as f64);
            pairs.push(CrossTopic {
                from: topics[x].0.clone(),
                to: topics[y].0.clone(),
                both: b,
                support: b as f64 / total,
                confidence: b as f64 / nx,
                // P(Y|X) / P(Y), written so that X->Y and Y->X give the very same number
                // (dividing the two ways rounds differently, which would split equal lifts).
                lift: b as f64 * total / (nx * ny),
            });
        }
    }
    pairs.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.both.cmp(&a.both))
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });
    Insight {
        attendees: population,
        topics: topics
            .iter()
            .enumerate()
            .map(|(i, (slug, name))| InsightTopic {
                slug: slug.clone(),
                name: name.clone(),
                attendees: count(i, i),
            })
            .collect(),
        both,
        pairs,
        events: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(slugs: &[&str]) -> Vec<(String, String)> {
        slugs
            .iter()
            .map(|s| ((*s).to_owned(), s.to_uppercase()))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// By hand: population 6 (the empty and the unknown-only attendee do not count);
    /// a: 4, b: 4, c: 3, d: 0; a&b: 3, a&c: 1, b&c: 2.
    #[test]
    fn counts_support_confidence_and_lift_by_hand() {
        let attended: Vec<Vec<&str>> = vec![
            vec!["a", "b"],
            vec!["a", "b", "c"],
            vec!["a"],
            vec!["b", "c"],
            vec!["c"],
            vec![],
            vec!["zz"],
            vec!["a", "a", "b", "zz"],
        ];
        let i = insight(&topics(&["a", "b", "c", "d"]), attended, 1);
        assert_eq!(i.attendees, 6);
        assert_eq!(
            i.both,
            vec![
                vec![4, 3, 1, 0],
                vec![3, 4, 2, 0],
                vec![1, 2, 3, 0],
                vec![0, 0, 0, 0]
            ]
        );
        let counts: Vec<u64> = i.topics.iter().map(|t| t.attendees).collect();
        assert_eq!(counts, [4, 4, 3, 0]);
        let order: Vec<(&str, &str)> = i
            .pairs
            .iter()
            .map(|p| (p.from.as_str(), p.to.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("a", "b"),
                ("b", "a"),
                ("b", "c"),
                ("c", "b"),
                ("a", "c"),
                ("c", "a")
            ]
        );
        // Lift is symmetric, exactly.
        for p in &i.pairs {
            let back = i.pairs.iter().find(|q| q.from == p.to && q.to == p.from);
            assert_eq!(back.unwrap().lift.to_bits(), p.lift.to_bits());
        }
        // a -> b: support 3/6, confidence 3/4, lift (3/4) / (4/6) = 1.125.
        let ab = &i.pairs[0];
        assert_eq!(ab.both, 3);
        assert!(close(ab.support, 0.5) && close(ab.confidence, 0.75) && close(ab.lift, 1.125));
        // c -> b: confidence 2/3, lift (2/3) / (4/6) = 1.
        let cb = &i.pairs[3];
        assert!(close(cb.confidence, 2.0 / 3.0) && close(cb.lift, 1.0));
        // a -> c: support 1/6, confidence 1/4, lift (1/4) / (3/6) = 0.5; c -> a: 1/3, 0.5.
        let (ac, ca) = (&i.pairs[4], &i.pairs[5]);
        assert!(close(ac.support, 1.0 / 6.0) && close(ac.confidence, 0.25));
        assert!(close(ac.lift, 0.5) && close(ca.confidence, 1.0 / 3.0) && close(ca.lift, 0.5));
        assert_eq!(i.topic_name("c"), "C");
        assert_eq!(i.topic_name("zz"), "zz");
    }

    /// DOMAIN.md's example: video and caching together point at storage.
    #[test]
    fn video_and_caching_people_lean_to_storage() {
        let mut attended: Vec<Vec<&str>> = Vec::new();
        attended.extend(std::iter::repeat_n(vec!["video", "caching", "storage"], 3));
        attended.extend(std::iter::repeat_n(vec!["video", "caching"], 1));
        attended.extend(std::iter::repeat_n(vec!["ai"], 4));
        attended.extend(std::iter::repeat_n(vec!["ai", "storage"], 2));
        let i = insight(
            &topics(&["video", "caching", "storage", "ai"]),
            &attended,
            1,
        );
        // population 10; video 4, caching 4, storage 5, ai 6.
        let vs = i
            .pairs
            .iter()
            .find(|p| p.from == "video" && p.to == "storage")
            .unwrap();
        // P(storage | video) = 3/4, P(storage) = 5/10: lift 1.5.
        assert!(close(vs.confidence, 0.75) && close(vs.lift, 1.5));
        let ai_storage = i
            .pairs
            .iter()
            .find(|p| p.from == "ai" && p.to == "storage")
            .unwrap();
        // 2/6 over 5/10: below 1, a weaker signal than video's.
        assert!(close(ai_storage.lift, (2.0 / 6.0) / 0.5));
        assert!(
            i.pairs.iter().position(|p| p == vs).unwrap()
                < i.pairs.iter().position(|p| p == ai_storage).unwrap()
        );
        // video and caching always together: lift 10/4 = 2.5, the strongest.
        assert_eq!(
            (i.pairs[0].from.as_str(), i.pairs[0].lift),
            ("caching", 2.5)
        );
    }

    #[test]
    fn nothing_attended_gives_an_empty_insight() {
        let i = insight(&topics(&["a", "b"]), Vec::<Vec<String>>::new(), 1);
        assert_eq!(i.attendees, 0);
        assert!(i.pairs.is_empty());
        assert_eq!(i.both, vec![vec![0, 0], vec![0, 0]]);
        let none = insight(&[], vec![vec!["a".to_owned()]], 1);
        assert_eq!(none, Insight::default());
    }

    #[test]
    fn order_of_attendees_and_of_their_topics_does_not_matter() {
        let t = topics(&["a", "b", "c"]);
        let one: Vec<Vec<&str>> = vec![vec!["a", "b"], vec!["c", "b", "a"], vec!["b"]];
        let two: Vec<Vec<&str>> = vec![vec!["b"], vec!["a", "c", "b"], vec!["b", "a"]];
        assert_eq!(insight(&t, &one, 1), insight(&t, &two, 1));
    }

    #[test]
    fn survives_a_json_round_trip() {
        let i = insight(&topics(&["a", "b"]), vec![vec!["a", "b"], vec!["a"]], 1);
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(serde_json::from_str::<Insight>(&json).unwrap(), i);
    }

    /// 100,000 attendees over 20 topics, each with 1 to 8 topics: the matrix stays
    /// symmetric, no pair exceeds either topic, and lift matches its definition.
    #[test]
    fn a_large_event_keeps_the_invariants() {
        let slugs: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        let t: Vec<(String, String)> = slugs.iter().map(|s| (s.clone(), s.clone())).collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let attended: Vec<Vec<String>> = (0..100_000)
            .map(|_| {
                let k = 1 + next() % 8;
                (0..k)
                    .map(|_| slugs[(next() % 20) as usize].clone())
                    .collect()
            })
            .collect();
        let started = std::time::Instant::now();
        let i = insight(&t, &attended, 1);
        eprintln!("insight of 100,000 attendees: {:?}", started.elapsed());
        assert_eq!(i.attendees, 100_000);
        for x in 0..20 {
            for y in 0..20 {
                assert_eq!(i.both[x][y], i.both[y][x]);
                assert!(i.both[x][y] <= i.both[x][x].min(i.both[y][y]));
            }
        }
        assert_eq!(i.pairs.len(), 380);
        for p in &i.pairs {
            let (x, y) = (i.topic_name(&p.from), i.topic_name(&p.to));
            let nx = i.topics.iter().find(|t| t.slug == x).unwrap().attendees as f64;
            let ny = i.topics.iter().find(|t| t.slug == y).unwrap().attendees as f64;
            assert!((p.lift - p.both as f64 * 100_000.0 / (nx * ny)).abs() < 1e-9);
        }
        assert!(i.pairs.windows(2).all(|w| w[0].lift >= w[1].lift));
    }
}
