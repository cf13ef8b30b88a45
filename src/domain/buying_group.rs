//! A company's buying group at an event (DOMAIN.md, "A lead is an organisation's decision"):
//! which of the six decision roles came, interested in what, how far the purchase is, and
//! how strong that makes the account, with the reasons in plain words.

use std::collections::{BTreeMap, HashSet};

use super::{
    attendee::{DecisionRole, PurchaseStage},
    leads::package::Tier,
};

/// One person of the company at the event.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub attendee_id: i64,
    pub name: String,
    pub role: Option<DecisionRole>,
    pub stage: Option<PurchaseStage>,
    /// Their lead's tier; `None` without a lead.
    pub tier: Option<Tier>,
    /// Slug and name of their top topic, if they showed a genuine interest.
    pub topic: Option<(String, String)>,
}

/// The group and its strength.
#[derive(Debug, Clone, PartialEq)]
pub struct BuyingGroup {
    /// Roles present among members who count, in DOMAIN.md order.
    pub roles: Vec<DecisionRole>,
    /// Topic name -> roles engaged on it.
    pub topics: BTreeMap<String, Vec<DecisionRole>>,
    /// The furthest purchase stage reported.
    pub stage: Option<PurchaseStage>,
    pub strength: u32,
    pub reasons: Vec<String>,
}

/// What a role adds to a group: the people who decide and buy weigh most.
fn role_weight(role: DecisionRole) -> u32 {
    match role {
        DecisionRole::DecisionMaker => 30,
        DecisionRole::Buyer => 20,
        DecisionRole::Initiator | DecisionRole::Influencer => 15,
        DecisionRole::User | DecisionRole::Auditor => 10,
        DecisionRole::Other => 0,
    }
}

/// Per extra role engaged on the same topic as another.
const SHARED_TOPIC: u32 = 20;

fn role_words(r: DecisionRole) -> String {
    r.key().replace('_', " ")
}

/// Builds the group. Members whose lead is excluded (tier X: students, competitors, staff)
/// count for nothing, however many came.
pub fn buying_group(members: &[Member]) -> BuyingGroup {
    let counted: Vec<&Member> = members.iter().filter(|m| m.tier != Some(Tier::X)).collect();
    let roles: HashSet<DecisionRole> = counted.iter().filter_map(|m| m.role).collect();
    let roles: Vec<DecisionRole> = DecisionRole::ALL
        .iter()
        .copied()
        .filter(|r| roles.contains(r) && *r != DecisionRole::Other)
        .collect();
    let mut topics: BTreeMap<String, Vec<DecisionRole>> = BTreeMap::new();
    for m in &counted {
        if let (Some((_, name)), Some(role)) = (&m.topic, m.role) {
            let list = topics.entry(name.clone()).or_default();
            if !list.contains(&role) && role != DecisionRole::Other {
                list.push(role);
            }
        }
    }
    let stage = counted
        .iter()
        .filter_map(|m| m.stage)
        .filter(|s| s.step().is_some())
        .max_by_key(|s| s.step());
    let mut strength: u32 = roles.iter().map(|r| role_weight(*r)).sum();
    let mut reasons = Vec::new();
    if !roles.is_empty() {
        let words: Vec<String> = roles.iter().map(|r| role_words(*r)).collect();
        reasons.push(format!("roles present: {}", words.join(", ")));
    }
    if let Some((topic, shared)) = topics
        .iter()
        .max_by_key(|(_, r)| r.len())
        .filter(|(_, r)| r.len() > 1)
    {
        strength += SHARED_TOPIC * (shared.len() as u32 - 1);
        let words: Vec<String> = shared.iter().map(|r| role_words(*r)).collect();
        reasons.push(format!(
            "{} engaged on the same topic, {topic}",
            words.join(" and ")
        ));
    }
    if let Some(s) = stage {
        let step = s.step().unwrap_or(0);
        // Steps 4 to 6 (suppliers, proposals, choosing) are when a call changes the outcome.
        let points = if (4..=6).contains(&step) { 15 } else { 5 };
        strength += points;
        reasons.push(format!("furthest stage: step {step}, \"{}\"", s.label()));
    }
    let excluded = members.len() - counted.len();
    if excluded > 0 {
        reasons.push(format!("{excluded} excluded (tier X) count for nothing"));
    }
    BuyingGroup {
        roles,
        topics,
        stage,
        strength,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(role: DecisionRole, tier: Tier, topic: Option<&str>) -> Member {
        Member {
            attendee_id: 0,
            name: String::new(),
            role: Some(role),
            stage: Some(PurchaseStage::LookForSuppliers),
            tier: Some(tier),
            topic: topic.map(|t| (t.to_owned(), t.to_owned())),
        }
    }

    #[test]
    fn a_decision_maker_and_a_user_on_one_topic_outrank_five_students() {
        let pair = buying_group(&[
            m(DecisionRole::DecisionMaker, Tier::A, Some("AI")),
            m(DecisionRole::User, Tier::B, Some("AI")),
        ]);
        let students: Vec<Member> = (0..5)
            .map(|_| m(DecisionRole::User, Tier::X, Some("AI")))
            .collect();
        let students = buying_group(&students);
        assert!(
            pair.strength > students.strength,
            "{} vs {}",
            pair.strength,
            students.strength
        );
        assert_eq!(students.strength, 0);
        assert!(students.reasons.iter().any(|r| r.contains("5 excluded")));
        assert!(
            pair.reasons
                .iter()
                .any(|r| r == "decision maker and user engaged on the same topic, AI"),
            "{:?}",
            pair.reasons
        );
        assert_eq!(
            pair.roles,
            [DecisionRole::User, DecisionRole::DecisionMaker]
        );
        assert_eq!(pair.stage, Some(PurchaseStage::LookForSuppliers));
    }

    #[test]
    fn the_same_roles_on_different_topics_weigh_less_than_on_one() {
        let split = buying_group(&[
            m(DecisionRole::DecisionMaker, Tier::A, Some("AI")),
            m(DecisionRole::User, Tier::B, Some("Security")),
        ]);
        let together = buying_group(&[
            m(DecisionRole::DecisionMaker, Tier::A, Some("AI")),
            m(DecisionRole::User, Tier::B, Some("AI")),
        ]);
        assert!(together.strength > split.strength);
    }
}
