//! The event's lead report from counted groups of leads: how many (by tier and top topic),
//! how good (tier mix, sales acceptance), how many converted, and the funnel.
//!
//! Each funnel step counts the people of the step before who also pass its test, so the
//! funnel never widens: registered -> checked in (any accepted scan) -> engaged (their lead
//! shows engagement or a topic) -> tiered (A, B or C) -> accepted (the latest feedback is an
//! accepted outcome) -> won (the latest feedback is "won").

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::leads::package::{Outcome, Tier};

/// How many leads share one combination of facts (one row of the store's grouped count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadCell {
    pub tier: Tier,
    /// Top topic slug, `''` when none.
    pub topic: String,
    /// Key of the latest feedback's outcome, if any feedback was recorded.
    pub outcome: Option<String>,
    /// The attendee has at least one accepted scan.
    pub checked_in: bool,
    /// The lead's engagement is above zero or it has a top topic.
    pub engaged: bool,
    /// The lead has an owner.
    pub routed: bool,
    /// See [`is_overdue`].
    pub overdue: bool,
    pub count: u64,
}

/// A routed lead is overdue when its feedback deadline has passed and no feedback at all was
/// recorded. (The store's filters and counts apply the same rule in SQL.)
pub fn is_overdue(due_at_ms: Option<i64>, has_feedback: bool, now_ms: i64) -> bool {
    !has_feedback && due_at_ms.is_some_and(|due| due < now_ms)
}

/// Leads of one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierCount {
    pub tier: Tier,
    pub leads: u64,
    /// Share of all leads, 0 to 100.
    pub percent: f64,
}

/// Leads whose top topic is one topic, by tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicCount {
    /// `''` for leads without a topic.
    pub topic: String,
    pub leads: u64,
    /// A, B, C, X.
    pub by_tier: [u64; 4],
}

/// What sales did with the leads.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Acceptance {
    pub routed: u64,
    pub with_feedback: u64,
    pub awaiting: u64,
    pub overdue: u64,
    /// Latest outcome accepted (see `Outcome::accepted`).
    pub accepted: u64,
    pub not_a_fit: u64,
    pub won: u64,
    /// accepted / with feedback, 0 to 100; `None` before any feedback.
    pub acceptance_percent: Option<f64>,
    /// Latest outcomes, in `Outcome::ALL` order.
    pub by_outcome: Vec<(Outcome, u64)>,
}

/// One funnel step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    pub step: &'static str,
    pub people: u64,
    /// Share of the registered, 0 to 100.
    pub percent: f64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadReport {
    pub leads: u64,
    pub by_tier: Vec<TierCount>,
    /// Most leads first; the no-topic line last.
    pub by_topic: Vec<TopicCount>,
    pub acceptance: Acceptance,
    /// won / tiered leads, 0 to 100; `None` when nothing is tiered.
    pub conversion_percent: Option<f64>,
    pub funnel: Vec<FunnelStep>,
}

/// `part` of `whole` in percent, `None` when `whole` is zero.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// Builds the report from the event's registered count, checked-in count (people with an
/// accepted scan, with or without a lead) and the grouped lead counts.
pub fn lead_report(registered: u64, checked_in: u64, cells: &[LeadCell]) -> LeadReport {
    let mut tiers = [0u64; 4];
    let mut topics: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    let mut a = Acceptance::default();
    let mut outcomes: BTreeMap<usize, u64> = BTreeMap::new();
    let (mut engaged, mut tiered, mut accepted_funnel, mut won_funnel) = (0, 0, 0, 0);
    let mut leads = 0;
    for c in cells {
        let n = c.count;
        leads += n;
        let t = c.tier;
        tiers[t as usize] += n;
        topics.entry(c.topic.as_str()).or_default()[t as usize] += n;
        let outcome = c.outcome.as_deref().and_then(|o| Outcome::parse(o).ok());
        if c.routed {
            a.routed += n;
        }
        match outcome {
            Some(o) => {
                a.with_feedback += n;
                let i = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
                *outcomes.entry(i).or_default() += n;
                if o.accepted() {
                    a.accepted += n;
                }
                if o == Outcome::NotAFit {
                    a.not_a_fit += n;
                }
                if o == Outcome::Won {
                    a.won += n;
                }
            }
            None if c.routed => a.awaiting += n,
            None => {}
        }
        if c.overdue {
            a.overdue += n;
        }
        if c.checked_in && c.engaged {
            engaged += n;
            if matches!(t, Tier::A | Tier::B | Tier::C) {
                tiered += n;
                if outcome.is_some_and(Outcome::accepted) {
                    accepted_funnel += n;
                    if outcome == Some(Outcome::Won) {
                        won_funnel += n;
                    }
                }
            }
        }
    }
    a.acceptance_percent = percent(a.accepted, a.with_feedback);
    a.by_outcome = Outcome::ALL
        .iter()
        .enumerate()
        .map(|(i, o)| (*o, outcomes.get(&i).copied().unwrap_or(0)))
        .collect();
    let tiered_leads = tiers[..3].iter().sum();
    let mut by_topic: Vec<TopicCount> = topics
        .into_iter()
        .map(|(topic, by_tier)| TopicCount {
            topic: topic.to_owned(),
            leads: by_tier.iter().sum(),
            by_tier,
        })
        .collect();
    by_topic.sort_by(|x, y| {
        x.topic
            .is_empty()
            .cmp(&y.topic.is_empty())
            .then(y.leads.cmp(&x.leads))
            .then_with(|| x.topic.cmp(&y.topic))
    });
    let checked_in = checked_in.min(registered);
    let steps = [
        ("registered", registered),
        ("checked in", checked_in),
        ("engaged", engaged.min(checked_in)),
        ("tiered", tiered),
        ("accepted", accepted_funnel),
        ("won", won_funnel),
    ];
    LeadReport {
        leads,
        by_tier: Tier::ALL
            .iter()
            .map(|t| TierCount {
                tier: *t,
                leads: tiers[*t as usize],
                percent: percent(tiers[*t as usize], leads).unwrap_or(0.0),
            })
            .collect(),
        by_topic,
        conversion_percent: percent(a.won, tiered_leads),
        acceptance: a,
        funnel: steps
            .into_iter()
            .map(|(step, people)| FunnelStep {
                step,
                people,
                percent: percent(people, registered).unwrap_or(0.0),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(tier: &str, topic: &str, outcome: Option<&str>, flags: &str, count: u64) -> LeadCell {
        LeadCell {
            tier: Tier::parse(tier).unwrap(),
            topic: topic.into(),
            outcome: outcome.map(str::to_owned),
            checked_in: flags.contains('c'),
            engaged: flags.contains('e'),
            routed: flags.contains('r'),
            overdue: flags.contains('o'),
            count,
        }
    }

    #[test]
    fn overdue_means_past_the_deadline_without_any_feedback() {
        assert!(is_overdue(Some(99), false, 100));
        assert!(
            !is_overdue(Some(100), false, 100),
            "due now is not late yet"
        );
        assert!(!is_overdue(Some(99), true, 100));
        assert!(!is_overdue(None, false, 100));
    }

    /// By hand: 12 registered, 9 checked in; leads:
    /// A big-data: 2 won, 1 not a fit, 1 overdue   (all checked in, engaged, routed)
    /// B ai: 2 meeting booked, 1 awaiting          (checked in, engaged, routed)
    /// C big-data: 2 not routed, 1 of them never checked in (declared interest only)
    /// X no topic: 2 (checked in, not engaged)
    #[test]
    fn the_report_counts_by_hand() {
        let cells = [
            cell("A", "big-data", Some("won"), "cer", 2),
            cell("A", "big-data", Some("not_a_fit"), "cer", 1),
            cell("A", "big-data", None, "cero", 1),
            cell("B", "ai", Some("meeting_booked"), "cer", 2),
            cell("B", "ai", None, "cer", 1),
            cell("C", "big-data", None, "ce", 1),
            cell("C", "big-data", None, "e", 1),
            cell("X", "", None, "c", 2),
        ];
        let r = lead_report(12, 9, &cells);
        assert_eq!(r.leads, 11);
        let tiers: Vec<(Tier, u64)> = r.by_tier.iter().map(|t| (t.tier, t.leads)).collect();
        assert_eq!(
            tiers,
            [(Tier::A, 4), (Tier::B, 3), (Tier::C, 2), (Tier::X, 2)]
        );
        assert!((r.by_tier[0].percent - 400.0 / 11.0).abs() < 1e-9);
        let topics: Vec<(&str, u64, [u64; 4])> = r
            .by_topic
            .iter()
            .map(|t| (t.topic.as_str(), t.leads, t.by_tier))
            .collect();
        assert_eq!(
            topics,
            [
                ("big-data", 6, [4, 0, 2, 0]),
                ("ai", 3, [0, 3, 0, 0]),
                ("", 2, [0, 0, 0, 2])
            ]
        );
        let a = &r.acceptance;
        assert_eq!(
            (a.routed, a.with_feedback, a.awaiting, a.overdue),
            (7, 5, 2, 1)
        );
        assert_eq!((a.accepted, a.not_a_fit, a.won), (4, 1, 2));
        assert_eq!(a.acceptance_percent, Some(80.0));
        assert_eq!(a.by_outcome[1], (Outcome::MeetingBooked, 2));
        assert_eq!(a.by_outcome[6], (Outcome::Won, 2));
        assert_eq!(r.conversion_percent, Some(200.0 / 9.0));
        let funnel: Vec<(&str, u64)> = r.funnel.iter().map(|s| (s.step, s.people)).collect();
        assert_eq!(
            funnel,
            [
                ("registered", 12),
                ("checked in", 9),
                ("engaged", 8),
                ("tiered", 8),
                ("accepted", 4),
                ("won", 2)
            ]
        );
        assert!((r.funnel[1].percent - 75.0).abs() < 1e-9);
    }

    #[test]
    fn an_event_without_leads_reports_zeros() {
        let r = lead_report(0, 0, &[]);
        assert_eq!(r.leads, 0);
        assert!(r.by_tier.iter().all(|t| t.leads == 0 && t.percent == 0.0));
        assert_eq!(r.acceptance.acceptance_percent, None);
        assert_eq!(r.conversion_percent, None);
        assert!(r.funnel.iter().all(|s| s.people == 0));
    }

    #[test]
    fn the_funnel_never_widens() {
        // Feedback on a lead that never checked in, and a won lead of tier X: neither
        // makes a later step larger than an earlier one.
        let cells = [
            cell("A", "ai", Some("won"), "er", 3),
            cell("X", "ai", Some("won"), "cer", 2),
        ];
        let r = lead_report(5, 2, &cells);
        assert!(r.funnel.windows(2).all(|w| w[0].people >= w[1].people));
        assert_eq!(r.funnel[3].people, 0);
        assert_eq!(r.acceptance.won, 5, "sales' own count keeps every won lead");
    }
}
