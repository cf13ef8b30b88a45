//! The event-level build: one package per attendee, independent of input order; routing
//! and tier moves.

use super::*;
use crate::domain::attendee::PurchaseStage;

fn event() -> EventInput {
    let topic = |slug: &str, name: &str| TopicRef {
        slug: slug.into(),
        name: name.into(),
    };
    let session = |id: &str, kind, topics: &[(usize, f64)], speakers: &[&str]| SessionInput {
        external_id: id.into(),
        title: format!("Session {id}"),
        kind,
        topics: topics.to_vec(),
        speakers: speakers.iter().map(|s| (*s).to_owned()).collect(),
        starts_at: "2026-05-12T09:00:00Z".parse().unwrap(),
        ends_at: "2026-05-12T10:00:00Z".parse().unwrap(),
    };
    let person =
        |id: i64, name: &str, role: &str, title: &str, visits: &[(usize, u32)]| AttendeeInput {
            id,
            email: format!("p{id}@example.com"),
            name: name.into(),
            answers: Answers {
                company: "Acme".into(),
                job_title: title.into(),
                decision_role: Some(DecisionRole::parse(role).unwrap()),
                purchase_stage: Some(PurchaseStage::LookForSuppliers),
                industry: Some(Industry::Finance),
                company_size: Some(CompanySize::Large),
                country: "Germany".into(),
            },
            declared: vec![1],
            visits: visits.to_vec(),
            ..AttendeeInput::default()
        };
    EventInput {
        topics: vec![
            topic("big-data", "Big data"),
            topic("video", "Video"),
            topic("ai", "AI"),
        ],
        sessions: vec![
            session(
                "K1",
                SessionKind::Keynote,
                &[(0, 1.0), (1, 1.0), (2, 1.0)],
                &["Grace Hopper"],
            ),
            session("W1", SessionKind::Workshop, &[(0, 1.0)], &[]),
            session("T1", SessionKind::Talk, &[(1, 2.0), (2, 1.0)], &[]),
        ],
        attendees: vec![
            person(1, "Ada", "decision_maker", "CTO", &[(0, 60), (1, 90)]),
            person(2, "Bob", "user", "Engineer", &[(0, 60), (2, 40), (2, 5)]),
            person(
                3,
                "Grace Hopper",
                "influencer",
                "Architect",
                &[(0, 60), (2, 45)],
            ),
            person(4, "Cy", "buyer", "Buyer", &[]),
        ],
    }
}

fn build_all(input: &EventInput) -> Vec<LeadPackage> {
    let mut calls = Vec::new();
    let mut out = build(
        input,
        &LeadRules::default(),
        &ContentLibrary::default(),
        &mut |n| calls.push(n),
    );
    assert_eq!(calls.last(), Some(&input.attendees.len()));
    out.sort_by_key(|l| l.attendee_id);
    out
}

#[test]
fn every_attendee_gets_a_package_with_where_the_interest_came_from() {
    let leads = build_all(&event());
    assert_eq!(leads.len(), 4);
    let ada = &leads[0];
    // The keynote is no choice and counts nothing. The workshop decides.
    assert_eq!(ada.topics[0].slug, "big-data");
    assert_eq!(ada.topics[0].sessions[0], "W1");
    assert_eq!(ada.session_count, 2);
    assert_eq!(ada.minutes, 150);
    assert_eq!(ada.sessions[0].session, "W1");
    assert_eq!(
        ada.contact.responsibilities,
        "makes the final decision; cares about cutting cost and raising efficiency"
    );
    assert_eq!(ada.needs.industry, "Banking, insurance and finance");
    assert_eq!(ada.needs.industry_key, Some(Industry::Finance));
    assert_eq!(ada.needs.declared_interests, ["video"]);
    // Bob's two visits to T1 add up to 45 minutes.
    let bob = &leads[1];
    assert_eq!(bob.topics[0].slug, "video");
    assert_eq!(
        bob.sessions
            .iter()
            .find(|s| s.session == "T1")
            .map(|s| s.minutes),
        Some(45)
    );
    // Grace spoke at the keynote; Cy never came.
    assert_eq!(leads[2].tier, Tier::X);
    assert_eq!(leads[2].exclusion.as_deref(), Some("speaker at the event"));
    assert_eq!(leads[3].tier, Tier::X);
    assert!(
        leads[3]
            .exclusion
            .as_deref()
            .unwrap_or("")
            .starts_with("no-show")
    );
    assert_eq!(leads[3].topic_scores(), "video:28.3");
}

#[test]
fn the_result_does_not_depend_on_input_order() {
    let input = event();
    let before = build_all(&input);
    let mut shuffled = input.clone();
    shuffled.attendees.reverse();
    for a in &mut shuffled.attendees {
        a.visits.reverse();
    }
    assert_eq!(build_all(&shuffled), before);
    assert_eq!(
        build_all(&input),
        before,
        "the same inputs give the same result"
    );
}

#[test]
fn routing_gives_owners_and_deadlines_and_keeps_earlier_ones() {
    let mut leads = build_all(&event());
    let routing: RoutingRules = toml::from_str(
        "fallback = 'sam'\ntiers = ['A', 'B', 'C']\n[[rule]]\nowner = 'fin'\nindustry = ['finance']\ntopic = ['video']\n",
    )
    .unwrap();
    let now: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
    let tz = TimeZone::UTC;
    let mut kept = HashMap::new();
    kept.insert(
        1,
        KeptRoute {
            owner: "olga".into(),
            due_at: "2026-12-03T10:00:00Z".parse().unwrap(),
        },
    );
    route(&mut leads, &routing, &kept, now, &tz);
    let r = |i: usize| leads[i].routing.clone();
    assert_eq!(
        r(0).map(|r| (r.owner, r.due_at)),
        Some(("olga".into(), "2026-12-03T10:00:00Z".into()))
    );
    let bob = r(1).expect("bob is routed");
    assert_eq!(
        (bob.owner.as_str(), bob.due_at.as_str()),
        ("fin", "2026-12-11T10:00:00Z")
    );
    assert_eq!(bob.rule, "industry finance, topic video");
    assert_eq!(r(2), None, "tier X is never routed");
}

#[test]
fn tier_moves_count_and_list_changes() {
    let leads = build_all(&event());
    let mut before = HashMap::new();
    before.insert(1, leads[0].tier);
    before.insert(2, Tier::A);
    let moves = tier_moves(&before, &leads);
    assert_eq!(moves.moved.len(), 3, "{moves:?}");
    assert_eq!(moves.moved[0], (2, Some(Tier::A), leads[1].tier));
    assert_eq!(moves.counts.get(&(None, Tier::X)), Some(&2));
}

#[test]
fn a_live_grade_is_the_package_without_its_words() {
    let input = event();
    let facts = EventFacts::new(&input);
    let mut rules = LeadRules::default();
    for speakers in [false, true] {
        rules.exclude.speakers = speakers;
        rules.fit.target_accounts = if speakers {
            vec!["acme".into()]
        } else {
            Vec::new()
        };
        for i in 0..input.attendees.len() {
            let content = ContentLibrary::default();
            let full = one_package(&input, &facts, i, &rules, &content, None);
            let g = one_grade(&input, &facts, i, &rules);
            let topics: Vec<(&str, f64)> = g.scored_topics(&input).collect();
            let want: Vec<(&str, f64)> = full.scored_topics().collect();
            assert_eq!((g.tier, g.score, topics), (full.tier, full.score, want));
        }
    }
    // The cases differ: a speaker excluded, a no-show, leads of more than one tier.
    let tiers: HashSet<Tier> = (0..input.attendees.len())
        .map(|i| one_grade(&input, &facts, i, &rules).tier)
        .collect();
    assert!(tiers.len() >= 2 && tiers.contains(&Tier::X), "{tiers:?}");
}
