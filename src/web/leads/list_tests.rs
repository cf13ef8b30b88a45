//! The lead list page's query links, filters and view, built from plain values.

use super::*;

#[test]
fn list_links_keep_the_filters() {
    let q = ListQuery {
        tier: "A".into(),
        topic: "big-data".into(),
        owner: "7".into(),
        overdue: String::new(),
        page: 2,
        build: "started".into(),
        ..ListQuery::default()
    };
    assert_eq!(
        q.link(3, None, None),
        "tier=A&topic=big-data&owner=7&page=3"
    );
    let sorted = ListQuery {
        sort: "deadline".into(),
        dir: "desc".into(),
        ..ListQuery::default()
    };
    assert_eq!(sorted.link(1, None, None), "page=1&sort=deadline&dir=desc");
    let unknown = ListQuery {
        sort: "l.tier; --".into(),
        ..ListQuery::default()
    };
    assert_eq!(unknown.link(0, None, None), "");
    assert_eq!(
        q.link(0, Some(""), Some(true)),
        "topic=big-data&owner=7&overdue=1"
    );
    let f = q.filter().unwrap();
    assert_eq!(f.owner, OwnerFilter::User(7));
    let bad = ListQuery {
        tier: "D".into(),
        ..ListQuery::default()
    };
    assert!(bad.filter().is_err());
    assert_eq!(
        stage_words(Some(PurchaseStage::LookForSuppliers)),
        "4. look for suppliers"
    );
    assert_eq!(
        stage_words(Some(PurchaseStage::JustLearning)),
        "just learning"
    );
    assert_eq!(stage_words(None), "");
}

const BUILT_AT: i64 = 1_779_264_000_000; // 2026-05-20 10:00 in Berlin
const NOW: i64 = BUILT_AT + 3_600_000;

fn user() -> CurrentUser {
    CurrentUser {
        id: 1,
        username: "mara".into(),
        display_name: "Mara".into(),
        role: crate::domain::user::Role::Marketer,
    }
}

fn event() -> EventRecord {
    EventRecord {
        id: 3,
        info: crate::domain::programme::EventInfo {
            slug: crate::domain::slug::Slug::parse("devconf").unwrap(),
            name: "DevConf".into(),
            time_zone: "Europe/Berlin".into(),
            venue: "Messe".into(),
            starts_on: "2026-05-12".parse().unwrap(),
            ends_on: "2026-05-12".parse().unwrap(),
        },
    }
}

fn line(attendee_id: i64, due_at: Option<i64>) -> LeadLine {
    LeadLine {
        event_id: 3,
        attendee_id,
        name: format!("Lead {attendee_id}"),
        company: "Acme".into(),
        job_title: "CTO".into(),
        tier: Tier::A,
        score: 81.4,
        fit: 40.0,
        engagement: 41.4,
        stage: Some(crate::domain::attendee::PurchaseStage::LookForSuppliers),
        top_topic: Some("cloud".into()),
        topic_name: Some("Cloud platforms".into()),
        owner: Some("sam".into()),
        due_at,
        outcome: None,
        outcome_at: None,
    }
}

fn build(finished_at: Option<i64>) -> LeadBuildRecord {
    LeadBuildRecord {
        id: 5,
        event_id: 3,
        state: "done".into(),
        started_by: "alice".into(),
        started_at: BUILT_AT - 60_000,
        heartbeat_at: BUILT_AT,
        finished_at,
        total: 10,
        done: 10,
        summary: None,
        insight: None,
    }
}

fn read(matching: i64) -> ListRead {
    ListRead {
        lines: vec![line(11, Some(BUILT_AT)), line(12, None)],
        matching,
        counts: vec![(Tier::A, 4, 1), (Tier::C, 10, 2)],
        built: Some(build(Some(BUILT_AT))),
        build: None,
        topics: vec![Topic {
            slug: crate::domain::slug::Slug::parse("cloud").unwrap(),
            name: "Cloud platforms".into(),
        }],
        owners: vec![LeadOwner {
            id: 7,
            username: "sam".into(),
            display_name: "Sam Hill".into(),
        }],
        reassign_to: vec![(7, "sam".into()), (9, "kim".into())],
        now: NOW,
    }
}

fn view(q: &ListQuery, matching: i64) -> ListPage {
    let ask = ListAsk::new(q, &event()).unwrap();
    list_view(
        user(),
        "t0k".into(),
        "devconf".into(),
        event(),
        q,
        ask,
        read(matching),
    )
}

fn selected(choices: &[Choice]) -> Vec<&str> {
    choices
        .iter()
        .filter(|c| c.selected)
        .map(|c| c.value.as_str())
        .collect()
}

#[test]
fn tier_tabs_count_each_tier_and_link_to_it_keeping_the_other_filters() {
    let q = ListQuery {
        topic: "cloud".into(),
        ..ListQuery::default()
    };
    let page = view(&q, 14);
    let tabs: Vec<_> = page
        .tiers
        .iter()
        .map(|t| (t.tier, t.count, t.link.as_str()))
        .collect();
    assert_eq!(
        tabs,
        [
            ("A", 4, "tier=A&topic=cloud"),
            ("B", 0, "tier=B&topic=cloud"),
            ("C", 10, "tier=C&topic=cloud"),
            ("X", 0, "tier=X&topic=cloud"),
        ]
    );
    assert_eq!(page.tiers[0].meaning, "hand to sales now");
    assert_eq!(page.total, 14);
    assert_eq!(page.overdue, 3);
    assert_eq!(page.overdue_link, "topic=cloud&overdue=1");
}

#[test]
fn paging_links_step_one_page_within_the_matching_leads() {
    let first = view(&ListQuery::default(), 120);
    assert_eq!((first.page, first.pages), (0, 3));
    assert_eq!(first.prev, None);
    assert_eq!(first.next.as_deref(), Some("page=1"));
    assert_eq!(first.here, "");

    let q = ListQuery {
        tier: "A".into(),
        page: 1,
        ..ListQuery::default()
    };
    let middle = view(&q, 120);
    assert_eq!(middle.prev.as_deref(), Some("tier=A"));
    assert_eq!(middle.next.as_deref(), Some("tier=A&page=2"));
    assert_eq!(middle.here, "tier=A&page=1");

    let q = ListQuery {
        page: 2,
        ..ListQuery::default()
    };
    let last = view(&q, 120);
    assert_eq!(last.prev.as_deref(), Some("page=1"));
    assert_eq!(last.next, None);

    let exact = view(&ListQuery::default(), 50);
    assert_eq!((exact.pages, exact.next), (1, None));
    let empty = view(&ListQuery::default(), 0);
    assert_eq!((empty.pages, empty.next), (0, None));
}

#[test]
fn the_filter_choices_mark_what_the_list_is_filtered_by() {
    let unfiltered = view(&ListQuery::default(), 2);
    assert!(!unfiltered.filtered);
    assert_eq!(selected(&unfiltered.tier_choices), [""]);
    assert_eq!(selected(&unfiltered.topic_choices), [""]);
    assert_eq!(selected(&unfiltered.owner_choices), [""]);
    let owners: Vec<_> = unfiltered
        .owner_choices
        .iter()
        .map(|c| (c.value.as_str(), c.label.as_str()))
        .collect();
    assert_eq!(
        owners,
        [
            ("", "Anyone"),
            ("0", "Nobody (not routed)"),
            ("7", "Sam Hill")
        ]
    );
    let tiers: Vec<_> = unfiltered
        .tier_choices
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(tiers, ["Any", "A", "B", "C", "X"]);
    assert_eq!(unfiltered.topic_choices[1].label, "Cloud platforms");

    let q = ListQuery {
        tier: " B ".into(),
        topic: "cloud".into(),
        owner: " 7 ".into(),
        overdue: "1".into(),
        ..ListQuery::default()
    };
    let filtered = view(&q, 2);
    assert!(filtered.filtered);
    assert!(filtered.overdue_only);
    assert_eq!(selected(&filtered.tier_choices), ["B"]);
    assert_eq!(selected(&filtered.topic_choices), ["cloud"]);
    assert_eq!(selected(&filtered.owner_choices), ["7"]);

    let nobody = ListQuery {
        owner: "0".into(),
        ..ListQuery::default()
    };
    assert_eq!(selected(&view(&nobody, 2).owner_choices), ["0"]);
}

#[test]
fn the_reassign_form_offers_every_possible_owner_with_none_chosen() {
    let page = view(&ListQuery::default(), 2);
    let to: Vec<_> = page
        .reassign_to
        .iter()
        .map(|c| (c.value.as_str(), c.label.as_str(), c.selected))
        .collect();
    assert_eq!(to, [("7", "sam", false), ("9", "kim", false)]);
}

#[test]
fn the_last_finished_build_says_when_and_by_whom_in_the_event_zone() {
    let page = view(&ListQuery::default(), 2);
    assert_eq!(
        page.built.as_deref(),
        Some("built 2026-05-20 10:00 (Europe/Berlin) by alice")
    );
    let tz = TimeZone::get("Europe/Berlin").unwrap();
    assert_eq!(built_words(build(None), &tz), None);
}

#[test]
fn lead_lines_show_deadlines_in_the_event_zone_and_flag_the_overdue() {
    let page = view(&ListQuery::default(), 2);
    assert_eq!(page.lines.len(), 2);
    assert_eq!(page.lines[0].due, "2026-05-20 10:00");
    assert!(page.lines[0].overdue);
    assert_eq!(page.lines[1].due, "");
    assert!(!page.lines[1].overdue);
    assert_eq!(page.lines[0].stage, "4. look for suppliers");
    assert_eq!(page.lines[0].score, "81");
    assert_eq!(page.heads[8].label, "Deadline (Europe/Berlin)");
}

#[test]
fn answers_to_the_build_and_reassign_buttons_are_worded_for_what_happened() {
    assert_eq!(
        build_answer("started"),
        Some(("The lead build started.", false))
    );
    assert!(matches!(build_answer("running"), Some((_, true))));
    assert_eq!(build_answer(""), None);
    assert_eq!(
        moved_words(1),
        "1 lead re-assigned, each with a new feedback deadline."
    );
    assert_eq!(
        moved_words(3),
        "3 leads re-assigned, each with a new feedback deadline."
    );
    let q = ListQuery {
        build: "running".into(),
        moved: Some(2),
        ..ListQuery::default()
    };
    let page = view(&q, 2);
    assert_eq!(page.build_answer.map(|(_, refused)| refused), Some(true));
    assert_eq!(
        page.moved.as_deref(),
        Some("2 leads re-assigned, each with a new feedback deadline.")
    );
    assert_eq!(
        (page.slug.as_str(), page.event_name.as_str()),
        ("devconf", "DevConf")
    );
}
