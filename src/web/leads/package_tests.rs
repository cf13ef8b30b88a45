//! The package page's view, built from facts as the store gives them.

use jiff::{Timestamp, tz::TimeZone};

use super::*;
use crate::domain::{
    attendee::{Answers, CompanySize, DecisionRole, Industry},
    leads::feedback_deadline::Step,
    leads::package::Tier,
    slug::Slug,
};

const NOW_MS: i64 = 1_750_000_000_000;

fn facts(lead: LeadRow) -> PackageFacts {
    PackageFacts {
        lead,
        package: None,
        feedback: Vec::new(),
        book: Playbook::default(),
        colleagues: Vec::new(),
        company: None,
        deadline_steps: Vec::new(),
        topics: vec![Topic {
            slug: Slug::parse("big-data").unwrap(),
            name: "Big data and analytics".into(),
        }],
        attendee: None,
        live: None,
    }
}

fn lead(tier: Tier, due_at: Option<i64>) -> LeadRow {
    let mut row = LeadRow::default();
    row.lead.attendee_id = 7;
    row.lead.tier = tier;
    row.lead.due_at = due_at;
    row
}

fn view_now(f: PackageFacts) -> PackageView {
    view(
        f,
        &TimeZone::UTC,
        Timestamp::from_millisecond(NOW_MS).unwrap(),
    )
}

#[test]
fn a_package_that_cannot_be_read_shows_the_contact_as_registered() {
    let mut f = facts(lead(Tier::B, None));
    f.attendee = Some(AttendeeRecord {
        id: 7,
        event_id: 1,
        email: "ada@example.com".into(),
        name: "Ada Lovelace".into(),
        answers: Answers {
            company: "Analytical Engines".into(),
            job_title: "CTO".into(),
            decision_role: Some(DecisionRole::DecisionMaker),
            ..Answers::default()
        },
        phone: None,
        marketing_consent: true,
        source: "form".into(),
        badge_serial: 1,
        registered_at: 0,
        updated_at: 0,
        erased_at: None,
        interests: Vec::new(),
        token: String::new(),
    });

    let v = view_now(f);

    assert!(!v.readable);
    assert_eq!(v.contact.name, "Ada Lovelace");
    assert_eq!(v.contact.email, "ada@example.com");
    assert_eq!(v.contact.company, "Analytical Engines");
    assert_eq!(v.contact.role, "decision maker");
    assert_ne!(v.contact.role, "");
    assert_eq!(
        (v.tier.as_str(), v.tier_meaning.as_str()),
        ("B", "nurture plus telesales")
    );
}

#[test]
fn without_the_registration_the_contact_is_empty_not_made_up() {
    let v = view_now(facts(lead(Tier::C, None)));
    assert_eq!(
        (v.contact.name.as_str(), v.contact.email.as_str()),
        ("", "")
    );
    assert!(v.live.is_none());
}

#[test]
fn a_live_tier_other_than_the_built_one_is_shown_as_moved_with_its_topic_by_name() {
    let mut f = facts(lead(Tier::C, None));
    f.live = Some(LiveFacts {
        row: LiveLeadRow {
            attendee_id: 7,
            event_id: 1,
            tier: Tier::A,
            score: 80.0,
            top_topic: Some("big-data".into()),
            topic_scores: "big-data:80".into(),
            scan_seen: 1,
            updated_at: NOW_MS,
        },
        explanation: "Stayed for two big data talks.".into(),
    });

    let live = view_now(f).live.expect("live view");

    assert!(live.moved);
    assert_eq!(live.tier, "A");
    assert_eq!(live.interest, "most interested in Big data and analytics");
    assert_eq!(live.explanation, "Stayed for two big data talks.");
}

#[test]
fn a_live_lead_in_its_built_tier_is_not_moved_and_may_have_no_topic_yet() {
    let mut f = facts(lead(Tier::A, None));
    f.live = Some(LiveFacts {
        row: LiveLeadRow {
            attendee_id: 7,
            event_id: 1,
            tier: Tier::A,
            score: 10.0,
            top_topic: None,
            topic_scores: String::new(),
            scan_seen: 1,
            updated_at: NOW_MS,
        },
        explanation: String::new(),
    });
    let live = view_now(f).live.unwrap();
    assert!(!live.moved);
    assert_eq!(live.interest, "no topic of interest shows yet");
}

#[test]
fn a_lead_is_overdue_only_past_its_deadline_and_without_an_outcome() {
    assert!(view_now(facts(lead(Tier::A, Some(NOW_MS - 1)))).overdue);
    assert!(!view_now(facts(lead(Tier::A, Some(NOW_MS + 60_000)))).overdue);
    assert!(!view_now(facts(lead(Tier::A, None))).overdue);
}

#[test]
fn a_deadline_step_reads_its_detail_or_else_its_state_and_whom_it_went_to() {
    let step = |to: Option<&str>, state: &str, detail: &str| StepRecord {
        step: Step::Escalated,
        due_at: 0,
        owner: "sam".into(),
        to: to.map(str::to_owned),
        state: state.into(),
        detail: detail.into(),
        at: NOW_MS,
    };
    let mut f = facts(lead(Tier::A, None));
    f.deadline_steps = vec![
        step(Some("maria"), "sent", ""),
        step(None, "failed", "no address for the manager"),
    ];

    let lines = view_now(f).deadline_steps;

    assert!(
        lines[0].ends_with(": escalated to the manager (deadline of sam, to maria): sent"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1]
            .ends_with(": escalated to the manager (deadline of sam): no address for the manager"),
        "{}",
        lines[1]
    );
}

#[test]
fn colleagues_without_a_lead_say_so() {
    let member = |tier: Option<Tier>| MemberRow {
        attendee_id: 8,
        person_id: None,
        company_id: 1,
        event_id: 1,
        event_slug: "e".into(),
        event_name: "E".into(),
        name: "Grace Hopper".into(),
        job_title: "Admiral".into(),
        decision_role: Some(DecisionRole::Influencer),
        purchase_stage: None,
        tier,
        top_topic: None,
        topic_name: Some("Big data and analytics".into()),
    };
    let mut f = facts(lead(Tier::A, None));
    f.colleagues = vec![member(Some(Tier::B)), member(None)];

    let c = view_now(f).colleagues;

    assert_eq!(c[0].2, "B");
    assert_eq!(c[1].2, "no lead");
    assert_eq!(c[0].3, "Big data and analytics");
}

#[test]
fn only_web_addresses_become_links() {
    assert_eq!(
        link("https://example.com/a"),
        Some("https://example.com/a".into())
    );
    assert_eq!(link(" HTTP://x.example "), Some("HTTP://x.example".into()));
    assert_eq!(link("javascript:alert(1)"), None);
    assert_eq!(link("data:text/html,x"), None);
}

#[test]
fn choices_read_as_words() {
    assert_eq!(
        role_words(Some(DecisionRole::DecisionMaker)),
        "decision maker"
    );
    assert_eq!(role_words(None), "unknown");
    assert_eq!(
        words(Some(CompanySize::Medium), CompanySize::label),
        "51-200"
    );
    assert_eq!(words(None::<Industry>, Industry::label), "unknown");
    assert_eq!(
        given("Banking, insurance and finance"),
        "Banking, insurance and finance"
    );
    assert_eq!(given(""), "unknown");
    assert_eq!(plural(1, "session"), "1 session");
    assert_eq!(plural(3, "session"), "3 sessions");
}
