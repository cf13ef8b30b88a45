//! The odds that each topic is a person's main one: people mostly have one topic they came
//! for and one or two lesser ones, take the session closest to their main topic when it is
//! on offer, and follow a lesser interest when it is not.
//!
//! Every hypothesis "main topic m, lesser interests L" (L one or two of the other topics
//! the person chose or ticked) is weighed by how well it explains each choice the person
//! stayed for: in each slot, `P(session) = (1 − noise) × softmax(appeal / temperature) +
//! noise / options`, where a session's appeal is `main_focus` × its share of m plus its
//! shares of L. A ticked topic is `main_ticked_odds` times as likely to be the main one
//! before the trail. The odds of m are its hypotheses' share of the total.
//!
//! What follows: a main topic on offer in two slots and chosen in both is not outweighed by
//! a lesser one that filled five slots where the main one did not run (those choices are
//! explained by the lesser interest and say nothing against the main one), while leaving
//! a topic's session for another topic's counts against it as main.

/// A stay counts as a choice here from this choice weight on (`interest::stay_weight`,
/// about 40 % of a talk): a peek or a short visit says nothing about the main topic.
pub const MIN_CHOICE: f64 = 0.3;
/// How sharply people take the session that matches them best (smaller is sharper).
const TEMPERATURE: f64 = 0.2;
/// The share of choices that follow no interest: a full room, a colleague's pick, a whim.
const NOISE: f64 = 0.15;
/// At most this many candidates (those with the highest preference), which bounds the work
/// per person at 6 × 15 hypotheses whatever the programme.
const MAX_CANDIDATES: usize = 6;

/// One stay that counts as a choice: the topic shares of the sessions on offer (itself
/// included), and which one was taken.
pub struct Stay<'a> {
    pub options: Vec<&'a [(usize, f64)]>,
    pub chosen: usize,
}

fn share(shares: &[(usize, f64)], topic: usize) -> f64 {
    shares
        .iter()
        .filter(|(t, _)| *t == topic)
        .map(|(_, w)| w)
        .sum()
}

/// The topics a session is most about (more than one only on a tie).
fn most_about(shares: &[(usize, f64)]) -> impl Iterator<Item = usize> + '_ {
    let top = shares
        .iter()
        .map(|&(t, _)| share(shares, t))
        .fold(0.0, f64::max);
    shares
        .iter()
        .filter(move |&&(t, _)| share(shares, t) >= top)
        .map(|&(t, _)| t)
}

/// Each option's share of each candidate topic, flattened: option by option, candidate by
/// candidate, with where each stay's options start and which was taken.
struct Shares {
    candidates: usize,
    values: Vec<f64>,
    /// Per stay: first option's row, number of options, the chosen one's row.
    stays: Vec<(usize, usize, usize)>,
}

impl Shares {
    fn new(stays: &[Stay<'_>], candidates: &[usize]) -> Shares {
        let mut values = Vec::new();
        let mut rows = Vec::with_capacity(stays.len());
        let mut row = 0;
        for st in stays {
            rows.push((row, st.options.len(), row + st.chosen));
            for o in &st.options {
                values.extend(candidates.iter().map(|&t| share(o, t)));
                row += 1;
            }
        }
        Shares {
            candidates: candidates.len(),
            values,
            stays: rows,
        }
    }

    /// The log-likelihood of the stays for the candidate at position `main` as the main
    /// topic and those at `lesser` as lesser interests.
    fn log_likelihood(
        &self,
        main: usize,
        lesser: &[usize],
        focus: f64,
        appeal: &mut Vec<f64>,
    ) -> f64 {
        appeal.clear();
        appeal.extend(
            self.values.chunks_exact(self.candidates).map(|v| {
                (focus * v[main] + lesser.iter().map(|&l| v[l]).sum::<f64>()) / TEMPERATURE
            }),
        );
        self.stays
            .iter()
            .map(|&(first, n, chosen)| {
                let options = &appeal[first..first + n];
                let top = options.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // The chosen option's weight is kept as the sum passes it, not computed again.
                let mut picked = 0.0;
                let total: f64 = options
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let e = (a - top).exp();
                        if first + i == chosen {
                            picked = e;
                        }
                        e
                    })
                    .sum();
                let p = picked / total;
                ((1.0 - NOISE) * p + NOISE / n as f64).ln()
            })
            .sum()
    }
}

/// The odds (0 to 1, summing to 1 over the candidates) that each topic, by index, is the
/// person's main one, given the stays that count as choices (in session order) and the
/// ticked topics; all zero without such a stay. The candidates are the topics ticked and
/// those that chosen sessions are most about (a session's lesser topics make no main
/// topic of their own, so a longer stay never raises them above the topic the session is
/// about), at most `MAX_CANDIDATES` of them by `preference` (one per topic). `focus` is
/// `main_focus`, `ticked` is `main_ticked_odds`.
pub fn odds(
    stays: &[Stay<'_>],
    declared: &[usize],
    focus: f64,
    ticked: f64,
    preference: &[f64],
) -> Vec<f64> {
    let topics = preference.len();
    let mut odds = vec![0.0; topics];
    if stays.is_empty() {
        return odds;
    }
    let mut candidates: Vec<usize> = stays
        .iter()
        .flat_map(|st| most_about(st.options[st.chosen]))
        .chain(declared.iter().copied())
        .filter(|&t| t < topics)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    if candidates.len() > MAX_CANDIDATES {
        candidates.sort_by(|&a, &b| preference[b].total_cmp(&preference[a]).then(a.cmp(&b)));
        candidates.truncate(MAX_CANDIDATES);
        candidates.sort_unstable();
    }
    if candidates.is_empty() {
        return odds;
    }
    let shares = Shares::new(stays, &candidates);
    let mut appeal = Vec::new();
    // Log-weights of every hypothesis (positions in `candidates`), main topic first.
    let mut weighed: Vec<(usize, f64)> = Vec::new();
    for (main, topic) in candidates.iter().enumerate() {
        let others: Vec<usize> = (0..candidates.len()).filter(|&c| c != main).collect();
        // One lesser interest or two, each half of the prior.
        let mut lesser: Vec<Vec<usize>> = others.iter().map(|&c| vec![c]).collect();
        for (i, &a) in others.iter().enumerate() {
            lesser.extend(others[i + 1..].iter().map(|&b| vec![a, b]));
        }
        if lesser.is_empty() {
            lesser.push(Vec::new());
        }
        let singles = others.len().max(1) as f64;
        let pairs = (lesser.len() as f64 - singles).max(1.0);
        let prior = if declared.contains(topic) {
            ticked.ln()
        } else {
            0.0
        };
        for l in &lesser {
            let of_set = if l.len() == 2 {
                0.5 / pairs
            } else {
                0.5 / singles
            };
            weighed.push((
                *topic,
                prior + of_set.ln() + shares.log_likelihood(main, l, focus, &mut appeal),
            ));
        }
    }
    let top = weighed
        .iter()
        .map(|(_, w)| *w)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for &(main, w) in &weighed {
        let e = (w - top).exp();
        odds[main] += e;
        total += e;
    }
    if total > 0.0 {
        odds.iter_mut().for_each(|o| *o /= total);
    }
    odds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slot of single-topic sessions, one per topic; the person took `chosen`.
    fn slot<'a>(topics: &'a [[(usize, f64); 1]], chosen: usize) -> Stay<'a> {
        Stay {
            options: topics.iter().map(|t| t.as_slice()).collect(),
            chosen: topics.iter().position(|t| t[0].0 == chosen).unwrap(),
        }
    }

    fn top(odds: &[f64]) -> usize {
        (0..odds.len())
            .max_by(|&a, &b| odds[a].total_cmp(&odds[b]).then(b.cmp(&a)))
            .unwrap()
    }

    const FLAT: [f64; 8] = [0.0; 8];

    #[test]
    fn a_main_topic_on_offer_twice_beats_a_lesser_one_that_filled_the_other_slots() {
        // Topic 1 runs against topic 2 twice and is taken both times; four more slots offer
        // topic 2 against 3 and 4, and topic 2 is taken each time.
        let head = [[(1, 1.0)], [(2, 1.0)], [(3, 1.0)]];
        let rest = [[(2, 1.0)], [(3, 1.0)], [(4, 1.0)]];
        let mut stays = vec![slot(&head, 1), slot(&head, 1)];
        stays.extend((0..4).map(|_| slot(&rest, 2)));
        let odds = odds(&stays, &[], 3.0, 2.0, &FLAT);
        assert_eq!(top(&odds), 1, "{odds:?}");
        assert!((odds.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn leaving_a_ticked_topic_for_another_counts_against_it_as_main() {
        let both = [[(1, 1.0)], [(2, 1.0)]];
        let once = odds(&[slot(&both, 2)], &[1], 3.0, 2.0, &FLAT);
        let twice = odds(&[slot(&both, 2), slot(&both, 2)], &[1], 3.0, 2.0, &FLAT);
        assert!(once[1] < once[2], "{once:?}");
        assert!(twice[1] < once[1], "{once:?} then {twice:?}");
    }

    #[test]
    fn no_choice_means_no_odds_and_a_tick_breaks_a_tie() {
        assert_eq!(odds(&[], &[3], 3.0, 2.0, &FLAT), vec![0.0; 8]);
        let a = [[(1, 1.0)], [(5, 1.0)]];
        let b = [[(2, 1.0)], [(5, 1.0)]];
        let stays = [slot(&a, 1), slot(&b, 2)];
        let untouched = odds(&stays, &[], 3.0, 2.0, &FLAT);
        assert!((untouched[1] - untouched[2]).abs() < 1e-12, "{untouched:?}");
        assert_eq!(top(&odds(&stays, &[2], 3.0, 2.0, &FLAT)), 2);
    }

    #[test]
    fn a_sessions_lesser_topic_is_no_candidate() {
        let mixed = [(1, 0.7), (2, 0.3)];
        let other = [(3, 1.0)];
        let stays = [Stay {
            options: vec![&mixed, &other],
            chosen: 0,
        }];
        let odds = odds(&stays, &[], 3.0, 2.0, &FLAT);
        assert_eq!((odds[1], odds[2]), (1.0, 0.0), "{odds:?}");
    }

    #[test]
    fn sessions_without_topics_give_no_candidate() {
        let none: [(usize, f64); 0] = [];
        let stays = [Stay {
            options: vec![&none, &none],
            chosen: 1,
        }];
        assert_eq!(odds(&stays, &[], 3.0, 2.0, &FLAT), vec![0.0; 8]);
    }

    #[test]
    fn at_most_six_candidates_are_weighed_the_most_preferred() {
        // Eight slots, eight topics, one taken in each: the two least preferred get nothing.
        let topics: Vec<[(usize, f64); 1]> = (0..8).map(|t| [(t, 1.0)]).collect();
        let stays: Vec<Stay<'_>> = (0..8).map(|t| slot(&topics, t)).collect();
        let preference = [0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.2];
        let odds = odds(&stays, &[], 3.0, 2.0, &preference);
        assert_eq!(odds.iter().filter(|&&o| o > 0.0).count(), 6, "{odds:?}");
        assert_eq!((odds[0], odds[7]), (0.0, 0.0));
    }
}
