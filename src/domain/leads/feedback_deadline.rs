//! Feedback deadlines that are enforced: what is due about a lead whose deadline passed
//! without an outcome (a reminder to its owner, then, some working days on, an escalation to
//! the manager and a reassignment to the fallback owner), and how each owner kept theirs.

use std::collections::BTreeMap;

use jiff::{Timestamp, tz::TimeZone};

use crate::domain::{choice::choice_enum, leads::routing::RoutingRules};

choice_enum!(
    /// One step taken on a lead past its deadline.
    Step {
        Reminded = "reminded": "reminder sent to the owner",
        Escalated = "escalated": "escalated to the manager",
        Reassigned = "reassigned": "reassigned to the fallback owner",
    }
);

/// A step that is due, and the account it goes to (login name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueStep {
    pub step: Step,
    pub to: String,
}

/// The steps due at `now` for a lead of `owner` whose deadline `due` passed with no outcome,
/// in the order they are taken. Without a routing file there is only the reminder.
pub fn steps_due(
    due: Timestamp,
    owner: &str,
    routing: Option<&RoutingRules>,
    now: Timestamp,
    tz: &TimeZone,
) -> Vec<DueStep> {
    if due > now {
        return Vec::new();
    }
    let mut steps = vec![DueStep {
        step: Step::Reminded,
        to: owner.to_owned(),
    }];
    let Some(routing) = routing else {
        return steps;
    };
    if routing.escalation_at(due, tz) > now {
        return steps;
    }
    if let Some(manager) = &routing.manager {
        steps.push(DueStep {
            step: Step::Escalated,
            to: manager.clone(),
        });
    }
    if routing.reassign_to_fallback && routing.fallback != owner {
        steps.push(DueStep {
            step: Step::Reassigned,
            to: routing.fallback.clone(),
        });
    }
    steps
}

/// How a routed lead's deadline was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// The first outcome came by the deadline.
    OnTime,
    /// The first outcome came after it.
    Late,
    /// The deadline passed and there is still no outcome.
    Never,
    /// No outcome yet, deadline still ahead.
    Open,
}

pub fn timeliness(due: Timestamp, first_outcome: Option<Timestamp>, now: Timestamp) -> Timeliness {
    match first_outcome {
        Some(at) if at <= due => Timeliness::OnTime,
        Some(_) => Timeliness::Late,
        None if due <= now => Timeliness::Never,
        None => Timeliness::Open,
    }
}

/// One owner's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerRecord {
    pub on_time: u64,
    pub late: u64,
    pub never: u64,
    pub open: u64,
    /// Leads taken from them at escalation (counted here, not with the new owner's).
    pub reassigned_away: u64,
}

impl OwnerRecord {
    /// Share of decided deadlines (on time, late, never, reassigned away) kept on time.
    pub fn on_time_share(&self) -> Option<f64> {
        let decided = self.on_time + self.late + self.never + self.reassigned_away;
        (decided > 0).then(|| self.on_time as f64 / decided as f64)
    }
}

/// One routed lead as the responsiveness report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineFact {
    pub owner: String,
    pub due: Timestamp,
    pub first_outcome: Option<Timestamp>,
}

/// Each owner's record, by login name: today's leads by their deadlines, plus the leads
/// `reassigned` away from them (owner, count).
pub fn responsiveness(
    facts: &[DeadlineFact],
    reassigned: &[(String, u64)],
    now: Timestamp,
) -> BTreeMap<String, OwnerRecord> {
    let mut out: BTreeMap<String, OwnerRecord> = BTreeMap::new();
    for f in facts {
        let r = out.entry(f.owner.clone()).or_default();
        match timeliness(f.due, f.first_outcome, now) {
            Timeliness::OnTime => r.on_time += 1,
            Timeliness::Late => r.late += 1,
            Timeliness::Never => r.never += 1,
            Timeliness::Open => r.open += 1,
        }
    }
    for (owner, n) in reassigned {
        out.entry(owner.clone()).or_default().reassigned_away += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(extra: &str) -> RoutingRules {
        toml::from_str(&format!("fallback = \"sam\"\n{extra}")).unwrap()
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_missed_deadline_reminds_then_escalates_after_working_days() {
        let r = routing("manager = \"mia\"\nreassign_to_fallback = true\n");
        let tz = TimeZone::UTC;
        // Due Friday 10:00; two working days on is Tuesday 10:00.
        let due = t("2026-12-04T10:00:00Z");
        assert!(steps_due(due, "sally", Some(&r), t("2026-12-04T09:59:00Z"), &tz).is_empty());
        let monday = steps_due(due, "sally", Some(&r), t("2026-12-07T12:00:00Z"), &tz);
        assert_eq!(
            monday,
            vec![DueStep {
                step: Step::Reminded,
                to: "sally".into()
            }]
        );
        let tuesday = steps_due(due, "sally", Some(&r), t("2026-12-08T10:00:00Z"), &tz);
        let steps: Vec<(Step, &str)> = tuesday.iter().map(|s| (s.step, s.to.as_str())).collect();
        assert_eq!(
            steps,
            [
                (Step::Reminded, "sally"),
                (Step::Escalated, "mia"),
                (Step::Reassigned, "sam")
            ]
        );
        // The fallback owner's own lead is not reassigned to themselves; no manager, no
        // escalation email.
        let plain = routing("reassign_to_fallback = true\n");
        let steps = steps_due(due, "sam", Some(&plain), t("2026-12-09T00:00:00Z"), &tz);
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps_due(due, "sam", None, t("2027-01-01T00:00:00Z"), &tz).len(),
            1
        );
    }

    #[test]
    fn owners_are_counted_on_time_late_never_and_open() {
        let now = t("2026-12-06T12:00:00Z");
        let fact = |owner: &str, due: &str, first: Option<&str>| DeadlineFact {
            owner: owner.into(),
            due: t(due),
            first_outcome: first.map(t),
        };
        let facts = [
            fact(
                "sally",
                "2026-12-01T10:00:00Z",
                Some("2026-11-30T10:00:00Z"),
            ),
            fact(
                "sally",
                "2026-12-01T10:00:00Z",
                Some("2026-12-01T10:00:00Z"),
            ),
            fact(
                "sally",
                "2026-12-01T10:00:00Z",
                Some("2026-12-02T10:00:00Z"),
            ),
            fact("sally", "2026-12-01T10:00:00Z", None),
            fact("sam", "2026-12-09T10:00:00Z", None),
        ];
        let r = responsiveness(&facts, &[("sally".into(), 1)], now);
        let sally = &r["sally"];
        assert_eq!(
            (sally.on_time, sally.late, sally.never, sally.open),
            (2, 1, 1, 0)
        );
        assert_eq!(sally.reassigned_away, 1);
        assert_eq!(sally.on_time_share(), Some(2.0 / 5.0));
        assert_eq!(r["sam"].open, 1);
        assert_eq!(r["sam"].on_time_share(), None);
    }
}
