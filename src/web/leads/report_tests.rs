//! The lead report page's view, built from plain numbers.

use super::*;
use crate::domain::{
    leads::calibration::calibration, leads::report::LeadCell, slug::Slug, user::Role,
};

fn user() -> CurrentUser {
    CurrentUser {
        id: 1,
        username: "mara".into(),
        display_name: "Mara".into(),
        role: Role::Marketer,
    }
}

fn cell(tier: &str, topic: &str, outcome: Option<&str>, routed: bool, count: u64) -> LeadCell {
    LeadCell {
        tier: Tier::parse(tier).unwrap(),
        topic: topic.into(),
        outcome: outcome.map(str::to_owned),
        checked_in: true,
        engaged: true,
        routed,
        overdue: false,
        count,
    }
}

fn at(day: &str) -> Timestamp {
    format!("2026-05-{day}T12:00:00Z").parse().unwrap()
}

fn read(cells: &[LeadCell]) -> ReportRead {
    ReportRead {
        report: lead_report(10, 8, cells),
        topics: vec![Topic {
            slug: Slug::parse("cloud").unwrap(),
            name: "Cloud platforms".into(),
        }],
        calibration: calibration(&[]),
        labels: Labels::default(),
        deadlines: vec![
            DeadlineFact {
                owner: "sam".into(),
                due: at("10"),
                first_outcome: Some(at("09")),
            },
            DeadlineFact {
                owner: "sam".into(),
                due: at("11"),
                first_outcome: None,
            },
        ],
        reassigned: Vec::new(),
        now: at("20"),
    }
}

fn view(cells: &[LeadCell]) -> ReportPage {
    report_view(
        user(),
        "token".into(),
        "expo".into(),
        "Expo".into(),
        read(cells),
    )
    .unwrap()
}

#[test]
fn topics_are_shown_by_name_unknown_slugs_as_they_are_and_none_in_words() {
    let page = view(&[
        cell("A", "cloud", None, true, 3),
        cell("B", "gone", None, false, 2),
        cell("C", "", None, false, 1),
    ]);
    let names: Vec<&str> = page.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Cloud platforms", "gone", "(no topic)"]);
    assert!(page.topic_chart.contains("Cloud platforms"));
    assert_eq!(
        (page.slug.as_str(), page.event_name.as_str()),
        ("expo", "Expo")
    );
    assert_eq!(page.csrf, "token");
}

#[test]
fn tiers_and_funnel_carry_counts_and_shares() {
    let page = view(&[
        cell("A", "cloud", None, true, 3),
        cell("B", "", None, false, 1),
    ]);
    let a = page
        .tiers
        .iter()
        .find(|r| r.label.starts_with("A ("))
        .unwrap();
    assert_eq!(a.count, 3);
    assert_eq!(a.share, format::percent(75.0));
    assert_eq!(page.funnel.len(), page.report.funnel.len());
    assert_eq!(
        page.funnel[0].count, 10,
        "the funnel starts at the registered"
    );
    assert!(page.tier_chart.starts_with("<svg"));
    assert!(page.funnel_chart.starts_with("<svg"));
}

#[test]
fn without_feedback_or_tiers_the_rates_say_so_in_words() {
    let page = view(&[]);
    assert_eq!(page.acceptance, "no feedback yet");
    assert_eq!(page.conversion, "no tiered leads");
    // Every outcome is listed, none with a share of nothing.
    assert!(
        page.outcomes
            .iter()
            .all(|r| r.count == 0 && r.share.is_empty())
    );
}

#[test]
fn outcomes_are_shares_of_the_leads_with_feedback() {
    let page = view(&[
        cell("A", "cloud", Some("won"), true, 1),
        cell("A", "cloud", Some("not_a_fit"), true, 3),
    ]);
    let shares: Vec<(u64, &str)> = page
        .outcomes
        .iter()
        .map(|r| (r.count, r.share.as_str()))
        .collect();
    assert!(
        shares.contains(&(1, format::percent(25.0).as_str())),
        "{shares:?}"
    );
    assert!(
        shares.contains(&(3, format::percent(75.0).as_str())),
        "{shares:?}"
    );
    assert_ne!(page.acceptance, "no feedback yet");
}

#[test]
fn each_owner_line_counts_deadlines_kept_late_and_missed() {
    let page = view(&[]);
    assert_eq!(page.owners.len(), 1);
    let sam = &page.owners[0];
    assert_eq!(sam.owner, "sam");
    assert_eq!((sam.on_time, sam.late, sam.never, sam.open), (1, 0, 1, 0));
    assert_eq!(sam.share, format::percent(50.0));
}
