//! The simulator's own model: the main topic most likely to have produced a person's form
//! and choices, knowing how `door_day` and `recovery::people` draw them. It is no scoring
//! rule (a real event has no such knowledge); it shows how much the scans of a simulated
//! event can tell, so the lead builder's figures can be read against a ceiling.

use crate::domain::{leads::interest::SessionFacts, programme::SessionKind};

use super::door_day::{Behaviour, Declarations};

/// What the reference knows of the simulation.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub topics: usize,
    /// The fashionable topic's index, and how often it is a person's main topic.
    pub fashionable: usize,
    pub fashionable_main: f64,
    pub form: Declarations,
    /// How much the main topic outweighs a lesser interest.
    pub focus: f64,
    /// The spread of the random whim, as a logit's temperature.
    pub temperature: f64,
    /// Choices that follow no interest: wandering, and full rooms.
    pub noise: f64,
}

impl Knowledge {
    pub fn new(
        topics: usize,
        fashionable: usize,
        fashionable_main: f64,
        form: &Declarations,
        b: &Behaviour,
    ) -> Knowledge {
        Knowledge {
            topics,
            fashionable,
            fashionable_main,
            form: form.clone(),
            focus: b.focus,
            // A uniform whim of width w is close to a logistic of scale w / 4.
            temperature: (b.whim / 4.0).max(0.05),
            // Full rooms send about as many people elsewhere again as wandering does.
            noise: (b.wander * 2.0).clamp(0.05, 0.5),
        }
    }
}

/// One choice the person stayed for: the options on offer and the one taken.
pub struct Stay<'a> {
    pub options: &'a [usize],
    pub chosen: usize,
}

/// The stays that count as choices: at least half of a non-plenary session.
pub fn stays<'a>(visits: &[(usize, u32)], sessions: &'a [SessionFacts]) -> Vec<Stay<'a>> {
    let mut minutes: Vec<(usize, u32)> = Vec::new();
    for &(s, m) in visits {
        match minutes.iter_mut().find(|(x, _)| *x == s) {
            Some((_, total)) => *total += m,
            None => minutes.push((s, m)),
        }
    }
    minutes
        .into_iter()
        .filter(|&(s, m)| {
            let f = &sessions[s];
            !f.plenary && 2 * m >= f.minutes
        })
        .map(|(s, _)| Stay {
            options: &sessions[s].options,
            chosen: s,
        })
        .collect()
}

fn share(s: &SessionFacts, topic: usize) -> f64 {
    s.shares
        .iter()
        .filter(|(t, _)| *t == topic)
        .map(|(_, w)| w)
        .sum()
}

/// How likely the form is for a person with `main` and lesser interests `lesser`.
fn form_likelihood(declared: &[usize], main: usize, lesser: &[usize], k: &Knowledge) -> f64 {
    let d = &k.form;
    let none = 1.0 - d.honest - d.partial - d.wrong;
    if declared.is_empty() {
        return none.max(1e-3);
    }
    let within = |t: &usize| *t == main || lesser.contains(t);
    if declared.contains(&main) && declared.iter().all(within) {
        return d.honest / 3.0;
    }
    if declared.iter().all(|t| lesser.contains(t)) {
        return d.partial / 2.0;
    }
    if let [t] = declared
        && !within(t)
    {
        let outside = k.topics.saturating_sub(1 + lesser.len()).max(1);
        return d.wrong / outside as f64;
    }
    1e-3
}

/// How likely the stays are for that person: in each slot the session that best matches
/// (main topic `focus` times a lesser one), blurred by whim, now and then anything.
fn choice_likelihood(
    stays: &[Stay<'_>],
    sessions: &[SessionFacts],
    main: usize,
    lesser: &[usize],
    k: &Knowledge,
) -> f64 {
    let appeal = |s: &SessionFacts| {
        k.focus * share(s, main) + lesser.iter().map(|&t| share(s, t)).sum::<f64>()
    };
    // Nobody sits through a workshop off their main topic.
    let open = |s: &SessionFacts| s.kind != SessionKind::Workshop || share(s, main) > 0.0;
    stays
        .iter()
        .map(|st| {
            let total: f64 = st
                .options
                .iter()
                .map(|&o| &sessions[o])
                .filter(|s| open(s))
                .map(|s| (appeal(s) / k.temperature).exp())
                .sum();
            let chosen = &sessions[st.chosen];
            let p = if open(chosen) && total > 0.0 {
                (appeal(chosen) / k.temperature).exp() / total
            } else {
                0.0
            };
            (1.0 - k.noise) * p + k.noise / st.options.len().max(1) as f64
        })
        .product()
}

/// The probability of each topic being the person's main one, given the form and stays.
pub fn main_topic_odds(
    declared: &[usize],
    stays: &[Stay<'_>],
    sessions: &[SessionFacts],
    k: &Knowledge,
) -> Vec<f64> {
    let n = k.topics;
    let mut odds = vec![0.0; n];
    for (main, slot) in odds.iter_mut().enumerate() {
        let prior = if main == k.fashionable {
            k.fashionable_main
        } else {
            (1.0 - k.fashionable_main) / (n.saturating_sub(1)).max(1) as f64
        };
        let others: Vec<usize> = (0..n).filter(|&t| t != main).collect();
        let mut lesser_sets: Vec<Vec<usize>> = others.iter().map(|&t| vec![t]).collect();
        let pairs: Vec<Vec<usize>> = others
            .iter()
            .enumerate()
            .flat_map(|(i, &a)| others[i + 1..].iter().map(move |&b| vec![a, b]))
            .collect();
        let (singles, doubles) = (lesser_sets.len().max(1) as f64, pairs.len().max(1) as f64);
        lesser_sets.extend(pairs);
        *slot = lesser_sets
            .iter()
            .map(|lesser| {
                let p_set = 0.5 / if lesser.len() == 1 { singles } else { doubles };
                p_set
                    * form_likelihood(declared, main, lesser, k)
                    * choice_likelihood(stays, sessions, main, lesser, k)
            })
            .sum::<f64>()
            * prior;
    }
    let total: f64 = odds.iter().sum();
    if total > 0.0 {
        odds.iter_mut().for_each(|o| *o /= total);
    }
    odds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::leads::interest::{SessionTime, session_facts};
    use jiff::Timestamp;

    fn slot(hour: i64, topics: &[usize]) -> Vec<SessionTime> {
        let at = |m: i64| Timestamp::from_second(hour * 3600 + m * 60).unwrap();
        topics
            .iter()
            .map(|&t| SessionTime {
                kind: SessionKind::Talk,
                topics: vec![(t, 1.0)],
                starts_at: at(0),
                ends_at: at(45),
            })
            .collect()
    }

    fn knowledge() -> Knowledge {
        Knowledge::new(4, 0, 0.25, &Declarations::default(), &Behaviour::default())
    }

    #[test]
    fn the_topic_chosen_over_every_other_is_the_likeliest_main_one() {
        // Three slots of topics 0 to 3; the person always takes topic 2.
        let mut times = slot(9, &[0, 1, 2, 3]);
        times.extend(slot(10, &[0, 1, 2, 3]));
        times.extend(slot(11, &[0, 1, 2, 3]));
        let facts = session_facts(&times);
        let visits = [(2, 45), (6, 40), (10, 44)];
        let odds = main_topic_odds(&[], &stays(&visits, &facts), &facts, &knowledge());
        assert!(odds[2] > 0.9, "{odds:?}");
        assert!((odds.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_peek_is_no_choice_and_the_form_decides_without_stays() {
        let facts = session_facts(&slot(9, &[0, 1, 2, 3]));
        assert!(stays(&[(1, 10)], &facts).is_empty());
        let odds = main_topic_odds(&[3], &[], &facts, &knowledge());
        let top = (0..4).max_by(|&a, &b| odds[a].total_cmp(&odds[b])).unwrap();
        assert_eq!(top, 3, "{odds:?}");
    }
}
