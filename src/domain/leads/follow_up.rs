//! What a lead build does with the outcomes sales already recorded: a lead keeps its latest
//! outcome and its next action, a lead whose next action is "nobody" (not a fit) is not
//! handed to sales again, and the explanation says why.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::{
    leads::package::{FollowUp, LeadPackage},
    leads::playbook::{NextAction, NextOwner},
};

/// A lead's latest recorded outcome, as the build reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorOutcome {
    pub outcome: String,
    pub label: String,
    pub at: Timestamp,
    pub next: NextAction,
}

/// Carries each lead's latest outcome into its package and acts on it. `day` renders a
/// moment as a date for the explanation.
pub fn apply(
    leads: &mut [LeadPackage],
    prior: &HashMap<i64, PriorOutcome>,
    day: &dyn Fn(Timestamp) -> String,
) {
    for lead in leads {
        let Some(p) = prior.get(&lead.attendee_id) else {
            continue;
        };
        let mut said = format!(
            "Sales recorded \"{}\" on {}; next: {}.",
            p.label,
            day(p.at),
            p.next.in_words(day)
        );
        if p.next.owner == NextOwner::Nobody && lead.routing.take().is_some() {
            said.push_str(" Not handed to sales again.");
        }
        if p.next.tag == "customer" {
            said.push_str(" They are a customer.");
        }
        if !lead.explanation.is_empty() {
            lead.explanation.push(' ');
        }
        lead.explanation.push_str(&said);
        lead.follow_up = Some(FollowUp {
            outcome: p.outcome.clone(),
            outcome_label: p.label.clone(),
            recorded_at: p.at.to_string(),
            next_owner: p.next.owner.key().into(),
            next_at: p.next.due_at.map(|t| t.to_string()),
            email: p.next.email,
            tag: p.next.tag.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::domain::{
        leads::package::{Routing, Tier},
        leads::playbook::Playbook,
    };

    fn lead(id: i64) -> LeadPackage {
        let mut l: LeadPackage = serde_json::from_value(serde_json::json!({
            "attendee_id": id, "tier": "A", "score": 80.0, "fit": 70.0, "engagement": 60.0,
            "stage_points": 50.0, "topics": [], "sessions": [],
            "contact": { "name": "Ada", "email": "ada@example.com", "job_title": "CTO",
                "company": "Acme", "decision_role": "decision_maker", "responsibilities": "",
                "country": "Germany" },
            "needs": { "industry": "", "company_size": "", "stage": "", "stage_label": "",
                "declared_interests": [] },
            "session_count": 2, "minutes": 90, "show": [], "factors": [],
            "exclusion": null, "routing": null
        }))
        .unwrap();
        l.explanation = "Tier A: strong fit.".into();
        l.routing = Some(Routing {
            owner: "sally".into(),
            rule: "kept from an earlier build".into(),
            due_at: "2026-12-10T10:00:00Z".into(),
        });
        l
    }

    fn prior(outcome: &str) -> PriorOutcome {
        let at: Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let book = Playbook::default();
        PriorOutcome {
            outcome: outcome.into(),
            label: book.label(outcome),
            at,
            next: book.next_action(outcome, at, &TimeZone::UTC),
        }
    }

    fn day(t: Timestamp) -> String {
        t.strftime("%Y-%m-%d").to_string()
    }

    #[test]
    fn not_a_fit_is_not_handed_to_sales_again_and_says_why() {
        let mut leads = vec![lead(1), lead(2)];
        let prior = HashMap::from([(1, prior("not_a_fit"))]);
        apply(&mut leads, &prior, &day);
        assert!(leads[0].routing.is_none());
        assert_eq!(leads[0].tier, Tier::A, "the scoring stands");
        assert!(
            leads[0]
                .explanation
                .ends_with("Sales recorded \"Not a fit\" on 2026-12-06; next: nobody; no further contact; no follow-up email. Not handed to sales again."),
            "{}",
            leads[0].explanation
        );
        let f = leads[0].follow_up.as_ref().unwrap();
        assert_eq!((f.next_owner.as_str(), f.email), ("nobody", false));
        assert!(leads[1].routing.is_some() && leads[1].follow_up.is_none());
        assert_eq!(leads[1].explanation, "Tier A: strong fit.");
    }

    #[test]
    fn a_won_lead_stays_with_its_owner_as_a_customer() {
        let mut leads = vec![lead(1)];
        apply(&mut leads, &HashMap::from([(1, prior("won"))]), &day);
        assert_eq!(leads[0].routing.as_ref().unwrap().owner, "sally");
        assert!(leads[0].explanation.contains("They are a customer."));
        assert!(leads[0].explanation.contains("their likely next need"));
        let f = leads[0].follow_up.as_ref().unwrap();
        assert_eq!(f.tag, "customer");
        assert_eq!(f.next_at.as_deref(), Some("2027-06-06T10:00:00Z"));
    }
}
