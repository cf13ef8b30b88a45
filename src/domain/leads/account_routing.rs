//! Routing by account: with `by_account = true` in the routing file, every routed lead of a
//! company goes to one owner, so two salespeople never call the same company unknowingly.
//! The company's owner is the owner an earlier build gave one of its leads, else the owner
//! routing gave its first lead (by attendee id) in this build.

use std::collections::HashMap;

use crate::domain::leads::package::LeadPackage;

/// Who owns which company, kept across the chunks of one build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountOwners {
    /// Company id -> (owner, the attendee whose lead decided it).
    owners: HashMap<i64, (String, i64)>,
}

impl AccountOwners {
    /// Starts from the owners earlier builds gave: `kept` is (attendee id, owner), and the
    /// lowest attendee id of a company decides when they differ.
    pub fn from_kept<'a>(
        kept: impl IntoIterator<Item = (i64, &'a str)>,
        company_of: &HashMap<i64, i64>,
    ) -> AccountOwners {
        let mut kept: Vec<(i64, &str)> = kept.into_iter().collect();
        kept.sort_unstable();
        let mut owners = HashMap::new();
        for (attendee, owner) in kept {
            if let Some(company) = company_of.get(&attendee) {
                owners
                    .entry(*company)
                    .or_insert_with(|| (owner.to_owned(), attendee));
            }
        }
        AccountOwners { owners }
    }

    /// Gives each routed lead of a company with an owner that owner; a company's first
    /// routed lead without one makes its owner the company's. `kept` leads (routed by an
    /// earlier build) keep theirs: sales may be working them.
    pub fn apply(
        &mut self,
        leads: &mut [LeadPackage],
        company_of: &HashMap<i64, i64>,
        is_kept: impl Fn(i64) -> bool,
    ) {
        for lead in leads {
            let (Some(routing), Some(company)) =
                (lead.routing.as_mut(), company_of.get(&lead.attendee_id))
            else {
                continue;
            };
            match self.owners.get(company) {
                Some((owner, decided_by)) if *decided_by != lead.attendee_id => {
                    if !is_kept(lead.attendee_id) && routing.owner != *owner {
                        routing.rule = format!(
                            "account: {owner} owns this company's leads ({})",
                            lead.contact.company
                        );
                        routing.owner.clone_from(owner);
                    }
                }
                Some(_) => {}
                None => {
                    self.owners
                        .insert(*company, (routing.owner.clone(), lead.attendee_id));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::leads::package::Routing;

    fn lead(id: i64, owner: &str) -> LeadPackage {
        let mut l: LeadPackage = serde_json::from_value(serde_json::json!({
            "attendee_id": id, "tier": "A", "score": 80.0, "fit": 70.0, "engagement": 60.0,
            "stage_points": 50.0, "topics": [], "sessions": [],
            "contact": { "name": "", "email": "", "job_title": "", "company": "Acme",
                "decision_role": "", "responsibilities": "", "country": "" },
            "needs": { "industry": "", "company_size": "", "stage": "", "stage_label": "",
                "declared_interests": [] },
            "session_count": 1, "minutes": 30, "show": [], "factors": [],
            "exclusion": null, "routing": null
        }))
        .unwrap();
        l.routing = Some(Routing {
            owner: owner.into(),
            rule: "region EMEA".into(),
            due_at: "2026-12-10T10:00:00Z".into(),
        });
        l
    }

    #[test]
    fn every_lead_of_a_company_goes_to_its_first_leads_owner() {
        let company_of = HashMap::from([(1, 7), (2, 7), (3, 8), (4, 7)]);
        let mut owners = AccountOwners::default();
        let mut first = vec![lead(1, "sally"), lead(2, "sam")];
        owners.apply(&mut first, &company_of, |_| false);
        // A later chunk of the same build.
        let mut second = vec![lead(3, "sam"), lead(4, "dora")];
        owners.apply(&mut second, &company_of, |_| false);
        let owner = |l: &LeadPackage| l.routing.as_ref().unwrap().owner.clone();
        assert_eq!(owner(&first[0]), "sally");
        assert_eq!(owner(&first[1]), "sally");
        assert!(
            first[1]
                .routing
                .as_ref()
                .unwrap()
                .rule
                .starts_with("account: sally")
        );
        assert_eq!(owner(&second[0]), "sam", "another company");
        assert_eq!(owner(&second[1]), "sally");
    }

    #[test]
    fn an_earlier_builds_owner_decides_and_kept_leads_stay() {
        let company_of = HashMap::from([(1, 7), (2, 7), (3, 7)]);
        let mut owners = AccountOwners::from_kept([(2, "sam"), (3, "dora")], &company_of);
        let mut leads = vec![lead(1, "sally"), lead(2, "sam"), lead(3, "dora")];
        owners.apply(&mut leads, &company_of, |id| id != 1);
        let owner = |l: &LeadPackage| l.routing.as_ref().unwrap().owner.clone();
        assert_eq!(
            owner(&leads[0]),
            "sam",
            "the kept lead with the lowest id decides"
        );
        assert_eq!(owner(&leads[2]), "dora", "kept leads keep their owner");
    }
}
