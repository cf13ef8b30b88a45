//! A campaign's steps on pages of their own, on both backends: the step bar, topic names,
//! read-only content as text once started, the reasons for exclusions kept after the start,
//! no raw list headers for marketers, no start button for nobody, and the report's rates.

use badgetrail::{domain::user::Role, jobs::edm_send, store::EventRecord};
use jiff::Timestamp;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    campaign::{CAMPAIGN_FILE, audience, campaign},
};

crate::on_both_backends!(
    each_step_has_a_page_of_its_own_with_the_step_bar,
    after_the_start_the_reasons_stay_and_the_content_reads_as_text,
    the_report_gives_rates_of_queued_and_delivered,
    a_campaign_with_nobody_to_send_to_has_no_enabled_start_button,
);

async fn get(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

fn base(event: &EventRecord) -> String {
    format!("/admin/events/{}/campaigns/after", event.info.slug)
}

async fn each_step_has_a_page_of_its_own_with_the_step_bar(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, ids) = audience(&app).await;
    campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let page = base(&event);

    let overview = get(&app, &page).await;
    assert!(overview.contains("Who it reaches"), "{overview}");
    assert!(
        overview.contains("5 recipients, 2 left out"),
        "the overview sums up each step: {overview}"
    );
    for (step, words) in [
        ("audience", "Audience if started now"),
        ("content", "Add content"),
        ("preview", "Whose email to see"),
        ("send", "Start sending to 5 recipients<"),
        ("report", "No report yet"),
    ] {
        let html = get(&app, &format!("{page}/{step}")).await;
        assert!(html.contains(words), "{step}: {html}");
        assert!(
            html.contains(&format!("href=\"{page}/{step}\" aria-current=\"step\"")),
            "{step} is marked on the step bar: {html}"
        );
        assert_eq!(html.matches("aria-current=\"step\"").count(), 1, "{step}");
    }

    // Topic names, not slugs, wherever a marketer reads a topic.
    let html = get(&app, &format!("{page}/audience")).await;
    assert!(html.contains("<td>Big data and analytics</td>"), "{html}");
    assert!(!html.contains("<td>big-data</td>"), "{html}");
    let html = get(&app, &format!("{page}/content")).await;
    assert!(html.contains("Big data and analytics, tier A"), "{html}");
    assert!(html.contains("General, every tier"), "{html}");

    // The preview names the content by topic and shows no raw list headers.
    let html = get(&app, &format!("{page}/preview?who={}", ids[0])).await;
    assert!(html.contains("Big data and analytics, tier A"), "{html}");
    assert!(!html.contains("List-Id"), "{html}");
    assert!(!html.contains("List-Unsubscribe"), "{html}");
    assert!(!html.contains("mailto:"), "{html}");
}

async fn after_the_start_the_reasons_stay_and_the_content_reads_as_text(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = audience(&app).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let page = base(&event);
    let queued = badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(queued, 5);
    edm_send::run_once(&app.ctx).await.unwrap();

    for step in ["audience", "send"] {
        let html = get(&app, &format!("{page}/{step}")).await;
        assert!(html.contains("Audience when it started"), "{step}: {html}");
        assert!(
            html.contains("<strong>5</strong> recipients, <strong>2</strong> excluded"),
            "{step}: {html}"
        );
        assert!(html.contains("no marketing consent"), "{step}: {html}");
        assert!(
            html.contains("tier excluded from this campaign"),
            "{step}: {html}"
        );
    }

    // Fixed content is text, not inputs.
    let html = get(&app, &format!("{page}/content")).await;
    assert!(!html.contains("name=\"subject\""), "{html}");
    assert!(!html.contains("readonly"), "{html}");
    assert!(html.contains("<dt>Subject</dt>"), "{html}");
    assert!(!html.contains("Add content"), "{html}");

    // Times name the event's zone.
    let html = get(&app, &format!("{page}/send")).await;
    let zone = format!("({})", event.info.time_zone);
    assert!(html.contains("Started 20"), "{html}");
    assert!(html.contains(&zone), "{zone}: {html}");
    assert!(
        !html.contains("/start\""),
        "no start form once started: {html}"
    );
}

async fn the_report_gives_rates_of_queued_and_delivered(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, ids) = audience(&app).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let now = Timestamp::now();
    badgetrail::edm::start(&app.ctx, &c, now).await.unwrap();
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 5);
    let store = &app.ctx.store;
    let ledger = store.campaigns().campaign_ledger(c.id).await.unwrap();
    let send = |who: i64| ledger.iter().find(|r| r.attendee_id == who).unwrap().id;
    // Ada opens; Bob clicks (a click is an open too); Cy unsubscribes.
    store
        .campaigns()
        .record_engagement(send(ids[0]), None, now)
        .await
        .unwrap();
    store
        .campaigns()
        .record_engagement(send(ids[1]), Some("https://example.com/"), now)
        .await
        .unwrap();
    store
        .campaigns()
        .unsubscribe_send(send(ids[2]), now)
        .await
        .unwrap();

    let html = get(&app, &format!("{}/report", base(&event))).await;
    for (id, rate) in [
        ("total-queued", "5"),
        ("rate-delivered", "100.0%"),
        ("rate-opened", "40.0%"),
        ("rate-clicked", "20.0%"),
        ("rate-unsubscribed", "20.0%"),
        ("rate-bounced", "0.0%"),
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\">{rate}<")),
            "{id} {rate}: {html}"
        );
    }
    assert!(html.contains("<svg"), "a chart: {html}");
    assert!(html.contains("Opened, of delivered"), "{html}");
    // By topic, with names: Ada's and Bob's big-data rows, one opened each.
    assert!(
        html.contains("<td>Big data and analytics</td><td>tier A</td>"),
        "{html}"
    );
    assert!(html.contains("<td>General content</td>"), "{html}");
}

async fn a_campaign_with_nobody_to_send_to_has_no_enabled_start_button(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // No leads and nobody registered: nobody is in the audience.
    let event = app.seed_event().await;
    campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let html = get(&app, &format!("{}/send", base(&event))).await;
    assert!(!html.contains("Start sending"), "{html}");
    assert!(!html.contains("<button type=\"submit\">"), "{html}");
    assert!(
        html.contains("disabled id=\"no-recipients\" class=\"secondary\""),
        "{html}"
    );
}
