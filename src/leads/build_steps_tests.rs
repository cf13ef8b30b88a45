//! The lead build's pure steps on plain values.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::*;
use crate::domain::leads::package::Routing;

fn routing(by_account: bool) -> RoutingRules {
    serde_json::from_value(serde_json::json!({ "fallback": "sam", "by_account": by_account }))
        .unwrap()
}

fn lead(id: i64, tier: &str, routed: bool) -> LeadPackage {
    let mut l: LeadPackage = serde_json::from_value(serde_json::json!({
        "attendee_id": id, "tier": tier, "score": 80.0, "fit": 70.0, "engagement": 60.0,
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
    if routed {
        l.routing = Some(Routing {
            owner: "sam".into(),
            rule: "fallback".into(),
            due_at: "2026-12-10T10:00:00Z".into(),
        });
    }
    l
}

#[test]
fn a_dry_run_reads_without_recording_or_opening_a_write() {
    let plan = read_plan(None, 10, false, None);
    assert!(plan.record.is_none());
    assert_eq!(plan.early_write, None);
    assert!(!plan.companies);
}

#[test]
fn a_build_opens_its_write_while_reading_only_where_writers_do_not_queue() {
    let postgres = read_plan(Some(4), 10, false, None);
    let record = postgres.record.unwrap();
    assert_eq!((record.build_id, record.total), (4, 10));
    assert_eq!(postgres.early_write, Some(4));
    let sqlite = read_plan(Some(4), 10, true, None);
    assert!(sqlite.record.is_some());
    assert_eq!(sqlite.early_write, None);
}

#[test]
fn companies_are_read_only_to_route_by_account() {
    assert!(!read_plan(Some(1), 0, false, Some(&routing(false))).companies);
    assert!(read_plan(Some(1), 0, false, Some(&routing(true))).companies);
}

#[test]
fn carried_routes_keep_known_owners_and_feedback_is_labelled() {
    let owner_ids = HashMap::from([("sam".to_owned(), 5)]);
    let at = ts(1_700_000_000_000);
    let book = Playbook::default();
    let feedback = vec![FeedbackRecord {
        id: 1,
        attendee_id: 7,
        user_id: 5,
        username: "sam".into(),
        display_name: "Sam".into(),
        outcome: "won".into(),
        note: String::new(),
        at: at.as_millisecond(),
        next: book.next_action("won", at, &TimeZone::UTC),
    }];
    let summaries = vec![LeadSummary {
        attendee_id: 7,
        tier: Tier::B,
        top_topic: None,
    }];
    let carried = Carried::new(
        vec![(7, 5, 1_000), (8, 99, 2_000)],
        &owner_ids,
        vec![(7, 70)],
        feedback,
        summaries,
        &book,
    );
    assert_eq!(carried.kept.len(), 1, "owner 99 has no account any more");
    assert_eq!(carried.kept[&7].owner, "sam");
    assert_eq!(carried.kept[&7].due_at, ts(1_000));
    assert_eq!(carried.company_of, HashMap::from([(7, 70)]));
    assert_eq!(carried.prior[&7].label, book.label("won"));
    assert_eq!(carried.prior[&7].at, at);
    assert_eq!(carried.before, HashMap::from([(7, Tier::B)]));
}

#[test]
fn the_tally_counts_tiers_routes_and_moves_across_chunks() {
    let before = HashMap::from([(1, Tier::A), (2, Tier::C)]);
    let mut report = BuildReport::default();
    report.count(
        vec![lead(1, "A", true), lead(2, "B", true)],
        &before,
        None,
        false,
    );
    report.count(vec![lead(3, "X", false)], &before, None, false);
    assert_eq!(report.leads, 3);
    assert_eq!(report.routed, 2);
    assert_eq!(
        report.tiers,
        BTreeMap::from([("A".into(), 1), ("B".into(), 1), ("X".into(), 1)])
    );
    assert_eq!(report.moved, 2, "2 went from C to B, 3 is new");
    assert_eq!(
        report.moves.moved,
        [(2, Some(Tier::C), Tier::B), (3, None, Tier::X)]
    );
}

#[test]
fn the_webhook_hears_of_routed_tiers_that_are_new_or_moved_and_only_when_on() {
    let before = HashMap::from([(1, Tier::A), (2, Tier::C)]);
    let chunk = || {
        vec![
            lead(1, "A", true),
            lead(2, "B", true),
            lead(3, "A", true),
            lead(4, "C", false),
        ]
    };
    let rules = routing(false);
    let mut report = BuildReport::default();
    let changed = report.count(chunk(), &before, Some(&rules), true);
    let ids: Vec<i64> = changed.iter().map(|l| l.attendee_id).collect();
    assert_eq!(ids, [2, 3], "1 kept its tier, C is not a routed tier");
    assert!(
        report
            .count(chunk(), &before, Some(&rules), false)
            .is_empty()
    );
    assert!(report.count(chunk(), &before, None, true).is_empty());
}
