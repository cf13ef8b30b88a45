//! Topic interest: a score from 0 to 100 per topic for one attendee, from the choices they
//! made with their time.
//!
//! The model (worked through in `docs/scoring.md`):
//!
//! - Presence per session is the sum of the attendee's visits to it; less than
//!   `min_minutes` counts as passing through and is ignored.
//! - Each non-plenary session they were in is a **choice** among the sessions running in
//!   parallel with it and the hallway. A choice counts by how much of the session they
//!   stayed for: `min(1, share / full_stay_share)²` times the kind's weight, so a short
//!   visit is curiosity and a full stay is interest, whatever the session's popularity.
//! - Each topic has a **preference**; a session's appeal is the preference of its topics,
//!   weighted by the session's topic weights. The preferences are those that best explain
//!   the person's choices (a multinomial logit, fitted per person by a fixed number of
//!   gradient steps), held towards a prior: `declared_prior` for a topic ticked at
//!   registration, 0 for the others, with `prior_strength`. Choosing a topic whenever it is
//!   on offer raises it; leaving it for another topic lowers it; a topic never on offer
//!   keeps its prior.
//! - The **main topic**: `main_weight` times the odds that a topic is the person's main one
//!   (`main_topic`) is added to its preference, so that a main topic on offer in few slots
//!   is not outweighed by a lesser one that filled the slots where it did not run.
//! - A **plenary** (a keynote, or a session with nothing in parallel and three or more
//!   topics) is no choice: it neither raises nor lowers a topic, and is never listed among
//!   a topic's sessions or minutes.
//! - The score is `100 × (1 − e^(−preference / score_scale))` for a positive preference; a
//!   topic is listed when it was ticked or chosen.
//!
//! Nothing depends on the order of scans or visits, or on what other attendees did.

use jiff::Timestamp;

use crate::domain::{
    leads::{main_topic, rules::InterestRules},
    programme::SessionKind,
};

/// What scoring needs to know about one session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub kind: SessionKind,
    /// Topic index and weight (positive); indexes are into the event's topic list.
    pub topics: Vec<(usize, f64)>,
    /// Its length in minutes (at least 1).
    pub minutes: u32,
    /// Everybody's session: a keynote, or alone in its time with three or more topics.
    pub plenary: bool,
    /// The non-plenary sessions running at the same time, itself included (none for a
    /// plenary), by index.
    pub options: Vec<usize>,
    /// Its topic weights as shares summing to 1 (`topic_shares`).
    pub shares: Vec<(usize, f64)>,
}

/// A session's kind, topics and time, as the programme gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionTime {
    pub kind: SessionKind,
    pub topics: Vec<(usize, f64)>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// The facts of each session, plenaries found by kind and by what runs in parallel.
pub fn session_facts(sessions: &[SessionTime]) -> Vec<SessionFacts> {
    let overlaps =
        |a: &SessionTime, b: &SessionTime| a.starts_at < b.ends_at && b.starts_at < a.ends_at;
    let plenary: Vec<bool> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let parallel = sessions
                .iter()
                .enumerate()
                .any(|(j, o)| j != i && overlaps(s, o));
            s.kind == SessionKind::Keynote || (!parallel && s.topics.len() >= 3)
        })
        .collect();
    sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let minutes = s.ends_at.duration_since(s.starts_at).as_mins().max(1);
            let options = if plenary[i] {
                Vec::new()
            } else {
                (0..sessions.len())
                    .filter(|&j| !plenary[j] && (j == i || overlaps(s, &sessions[j])))
                    .collect()
            };
            SessionFacts {
                kind: s.kind,
                topics: s.topics.clone(),
                minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
                plenary: plenary[i],
                options,
                shares: topic_shares(&s.topics),
            }
        })
        .collect()
}

/// Minutes an attendee was present in one session (index into the session list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub session: usize,
    pub minutes: u32,
}

/// One topic's interest for one attendee.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicScore {
    pub topic: usize,
    /// 0 to 100, unrounded.
    pub score: f64,
    /// Stay-weighted minutes in sessions of this topic (plenaries left out).
    pub weighted: f64,
    /// The fitted preference behind the score.
    pub preference: f64,
    /// Minutes present in sessions of this topic, plenaries left out.
    pub minutes: u32,
    pub declared: bool,
    /// Sessions that contributed, with their weighted minutes, most first; plenaries left
    /// out.
    pub sessions: Vec<(usize, f64)>,
}

/// The presence that counts: visits to the same session added up, passing-through dropped,
/// by session index.
pub fn qualifying_presence(
    visits: impl IntoIterator<Item = (usize, u32)>,
    rules: &InterestRules,
) -> Vec<Presence> {
    let mut by_session: Vec<Presence> = Vec::new();
    for (session, minutes) in visits {
        match by_session.iter_mut().find(|p| p.session == session) {
            Some(p) => p.minutes += minutes,
            None => by_session.push(Presence { session, minutes }),
        }
    }
    by_session.retain(|p| p.minutes >= rules.min_minutes.max(1));
    by_session.sort_by_key(|p| p.session);
    by_session
}

/// How much a stay of `minutes` in session `s` counts as a choice: 0 to 1 by the share
/// stayed (squared, so a peek counts almost nothing), times the kind's weight.
pub fn stay_weight(minutes: u32, s: &SessionFacts, rules: &InterestRules) -> f64 {
    let share = (f64::from(minutes) / f64::from(s.minutes.max(1))).min(1.0);
    let stayed = (share / rules.full_stay_share).min(1.0);
    stayed * stayed * kind_weight(s.kind, rules)
}

/// Gradient steps of the preference fit, and their size.
const STEPS: usize = 40;
const STEP: f64 = 0.3;

/// Topic weights as shares summing to 1 (negative weights count as 0).
pub fn topic_shares(topics: &[(usize, f64)]) -> Vec<(usize, f64)> {
    let total: f64 = topics.iter().map(|(_, w)| w.max(0.0)).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    topics
        .iter()
        .map(|&(t, w)| (t, w.max(0.0) / total))
        .collect()
}

/// One choice: the options on offer (session indexes), which one was taken (its position
/// among them), its weight.
struct Choice<'a> {
    options: &'a [usize],
    chosen: usize,
    weight: f64,
}

/// The preferences that best explain `choices` (a multinomial logit over the options and
/// the hallway, whose appeal is 0), held towards `prior` with `strength`.
fn fit_preferences(
    choices: &[Choice<'_>],
    sessions: &[SessionFacts],
    prior: &[f64],
    strength: f64,
) -> Vec<f64> {
    let mut beta = prior.to_vec();
    let mut gradient = vec![0.0; beta.len()];
    let mut appeal = Vec::new();
    for _ in 0..STEPS {
        for (g, (b, p)) in gradient.iter_mut().zip(beta.iter().zip(prior)) {
            *g = -strength * (b - p);
        }
        for c in choices {
            appeal.clear();
            appeal.extend(c.options.iter().map(|&o| {
                sessions[o]
                    .shares
                    .iter()
                    .map(|&(t, w)| w * beta[t])
                    .sum::<f64>()
            }));
            let top = appeal.iter().copied().fold(0.0, f64::max);
            let hallway = (-top).exp();
            // Each option's weight, computed once: `exp` is most of the fit's time.
            for a in appeal.iter_mut() {
                *a = (*a - top).exp();
            }
            let total: f64 = appeal.iter().sum::<f64>() + hallway;
            for (&o, e) in c.options.iter().zip(&appeal) {
                let p = e / total;
                for &(t, w) in &sessions[o].shares {
                    gradient[t] -= c.weight * p * w;
                }
            }
            for &(t, w) in &sessions[c.options[c.chosen]].shares {
                gradient[t] += c.weight * w;
            }
        }
        for (b, g) in beta.iter_mut().zip(&gradient) {
            *b += STEP * g;
        }
    }
    beta
}

/// The weight of a session kind; kinds the rules leave out weigh 1.
pub fn kind_weight(kind: SessionKind, rules: &InterestRules) -> f64 {
    rules.kind_weight.get(kind.as_str()).copied().unwrap_or(1.0)
}

/// Presence in session order, plenaries left out, so the same presence in any order gives
/// the same floats.
fn chosen_presence(presence: &[Presence], sessions: &[SessionFacts]) -> Vec<Presence> {
    let mut ordered: Vec<Presence> = presence
        .iter()
        .filter(|p| sessions.get(p.session).is_some_and(|s| !s.plenary))
        .copied()
        .collect();
    ordered.sort_by_key(|p| (p.session, p.minutes));
    ordered
}

/// How many topics the sessions and the ticked topics name (highest index plus one).
fn topic_count(declared: &[usize], sessions: &[SessionFacts]) -> usize {
    sessions
        .iter()
        .flat_map(|s| s.topics.iter().map(|(t, _)| t + 1))
        .chain(declared.iter().map(|t| t + 1))
        .max()
        .unwrap_or(0)
}

/// The attendee's preference for every topic (by index), fitted to their choices.
pub fn preferences(
    presence: &[Presence],
    declared: &[usize],
    sessions: &[SessionFacts],
    rules: &InterestRules,
) -> Vec<f64> {
    let ordered = chosen_presence(presence, sessions);
    let choices: Vec<Choice<'_>> = ordered
        .iter()
        .filter_map(|p| {
            let s = &sessions[p.session];
            let chosen = s.options.iter().position(|&o| o == p.session)?;
            Some(Choice {
                options: &s.options,
                chosen,
                weight: stay_weight(p.minutes, s, rules),
            })
        })
        .collect();
    let mut prior = vec![0.0; topic_count(declared, sessions)];
    for &t in declared {
        prior[t] = rules.declared_prior;
    }
    let mut preference = fit_preferences(&choices, sessions, &prior, rules.prior_strength);
    if rules.main_weight > 0.0 {
        let stays: Vec<main_topic::Stay<'_>> = ordered
            .iter()
            .filter(|p| {
                stay_weight(p.minutes, &sessions[p.session], rules) >= main_topic::MIN_CHOICE
            })
            .filter_map(|p| {
                let s = &sessions[p.session];
                Some(main_topic::Stay {
                    options: s
                        .options
                        .iter()
                        .map(|&o| sessions[o].shares.as_slice())
                        .collect(),
                    chosen: s.options.iter().position(|&o| o == p.session)?,
                })
            })
            .collect();
        let odds = main_topic::odds(
            &stays,
            declared,
            rules.main_focus,
            rules.main_ticked_odds,
            &preference,
        );
        for (p, o) in preference.iter_mut().zip(odds) {
            *p += rules.main_weight * o;
        }
    }
    preference
}

/// The attendee's topics that were ticked or chosen, with a score above zero, highest
/// first (ties: more weighted minutes, then programme order).
pub fn topic_scores(
    presence: &[Presence],
    declared: &[usize],
    sessions: &[SessionFacts],
    rules: &InterestRules,
) -> Vec<TopicScore> {
    let preference = preferences(presence, declared, sessions, rules);
    topic_scores_given(presence, declared, sessions, rules, &preference)
}

/// `topic_scores` with the preferences already fitted (`preferences` for the same inputs).
pub fn topic_scores_given(
    presence: &[Presence],
    declared: &[usize],
    sessions: &[SessionFacts],
    rules: &InterestRules,
    preference: &[f64],
) -> Vec<TopicScore> {
    let mut topics: Vec<TopicScore> = (0..topic_count(declared, sessions))
        .map(|topic| TopicScore {
            topic,
            score: 0.0,
            weighted: 0.0,
            preference: 0.0,
            minutes: 0,
            declared: false,
            sessions: Vec::new(),
        })
        .collect();
    for p in &chosen_presence(presence, sessions) {
        let s = &sessions[p.session];
        let weight = stay_weight(p.minutes, s, rules);
        for &(topic, part) in &s.shares {
            let t = &mut topics[topic];
            let value = f64::from(p.minutes) * weight * part;
            t.weighted += value;
            t.minutes += p.minutes;
            t.sessions.push((p.session, value));
        }
    }
    for &t in declared {
        topics[t].declared = true;
    }
    for (t, &pref) in topics.iter_mut().zip(preference) {
        t.preference = pref;
        t.score = 100.0 * (1.0 - (-pref.max(0.0) / rules.score_scale).exp());
        t.sessions
            .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    topics.retain(|t| t.score > 0.0 && (t.declared || !t.sessions.is_empty()));
    topics.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.weighted.total_cmp(&a.weighted))
            .then(a.topic.cmp(&b.topic))
    });
    topics
}

#[cfg(test)]
#[path = "interest_tests.rs"]
mod tests;
