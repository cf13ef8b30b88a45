//! Did the scoring predict the outcome? Acceptance and conversion of leads by tier, top topic,
//! decision role and purchase stage, from counted groups of leads and their latest outcome.
//!
//! Definitions (stated on the page and in `docs/formats.md`): a lead *has an outcome* when sales
//! recorded any feedback on it; it is *accepted* when its latest outcome is accepted
//! (`Outcome::accepted`: anything but "not a fit"); it *converted* when its latest outcome is
//! "won". Acceptance is over leads with an outcome, conversion over all leads of the group,
//! so a group whose leads sales never answered shows a low share with an outcome rather than a
//! flattering rate.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{
    attendee::{DecisionRole, PurchaseStage},
    leads::package::{Outcome, Tier},
    leads::report::percent,
};

/// The latest feedback recorded on a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    /// No feedback at all.
    Nothing,
    Outcome(Outcome),
    /// Feedback whose key this version does not know: it counts as an outcome, neither
    /// accepted nor won.
    Unrecognised,
}

/// How many leads share one combination of tier, top topic, role, stage and latest outcome
/// (one row of the store's grouped count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationCell {
    pub tier: Tier,
    /// Top topic slug, `''` when none.
    pub topic: String,
    /// `None` when the attendee's answer is not a known role (an erased person, say).
    pub role: Option<DecisionRole>,
    /// `None` when the lead's stage is unknown.
    pub stage: Option<PurchaseStage>,
    pub latest: Latest,
    pub count: u64,
}

/// One line of a calibration table: a tier, a topic, a role or a stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRow {
    /// Tier letter, topic slug, role key or stage key; `''` for "no topic" or "unknown".
    pub key: String,
    pub leads: u64,
    /// Leads with any recorded outcome.
    pub with_outcome: u64,
    /// Latest outcome accepted.
    pub accepted: u64,
    /// Latest outcome "won".
    pub won: u64,
    /// with_outcome / leads, 0 to 100.
    pub outcome_percent: Option<f64>,
    /// accepted / with_outcome, 0 to 100.
    pub acceptance_percent: Option<f64>,
    /// won / leads, 0 to 100.
    pub conversion_percent: Option<f64>,
    /// won / with_outcome, 0 to 100: conversion among the leads sales answered.
    pub won_of_outcomes_percent: Option<f64>,
}

/// The four tables and the total they all add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub total: CalibrationRow,
    /// A, B, C, X, always all four.
    pub by_tier: Vec<CalibrationRow>,
    /// Most leads first; the no-topic line last.
    pub by_topic: Vec<CalibrationRow>,
    /// In the order of the six roles (then "other"); unknown last; only roles with leads.
    pub by_role: Vec<CalibrationRow>,
    /// In the order of the purchase steps; unknown last; only stages with leads.
    pub by_stage: Vec<CalibrationRow>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    leads: u64,
    with_outcome: u64,
    accepted: u64,
    won: u64,
}

impl Tally {
    fn add(&mut self, latest: Latest, n: u64) {
        self.leads += n;
        match latest {
            Latest::Nothing => {}
            Latest::Unrecognised => self.with_outcome += n,
            Latest::Outcome(o) => {
                self.with_outcome += n;
                if o.accepted() {
                    self.accepted += n;
                }
                if o == Outcome::Won {
                    self.won += n;
                }
            }
        }
    }

    fn row(self, key: impl Into<String>) -> CalibrationRow {
        CalibrationRow {
            key: key.into(),
            leads: self.leads,
            with_outcome: self.with_outcome,
            accepted: self.accepted,
            won: self.won,
            outcome_percent: percent(self.with_outcome, self.leads),
            acceptance_percent: percent(self.accepted, self.with_outcome),
            conversion_percent: percent(self.won, self.leads),
            won_of_outcomes_percent: percent(self.won, self.with_outcome),
        }
    }
}

/// Rows in a fixed order of known values (unknown last), leaving out values without leads.
fn ordered<T: Copy + Ord>(
    tallies: &BTreeMap<Option<T>, Tally>,
    all: &[T],
    key: impl Fn(T) -> &'static str,
) -> Vec<CalibrationRow> {
    all.iter()
        .map(|v| Some(*v))
        .chain([None])
        .filter_map(|v| {
            tallies
                .get(&v)
                .filter(|t| t.leads > 0)
                .map(|t| t.row(v.map_or("", &key)))
        })
        .collect()
}

/// Builds the tables from the grouped counts of one event or of every event.
pub fn calibration(cells: &[CalibrationCell]) -> Calibration {
    let mut total = Tally::default();
    let mut tiers = [Tally::default(); 4];
    let mut topics: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut roles: BTreeMap<Option<RoleKey>, Tally> = BTreeMap::new();
    let mut stages: BTreeMap<Option<StageKey>, Tally> = BTreeMap::new();
    for c in cells {
        total.add(c.latest, c.count);
        tiers[c.tier as usize].add(c.latest, c.count);
        topics
            .entry(c.topic.as_str())
            .or_default()
            .add(c.latest, c.count);
        roles
            .entry(c.role.map(RoleKey::of))
            .or_default()
            .add(c.latest, c.count);
        stages
            .entry(c.stage.map(StageKey::of))
            .or_default()
            .add(c.latest, c.count);
    }
    let mut by_topic: Vec<CalibrationRow> =
        topics.into_iter().map(|(topic, t)| t.row(topic)).collect();
    by_topic.sort_by(|x, y| {
        x.key
            .is_empty()
            .cmp(&y.key.is_empty())
            .then(y.leads.cmp(&x.leads))
            .then_with(|| x.key.cmp(&y.key))
    });
    let role_keys: Vec<RoleKey> = (0..DecisionRole::ALL.len()).map(RoleKey).collect();
    let stage_keys: Vec<StageKey> = (0..PurchaseStage::ALL.len()).map(StageKey).collect();
    Calibration {
        total: total.row("all"),
        by_tier: Tier::ALL
            .iter()
            .map(|t| tiers[*t as usize].row(t.as_str()))
            .collect(),
        by_topic,
        by_role: ordered(&roles, &role_keys, |k| DecisionRole::ALL[k.0].key()),
        by_stage: ordered(&stages, &stage_keys, |k| PurchaseStage::ALL[k.0].key()),
    }
}

/// A role by its position in `DecisionRole::ALL`, so roles sort in their documented order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RoleKey(usize);

impl RoleKey {
    fn of(r: DecisionRole) -> RoleKey {
        RoleKey(DecisionRole::ALL.iter().position(|x| *x == r).unwrap_or(0))
    }
}

/// A stage by its position in `PurchaseStage::ALL` (the purchase steps in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct StageKey(usize);

impl StageKey {
    fn of(s: PurchaseStage) -> StageKey {
        StageKey(PurchaseStage::ALL.iter().position(|x| *x == s).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(
        tier: Tier,
        topic: &str,
        role: Option<DecisionRole>,
        stage: Option<PurchaseStage>,
        latest: Latest,
        count: u64,
    ) -> CalibrationCell {
        CalibrationCell {
            tier,
            topic: topic.into(),
            role,
            stage,
            latest,
            count,
        }
    }

    fn counts(rows: &[CalibrationRow]) -> Vec<(&str, u64, u64, u64, u64)> {
        rows.iter()
            .map(|r| (r.key.as_str(), r.leads, r.with_outcome, r.accepted, r.won))
            .collect()
    }

    /// By hand: 10 leads.
    /// A big-data decision maker, suppliers: 2 won, 1 not a fit, 1 no feedback
    /// B ai user, just learning: 1 contacted, 2 no feedback
    /// C big-data, unknown role, unknown stage: 1 with an outcome key this version does not know
    /// X no topic buyer, suppliers: 2 no feedback
    #[test]
    fn calibration_counts_by_hand() {
        use DecisionRole::*;
        use PurchaseStage::*;
        let won = Latest::Outcome(Outcome::Won);
        let cells = [
            cell(
                Tier::A,
                "big-data",
                Some(DecisionMaker),
                Some(LookForSuppliers),
                won,
                2,
            ),
            cell(
                Tier::A,
                "big-data",
                Some(DecisionMaker),
                Some(LookForSuppliers),
                Latest::Outcome(Outcome::NotAFit),
                1,
            ),
            cell(
                Tier::A,
                "big-data",
                Some(DecisionMaker),
                Some(LookForSuppliers),
                Latest::Nothing,
                1,
            ),
            cell(
                Tier::B,
                "ai",
                Some(User),
                Some(JustLearning),
                Latest::Outcome(Outcome::Contacted),
                1,
            ),
            cell(
                Tier::B,
                "ai",
                Some(User),
                Some(JustLearning),
                Latest::Nothing,
                2,
            ),
            cell(Tier::C, "big-data", None, None, Latest::Unrecognised, 1),
            cell(
                Tier::X,
                "",
                Some(Buyer),
                Some(LookForSuppliers),
                Latest::Nothing,
                2,
            ),
        ];
        let c = calibration(&cells);
        assert_eq!(
            counts(std::slice::from_ref(&c.total)),
            [("all", 10, 5, 3, 2)]
        );
        assert_eq!(c.total.outcome_percent, Some(50.0));
        assert_eq!(c.total.acceptance_percent, Some(60.0));
        assert_eq!(c.total.conversion_percent, Some(20.0));
        assert_eq!(c.total.won_of_outcomes_percent, Some(40.0));
        assert_eq!(
            counts(&c.by_tier),
            [
                ("A", 4, 3, 2, 2),
                ("B", 3, 1, 1, 0),
                ("C", 1, 1, 0, 0),
                ("X", 2, 0, 0, 0)
            ]
        );
        let a = &c.by_tier[0];
        assert_eq!(a.outcome_percent, Some(75.0));
        assert_eq!(a.acceptance_percent, Some(200.0 / 3.0));
        assert_eq!(a.conversion_percent, Some(50.0));
        assert_eq!(
            c.by_tier[3].acceptance_percent, None,
            "nothing to accept yet"
        );
        assert_eq!(c.by_tier[3].conversion_percent, Some(0.0));
        assert_eq!(
            counts(&c.by_topic),
            [
                ("big-data", 5, 4, 2, 2),
                ("ai", 3, 1, 1, 0),
                ("", 2, 0, 0, 0)
            ]
        );
        assert_eq!(
            counts(&c.by_role),
            [
                ("user", 3, 1, 1, 0),
                ("decision_maker", 4, 3, 2, 2),
                ("buyer", 2, 0, 0, 0),
                ("", 1, 1, 0, 0)
            ],
            "documented role order, unknown last, roles without leads left out"
        );
        assert_eq!(
            counts(&c.by_stage),
            [
                ("look_for_suppliers", 6, 3, 2, 2),
                ("just_learning", 3, 1, 1, 0),
                ("", 1, 1, 0, 0)
            ]
        );
    }

    #[test]
    fn every_table_adds_up_to_the_total() {
        let cells: Vec<CalibrationCell> = (0..40u64)
            .map(|i| {
                cell(
                    Tier::ALL[(i % 4) as usize],
                    ["ai", "big-data", ""][(i % 3) as usize],
                    DecisionRole::ALL.get((i % 8) as usize).copied(),
                    PurchaseStage::ALL.get((i % 10) as usize).copied(),
                    match i % 5 {
                        0 => Latest::Nothing,
                        1 => Latest::Unrecognised,
                        n => Latest::Outcome(Outcome::ALL[(n as usize * 2) % 7]),
                    },
                    i + 1,
                )
            })
            .collect();
        let c = calibration(&cells);
        for table in [&c.by_tier, &c.by_topic, &c.by_role, &c.by_stage] {
            let sum = |f: fn(&CalibrationRow) -> u64| table.iter().map(f).sum::<u64>();
            assert_eq!(sum(|r| r.leads), c.total.leads);
            assert_eq!(sum(|r| r.with_outcome), c.total.with_outcome);
            assert_eq!(sum(|r| r.accepted), c.total.accepted);
            assert_eq!(sum(|r| r.won), c.total.won);
        }
        assert_eq!(c.total.leads, (1..=40).sum::<u64>());
    }

    #[test]
    fn no_leads_give_empty_tables_and_no_rates() {
        let c = calibration(&[]);
        assert_eq!(c.total.leads, 0);
        assert_eq!(c.total.outcome_percent, None);
        assert_eq!(c.total.conversion_percent, None);
        assert_eq!(c.by_tier.len(), 4, "the tiers are always listed");
        assert!(c.by_topic.is_empty() && c.by_role.is_empty() && c.by_stage.is_empty());
    }
}
