//! Lead pages on both backends: the marketer list (counts, filters, paging, overdue), the
//! lead package, sales' own leads and append-only feedback, the report and the insight.

use badgetrail::domain::leads::package::Tier;
use badgetrail::domain::{leads::insight, user::Role};
use jiff::Timestamp;
use serde_json::json;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    forms::extract_csrf,
    staff::{get, listed, signed_in},
    stored_leads::{Fixture, finish_build, fixture, people, record_outcomes},
};

crate::on_both_backends!(
    marketers_see_tier_counts_filters_pages_and_overdue_leads,
    staff_and_sales_are_kept_out_of_marketer_pages,
    the_package_page_shows_the_whole_package_escaped,
    sales_see_only_their_own_leads_and_append_feedback,
    the_report_matches_hand_computed_numbers,
    the_insight_page_reads_the_latest_finished_build,
    at_the_same_deadline_a_salesperson_sees_tier_a_before_tier_b,
);

fn ids(f: &Fixture, people: &[usize]) -> Vec<i64> {
    people.iter().map(|i| f.ids[*i]).collect()
}

/// The text of each `<strong class="tier-count">` in order.
fn tier_counts(html: &str) -> Vec<String> {
    html.split("<strong class=\"tier-count\">")
        .skip(1)
        .map(|r| r.split('<').next().unwrap().to_owned())
        .collect()
}

async fn marketers_see_tier_counts_filters_pages_and_overdue_leads(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 52).await;
    app.login_as(Role::Marketer).await;
    let base = format!("/admin/events/{}/leads", f.slug);
    let row = format!("{base}/");
    let (status, html) = get(&app.client, &app, &base).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(tier_counts(&html), ["2", "2", "54", "2"]);
    assert!(html.contains("id=\"overdue-count\">2<"), "{html}");
    assert!(html.contains("60 matching leads"));
    assert!(html.contains("built "), "the build is named: {html}");
    // Best first: tier, then score; 50 to a page.
    let first = listed(&html, &row);
    assert_eq!(first.len(), 50);
    assert_eq!(first[..6], ids(&f, &[0, 1, 2, 3, 4, 5])[..]);
    assert_eq!(
        html.matches("<tr class=\"late\">").count(),
        2,
        "Ada and Dee"
    );
    assert!(html.contains("<strong class=\"overdue\">Overdue</strong>"));
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&#60;script&#62;alert"), "{html}");
    assert!(html.contains("Page 1 of 2"));

    let (_, html) = get(&app.client, &app, &format!("{base}?page=1")).await;
    let second = listed(&html, &row);
    assert_eq!(second.len(), 10);
    assert_eq!(second[8..], ids(&f, &[6, 7])[..], "tier X last");
    assert!(first.iter().all(|id| !second.contains(id)));
    assert!(html.contains("Page 2 of 2"));

    for (query, expected) in [
        ("tier=A", vec![0, 1]),
        ("topic=ai", vec![1, 3]),
        (&format!("owner={}", f.sally), vec![0, 2, 3]),
        (&format!("owner={}", f.sam), vec![1]),
        ("overdue=1", vec![0, 3]),
        ("tier=B&overdue=1", vec![3]),
        ("tier=a&topic=big-data", vec![0]),
    ] {
        let (status, html) = get(&app.client, &app, &format!("{base}?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(listed(&html, &row), ids(&f, &expected), "{query}");
    }
    let (_, html) = get(&app.client, &app, &format!("{base}?owner=0")).await;
    assert!(html.contains("56 matching leads"), "not routed: {html}");
    let (_, html) = get(&app.client, &app, &format!("{base}?owner=0&page=1")).await;
    assert_eq!(listed(&html, &row).len(), 6);
    let (status, _) = get(&app.client, &app, &format!("{base}?tier=D")).await;
    assert_eq!(status, 400);
    let (status, _) = get(&app.client, &app, "/admin/events/no-such-event/leads").await;
    assert_eq!(status, 404);

    let (_, html) = get(&app.client, &app, &format!("/admin/events/{}", f.slug)).await;
    assert!(html.contains(&format!("href=\"{base}\"")), "{html}");
}

async fn staff_and_sales_are_kept_out_of_marketer_pages(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (staff, _) = signed_in(&app, "stan", Role::Staff).await;
    let (sally, _) = signed_in(&app, "sally", Role::Sales).await;
    let base = format!("/admin/events/{}/leads", f.slug);
    let ada = f.ids[0];
    for path in [
        base.clone(),
        format!("{base}/{ada}"),
        format!("{base}/report"),
        format!("{base}/report.json"),
        format!("{base}/insight"),
    ] {
        assert_eq!(get(&staff, &app, &path).await.0, 403, "staff: {path}");
        assert_eq!(get(&sally, &app, &path).await.0, 403, "sales: {path}");
    }
    for path in [
        "/sales/leads".to_owned(),
        format!("/sales/leads/{}/{ada}", f.slug),
    ] {
        assert_eq!(get(&staff, &app, &path).await.0, 403, "staff: {path}");
    }
    let (_, html) = get(&staff, &app, &format!("/admin/events/{}", f.slug)).await;
    assert!(
        !html.contains(&format!("href=\"{base}\"")),
        "no link staff cannot follow"
    );
    // Signed out: the login page.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous.get(app.url("/sales/leads")).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

async fn the_package_page_shows_the_whole_package_escaped(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 1).await;
    app.login_as(Role::Marketer).await;
    let base = format!("/admin/events/{}/leads", f.slug);
    let r = app.get(&format!("{base}/{}", f.ids[0])).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"));
    let html = r.text().await.unwrap();
    for expected in [
        "Ada Lovelace",
        "Tier A",
        "hand to sales now",
        "<th scope=\"row\">Role in the decision</th><td>decision maker</td>",
        "cutting cost and raising efficiency",
        "Big data and analytics, 3 sessions, 2h10",
        "<td>88</td>",
        "Lakehouse architectures in practice",
        "<td>workshop</td><td>1h25</td>",
        "3 sessions, 2h10 in all",
        "Software and internet",
        "51-200",
        "We are looking for suppliers",
        "AI and machine learning",
        "<a href=\"https://example.com/lakehouse\" rel=\"noopener noreferrer\">Lakehouse starter kit</a>",
        "<td>fit</td><td>Decision role</td><td>decision maker</td><td>+30</td>",
        "<td>engagement</td><td>Minutes in big-data sessions</td><td>130</td><td>+25</td>",
        "Score <strong>91</strong>",
        "fit <strong>70</strong>",
        "engagement <strong>80</strong>",
        "stage <strong>65</strong>",
        "Tier A: decision maker (+30), 130 minutes of big data (+25).",
        "Owner: <strong>sally</strong> (region EMEA, industry software)",
        "Overdue: no feedback recorded by the deadline",
        "No feedback recorded yet.",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
    // A content link that is not a web address is shown, never linked; markup is escaped.
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&#60;img src=x onerror=alert(2)&#62; case"));
    assert!(!html.contains("<script"), "no script on the page");

    let (_, html) = get(&app.client, &app, &format!("{base}/{}", f.ids[1])).await;
    assert!(!html.contains("<script>alert"));
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; Bob"),
        "{html}"
    );
    assert!(!html.contains("Overdue: no feedback"), "due later");

    // A lead without a readable package still opens, from what the lead row holds.
    let (status, html) = get(&app.client, &app, &format!("{base}/{}", f.ids[9])).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("could not be read") && html.contains("Filler 00"),
        "{html}"
    );

    let (status, _) = get(&app.client, &app, &format!("{base}/{}", f.ids[8])).await;
    assert_eq!(status, 404, "Ivy has no lead");
    let (status, _) = get(&app.client, &app, &format!("{base}/999999")).await;
    assert_eq!(status, 404);
}

/// Posts the feedback form of a lead with `csrf` (None: no token at all).
async fn post_feedback(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: Option<&str>,
    outcome: &str,
    note: &str,
) -> reqwest::Response {
    let mut form = vec![("outcome", outcome), ("note", note)];
    if let Some(c) = csrf {
        form.push(("csrf", c));
    }
    client
        .post(app.url(&format!("{path}/feedback")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn sales_see_only_their_own_leads_and_append_feedback(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (sally, _) = signed_in(&app, "sally", Role::Sales).await;
    let (sam, _) = signed_in(&app, "sam", Role::Sales).await;
    let row = format!("/sales/leads/{}/", f.slug);
    let (ada, bob) = (f.ids[0], f.ids[1]);

    // Own leads only, awaiting feedback first, soonest deadline first.
    let (status, html) = get(&sally, &app, "/sales/leads").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&html, &row), ids(&f, &[0, 3, 2]));
    assert!(
        html.contains("<span id=\"overdue-count\">2</span> overdue"),
        "{html}"
    );
    assert!(!html.contains("Bob"), "not sally's lead");
    let (_, html) = get(&sam, &app, "/sales/leads").await;
    assert_eq!(listed(&html, &row), vec![bob]);

    // Another owner's lead does not exist for sally, to read or to write.
    let (status, _) = get(&sally, &app, &format!("{row}{bob}")).await;
    assert_eq!(status, 404);
    let (status, html) = get(&sally, &app, &format!("{row}{ada}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"outcome\" value=\"meeting_booked\""));
    assert!(html.contains("Ada Lovelace"));
    let csrf = extract_csrf(&html);
    let r = post_feedback(&sally, &app, &format!("{row}{bob}"), Some(&csrf), "won", "").await;
    assert_eq!(r.status(), 404);
    let store = &app.ctx.store;
    assert!(
        store
            .leads()
            .lead_feedback(f.event.id, bob)
            .await
            .unwrap()
            .is_empty()
    );

    // No token, or somebody else's: refused, nothing written.
    let ada_path = format!("{row}{ada}");
    let r = post_feedback(&sally, &app, &ada_path, None, "contacted", "").await;
    assert_eq!(r.status(), 403);
    let forged = "A".repeat(43);
    let r = post_feedback(&sally, &app, &ada_path, Some(&forged), "contacted", "").await;
    assert_eq!(r.status(), 403);
    let r = post_feedback(&sally, &app, &ada_path, Some(&csrf), "maybe", "").await;
    assert_eq!(r.status(), 400);
    assert!(
        store
            .leads()
            .lead_feedback(f.event.id, ada)
            .await
            .unwrap()
            .is_empty()
    );

    // Each outcome is appended; the newest is the lead's latest feedback.
    let r = post_feedback(
        &sally,
        &app,
        &ada_path,
        Some(&csrf),
        "contacted",
        "Called, <b>keen</b>",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("{ada_path}?recorded=1"));
    let r = post_feedback(&sally, &app, &ada_path, Some(&csrf), "Meeting booked", "").await;
    assert_eq!(r.status(), 303);
    let history = store.leads().lead_feedback(f.event.id, ada).await.unwrap();
    let outcomes: Vec<&str> = history.iter().map(|h| h.outcome.as_str()).collect();
    assert_eq!(outcomes, ["meeting_booked", "contacted"]);
    assert!(history.iter().all(|h| h.user_id == f.sally));
    assert_eq!(history[1].note, "Called, <b>keen</b>");

    let (_, html) = get(&sally, &app, &format!("{ada_path}?recorded=1")).await;
    assert!(html.contains("Your feedback was recorded."));
    let (newer, older) = (
        html.find("<td>Meeting booked</td>").unwrap(),
        html.find("<td>Contacted</td>").unwrap(),
    );
    assert!(newer < older, "newest first");
    assert!(
        html.contains("Called, &#60;b&#62;keen&#60;/b&#62;"),
        "{html}"
    );
    assert!(!html.contains("Overdue: no feedback"));

    // Answered leads move below those still waiting.
    let (_, html) = get(&sally, &app, "/sales/leads").await;
    assert_eq!(listed(&html, &row), ids(&f, &[3, 2, 0]));
    assert!(html.contains("<span id=\"overdue-count\">1</span> overdue"));
    assert!(html.contains("Meeting booked ("));

    // Marketers see everything, including the history, but write only on their own leads.
    app.login_as(Role::Marketer).await;
    let admin = format!("/admin/events/{}/leads", f.slug);
    let (_, html) = get(&app.client, &app, &admin).await;
    assert!(html.contains("id=\"overdue-count\">1<"), "{html}");
    assert!(html.contains("Meeting booked ("));
    let (_, html) = get(&app.client, &app, &format!("{admin}/{ada}")).await;
    assert!(html.contains("<td>Meeting booked</td>") && html.contains("<td>Contacted</td>"));
    assert!(html.contains("sally display"));
    let (status, html) = get(&app.client, &app, &format!("{row}{bob}")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("name=\"outcome\""),
        "not their lead: no form"
    );
    let csrf = extract_csrf(&html);
    let r = post_feedback(
        &app.client,
        &app,
        &format!("{row}{bob}"),
        Some(&csrf),
        "won",
        "",
    )
    .await;
    assert_eq!(r.status(), 404);
    assert!(
        store
            .leads()
            .lead_feedback(f.event.id, bob)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_report_matches_hand_computed_numbers(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    record_outcomes(&app, &f).await;
    app.login_as(Role::Marketer).await;
    let base = format!("/admin/events/{}/leads/report", f.slug);

    // By hand from stored_leads::PEOPLE: 9 registered, 7 scanned in (Fay and Hal not);
    // 8 leads, two per tier; engaged = scanned in with a topic: Ada, Bob, Cy, Dee, Eve;
    // latest outcomes: Ada won, Bob meeting booked, Cy not a fit; Dee overdue.
    let pct = |part: f64, whole: f64| part * 100.0 / whole;
    let expected = json!({
        "leads": 8,
        "by_tier": [
            { "tier": "A", "leads": 2, "percent": 25.0 },
            { "tier": "B", "leads": 2, "percent": 25.0 },
            { "tier": "C", "leads": 2, "percent": 25.0 },
            { "tier": "X", "leads": 2, "percent": 25.0 },
        ],
        "by_topic": [
            { "topic": "big-data", "leads": 3, "by_tier": [1, 1, 1, 0] },
            { "topic": "ai", "leads": 2, "by_tier": [1, 1, 0, 0] },
            { "topic": "video-cloud", "leads": 1, "by_tier": [0, 0, 1, 0] },
            { "topic": "", "leads": 2, "by_tier": [0, 0, 0, 2] },
        ],
        "acceptance": {
            "routed": 4, "with_feedback": 3, "awaiting": 1, "overdue": 1,
            "accepted": 2, "not_a_fit": 1, "won": 1,
            "acceptance_percent": pct(2.0, 3.0),
            "by_outcome": [
                ["contacted", 0], ["meeting_booked", 1], ["buying_within_year", 0],
                ["need_unclear", 0], ["lost_to_competitor", 0], ["not_a_fit", 1], ["won", 1],
            ],
        },
        "conversion_percent": pct(1.0, 6.0),
        "funnel": [
            { "step": "registered", "people": 9, "percent": 100.0 },
            { "step": "checked in", "people": 7, "percent": pct(7.0, 9.0) },
            { "step": "engaged", "people": 5, "percent": pct(5.0, 9.0) },
            { "step": "tiered", "people": 5, "percent": pct(5.0, 9.0) },
            { "step": "accepted", "people": 2, "percent": pct(2.0, 9.0) },
            { "step": "won", "people": 1, "percent": pct(1.0, 9.0) },
        ],
    });
    let r = app.get(&format!("{base}.json")).await;
    assert_eq!(r.status(), 200);
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(got, expected);

    let r = app.get(&base).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<svg").count(), 3, "tier mix, topics, funnel");
    assert!(!html.contains("<script"));
    for expected in [
        "<strong id=\"lead-total\">8</strong>",
        "<strong id=\"acceptance\">66.7%</strong>",
        "<strong id=\"won\">1</strong> (16.7% of tiered leads)",
        "<th scope=\"row\">checked in</th><td class=\"num\">7</td><td class=\"num\">77.8%</td>",
        "<th scope=\"row\">engaged</th><td class=\"num\">5</td>",
        "<th scope=\"row\">won</th><td class=\"num\">1</td><td class=\"num\">11.1%</td>",
        "<th scope=\"row\">A (hand to sales now)</th><td class=\"num\">2</td><td class=\"num\">25.0%</td>",
        "<th scope=\"row\">Big data and analytics</th><td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>",
        "<th scope=\"row\">(no topic)</th><td class=\"num\">2</td>",
        "<th scope=\"row\">Not a fit</th><td class=\"num\">1</td><td class=\"num\">33.3%</td>",
        "<th scope=\"row\">Overdue</th><td class=\"num\">1</td>",
        // Chart bars carry their numbers.
        ">2 (25.0%)</text>",
        ">7 (77.8%)</text>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
}

async fn the_insight_page_reads_the_latest_finished_build(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = people(&app, 0).await;
    app.login_as(Role::Marketer).await;
    let page = format!("/admin/events/{}/leads/insight", f.slug);
    let (status, html) = get(&app.client, &app, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("No lead build has run yet"), "{html}");

    // By hand from PEOPLE's sessions: 5 attendees with topics; big-data 3, ai 2,
    // databases 2, video-cloud 1, caching 1. Lift(caching, video) = 1*5/(1*1) = 5;
    // lift(big-data, databases) = 2*5/(3*2) = 1.67; lift(ai, big-data) = 1*5/(2*3) = 0.83.
    finish_build(&app, &f.event, &f.leads, &f.insight).await;
    let (_, html) = get(&app.client, &app, &page).await;
    assert!(
        html.contains("<strong id=\"insight-attendees\">5</strong>"),
        "{html}"
    );
    let rows = [
        "<td>Caching and CDN</td><td>Video cloud and streaming</td><td class=\"num\">1</td><td class=\"num\">20.0%</td><td class=\"num\">100.0%</td><td class=\"num\"><strong>5.00</strong></td>",
        "<td>Big data and analytics</td><td>Managed databases</td><td class=\"num\">2</td><td class=\"num\">40.0%</td><td class=\"num\">66.7%</td><td class=\"num\"><strong>1.67</strong></td>",
        "<td>Managed databases</td><td>Big data and analytics</td><td class=\"num\">2</td><td class=\"num\">40.0%</td><td class=\"num\">100.0%</td><td class=\"num\"><strong>1.67</strong></td>",
        "<td>AI and machine learning</td><td>Big data and analytics</td><td class=\"num\">1</td><td class=\"num\">20.0%</td><td class=\"num\">50.0%</td><td class=\"num\">0.83</td>",
    ];
    let at: Vec<usize> = rows
        .iter()
        .map(|r| {
            html.find(r)
                .unwrap_or_else(|| panic!("missing {r} in {html}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sorted by lift: {at:?}");
    assert!(html.contains(
        "People interested in Big data and analytics are 1.7 times as likely as the average attendee to be interested in Managed databases (66.7% of them are, 2 people)."
    ));
    assert!(
        !html.contains("People who attended Caching"),
        "one person is no signal"
    );
    // Matrix: big-data's own audience on the diagonal, 2 in common with databases.
    assert!(
        html.contains("<th scope=\"row\">Big data and analytics</th><td class=\"self\">3</td>"),
        "{html}"
    );

    // A failed later build does not hide the finished one.
    let store = &app.ctx.store;
    let failed = store
        .leads()
        .start_lead_build(f.event.id, "marketer-user", Timestamp::now())
        .await
        .unwrap();
    store
        .leads()
        .fail_lead_build(failed, "boom", Timestamp::now())
        .await
        .unwrap();
    let (_, html) = get(&app.client, &app, &page).await;
    assert!(html.contains("<strong id=\"insight-attendees\">5</strong>"));

    // A newer build's insight replaces it; its names are escaped.
    let odd = insight::insight(
        &[
            ("x".to_owned(), "<script>alert(9)</script>".to_owned()),
            ("y".to_owned(), "Y & Co".to_owned()),
        ],
        vec![vec!["x", "y"], vec!["x"], vec!["y"]],
        1,
    );
    finish_build(&app, &f.event, &f.leads, &odd).await;
    let (_, html) = get(&app.client, &app, &page).await;
    assert!(html.contains("<strong id=\"insight-attendees\">3</strong>"));
    assert!(!html.contains("<script>alert(9)"));
    assert!(
        html.contains("&#60;script&#62;alert(9)&#60;/script&#62;") && html.contains("Y &#38; Co"),
        "{html}"
    );
}

async fn at_the_same_deadline_a_salesperson_sees_tier_a_before_tier_b(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let mut f = people(&app, 0).await;
    // Every lead Sally owns is due at the same moment, and her first lead by attendee id is
    // a B, her last an A: ordered by id alone, the B would come first.
    let due = Timestamp::now().as_millisecond() + 3_600_000;
    let mut hers: Vec<&mut badgetrail::store::StoredLead> = f
        .leads
        .iter_mut()
        .filter(|l| l.owner_id == Some(f.sally))
        .collect();
    hers.sort_by_key(|l| l.attendee_id);
    assert!(hers.len() >= 2);
    for l in hers.iter_mut() {
        l.due_at = Some(due);
    }
    hers.first_mut().unwrap().tier = Tier::B;
    hers.last_mut().unwrap().tier = Tier::A;
    finish_build(&app, &f.event, &f.leads, &f.insight).await;
    let (lines, total, _) = app
        .ctx
        .store
        .leads()
        .owned_lead_page(f.sally, Timestamp::now().as_millisecond(), 50, 0)
        .await
        .unwrap();
    let tiers: Vec<&str> = lines.iter().map(|l| l.line.tier.as_str()).collect();
    assert!(total >= 2 && tiers.len() as i64 == total, "{tiers:?}");
    assert!(tiers.contains(&"A") && tiers.contains(&"B"), "{tiers:?}");
    let mut sorted = tiers.clone();
    sorted.sort_unstable();
    assert_eq!(tiers, sorted, "tier A first at the same deadline");
}
