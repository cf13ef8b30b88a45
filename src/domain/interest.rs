//! Topic interest: a score from 0 to 100 per topic for one attendee, from their trail.
//!
//! The formula (worked through in `docs/scoring.md`):
//!
//! - Presence per session is the sum of the attendee's visits to it; less than
//!   `min_minutes` counts as passing through and is ignored.
//! - A session's **specificity** is `min(1, ln(1/share) / ln(1/reference_share))`, where
//!   `share` is the part of the event's registered attendees present in it. A session that
//!   few chose counts fully; one that everybody attended counts nothing.
//! - Each session adds `minutes × kind weight × specificity` weighted minutes, spread over its
//!   topics in proportion to their weights.
//! - A topic ticked at registration adds `declared_minutes`.
//! - The score is `100 × (1 − e^(−weighted / scale_minutes))`: more always means higher, and
//!   it never exceeds 100.

use super::{lead_rules::InterestRules, programme::SessionKind};

/// What scoring needs to know about one session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub kind: SessionKind,
    /// Topic index and weight (positive); indexes are into the event's topic list.
    pub topics: Vec<(usize, f64)>,
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
    /// Weighted minutes behind the score.
    pub weighted: f64,
    /// Minutes present in sessions of this topic.
    pub minutes: u32,
    pub declared: bool,
    /// Sessions that contributed, with their weighted minutes, most first.
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

/// Specificity of each session from how many attendees were present in it (`counts`) out of
/// the event's registered attendees.
pub fn specificity(registered: usize, counts: &[u32], rules: &InterestRules) -> Vec<f64> {
    let reference = (1.0 / rules.reference_share).ln();
    counts
        .iter()
        .map(|&n| {
            if n == 0 || registered == 0 {
                return 1.0;
            }
            let share = (f64::from(n) / registered as f64).min(1.0);
            ((1.0 / share).ln() / reference).clamp(0.0, 1.0)
        })
        .collect()
}

/// The weight of a session kind; kinds the rules leave out weigh 1.
pub fn kind_weight(kind: SessionKind, rules: &InterestRules) -> f64 {
    rules.kind_weight.get(kind.as_str()).copied().unwrap_or(1.0)
}

/// The attendee's topics with a score above zero, highest first (ties: more weighted
/// minutes, then programme order).
pub fn topic_scores(
    presence: &[Presence],
    declared: &[usize],
    sessions: &[SessionFacts],
    specificity: &[f64],
    rules: &InterestRules,
) -> Vec<TopicScore> {
    let mut topics: Vec<TopicScore> = Vec::new();
    let entry = |topics: &mut Vec<TopicScore>, topic: usize| -> usize {
        match topics.iter().position(|t| t.topic == topic) {
            Some(i) => i,
            None => {
                topics.push(TopicScore {
                    topic,
                    score: 0.0,
                    weighted: 0.0,
                    minutes: 0,
                    declared: false,
                    sessions: Vec::new(),
                });
                topics.len() - 1
            }
        }
    };
    // Summed in session order, so the same presence in any order gives the same floats.
    let mut ordered = presence.to_vec();
    ordered.sort_by_key(|p| (p.session, p.minutes));
    for p in &ordered {
        let Some(s) = sessions.get(p.session) else {
            continue;
        };
        let total_weight: f64 = s.topics.iter().map(|(_, w)| w.max(0.0)).sum();
        if total_weight <= 0.0 {
            continue;
        }
        let spec = specificity.get(p.session).copied().unwrap_or(1.0);
        let value = f64::from(p.minutes) * kind_weight(s.kind, rules) * spec;
        for &(topic, weight) in &s.topics {
            let i = entry(&mut topics, topic);
            let t = &mut topics[i];
            let part = value * weight.max(0.0) / total_weight;
            t.weighted += part;
            t.minutes += p.minutes;
            t.sessions.push((p.session, part));
        }
    }
    for &topic in declared {
        let i = entry(&mut topics, topic);
        if !topics[i].declared {
            topics[i].declared = true;
            topics[i].weighted += rules.declared_minutes;
        }
    }
    for t in &mut topics {
        t.score = 100.0 * (1.0 - (-t.weighted / rules.scale_minutes).exp());
        t.sessions
            .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    topics.retain(|t| t.score > 0.0);
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
