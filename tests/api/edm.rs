//! Follow-up email campaigns over HTTP on both backends: the marketer pages, audience and
//! exclusions, preview escaping, one-click unsubscribe, tracking links, returned mail.

use badgetrail::{
    domain::{campaigns::link::TEST_SEND, user::Role},
    jobs::edm_send,
    store::EventRecord,
};
use jiff::Timestamp;

use crate::support::{
    app::{Db, TestApp, demo_event, spawn_app, spawn_app_with},
    campaign::{CAMPAIGN_FILE, audience, campaign, dsn, form, new_campaign, register},
    staff::signed_in,
};

crate::on_both_backends!(
    a_marketer_builds_a_campaign_and_sees_who_gets_what,
    a_script_in_a_name_is_escaped_in_the_preview,
    one_click_unsubscribe_needs_no_login_and_a_get_never_unsubscribes,
    tracking_links_record_engagement_and_refuse_tampering,
    returned_mail_needs_the_token_and_suppresses_bounces,
    pause_resume_and_cancel_follow_the_life_cycle,
    only_messages_whose_lease_ran_out_count_as_abandoned,
    the_demo_sends_follow_up_emails_to_the_outbox,
    a_campaign_with_nobody_to_send_to_offers_no_start_button,
);

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_marketer_builds_a_campaign_and_sees_who_gets_what(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, ids) = audience(&app).await;
    let slug = event.info.slug.to_string();
    app.login_as(Role::Marketer).await;
    let page = new_campaign(&app, &slug, "After the summit", "after").await;

    // A broken template is refused with its place, and changes nothing.
    let r = form(
        &app,
        &page,
        &format!("{page}/content"),
        &[
            ("topic", "ai"),
            ("tier", ""),
            ("subject", "{{ first_name"),
            ("body", "x"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("ai, every tier, subject"));

    let (status, html) = get_text(&app, &format!("{page}/audience")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<strong>5</strong> recipients, <strong>2</strong> excluded"),
        "{html}"
    );
    assert!(html.contains("no marketing consent"), "{html}");
    assert!(html.contains("tier excluded from this campaign"), "{html}");
    let (status, html) = get_text(&app, &format!("{page}/content")).await;
    assert_eq!(status, 200);
    assert!(html.contains("AI at scale"), "content is listed: {html}");

    // The same summary from the library, by topic and tier.
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, "after")
        .await
        .unwrap()
        .unwrap();
    let view = badgetrail::edm::audience(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    let s = &view.summary;
    assert_eq!(s.by_topic["big-data"], 2);
    assert_eq!(s.by_topic["ai"], 1);
    assert_eq!(s.by_topic["general"], 2, "fay (no lead) and gil (security)");

    // Any attendee can be previewed; the tier-A variant wins for Ada.
    let (status, html) = get_text(&app, &format!("{page}/preview?who=ada@example.com")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Ada, a call about your data platform?"),
        "{html}"
    );
    assert!(html.contains("Big data and analytics, tier A"), "{html}");
    let (status, html) = get_text(&app, &format!("{page}/preview?who={}", ids[3])).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("not in the audience: no marketing consent"),
        "{html}"
    );
    let (status, html) = get_text(&app, &format!("{page}/preview.html?who={}", ids[6])).await;
    assert_eq!(status, 200);
    assert!(html.contains("Hello Gil, see you next year."), "{html}");

    // A test send of Ada's email goes to the given address, with links that touch nobody.
    let r = form(
        &app,
        &page,
        &format!("{page}/test-send"),
        &[
            ("who", &ids[0].to_string()),
            ("address", "marketer@example.org"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let sent: Vec<_> = std::fs::read_dir(app.outbox())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sent.len(), 1);
    let raw = std::fs::read(&sent[0]).unwrap();
    let test = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        test.to().unwrap().first().unwrap().address(),
        Some("marketer@example.org")
    );
    assert_eq!(
        test.subject(),
        Some("Ada, a call about your data platform?")
    );
    let unsubscribe = crate::support::campaign::list_unsubscribe_url(
        test.header_raw("List-Unsubscribe").unwrap(),
        "http",
    );
    let token = unsubscribe.rsplit('/').next().unwrap();
    assert_eq!(
        app.ctx.edm.signer.verify_unsubscribe(token),
        Some(TEST_SEND)
    );

    // The campaign file round-trips through the download.
    let (status, toml) = get_text(&app, &format!("{page}/campaign.toml")).await;
    assert_eq!(status, 200);
    assert!(toml.contains("a call about your data platform"), "{toml}");

    // Staff at the door have no business here.
    let (staff, _) = signed_in(&app, "staff-other", Role::Staff).await;
    let r = staff.get(app.url(&page)).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

async fn a_script_in_a_name_is_escaped_in_the_preview(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let name = "<script>alert(1)</script> O'Brien & \"Co\"";
    let ids = register(&app, &event, &[(name, "bobby@example.com", true)]).await;
    campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let page = format!("/admin/events/{}/campaigns/after", event.info.slug);
    for path in [
        format!("{page}/preview?who={}", ids[0]),
        format!("{page}/preview.html?who={}", ids[0]),
    ] {
        let (status, html) = get_text(&app, &path).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)") || html.contains("&#60;script&#62;alert(1)"),
            "{path}: {html}"
        );
    }
}

async fn started(app: &TestApp) -> (EventRecord, Vec<i64>, badgetrail::store::CampaignRecord) {
    let (event, ids) = audience(app).await;
    let c = campaign(app, &event, "after", CAMPAIGN_FILE).await;
    let queued = badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(queued, 5);
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign(c.id)
        .await
        .unwrap()
        .unwrap();
    (event, ids, c)
}

async fn one_click_unsubscribe_needs_no_login_and_a_get_never_unsubscribes(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (_, ids, c) = started(&app).await;
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    let bob = ledger.iter().find(|r| r.attendee_id == ids[1]).unwrap();
    let token = app.ctx.edm.signer.unsubscribe_token(bob.id);

    // A fresh client: no cookies, no CSRF token, no login.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous
        .get(app.url(&format!("/u/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Unsubscribe from marketing email?"), "{html}");
    assert!(
        html.contains("b***@example.com"),
        "the address is masked: {html}"
    );
    assert!(
        app.ctx
            .store
            .campaigns()
            .suppressions_of("bob@example.com")
            .await
            .unwrap()
            .is_empty()
    );

    let r = anonymous
        .post(app.url(&format!("/u/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no redirect");
    assert!(r.text().await.unwrap().contains("You are unsubscribed"));
    assert_eq!(
        app.ctx
            .store
            .campaigns()
            .suppressions_of("bob@example.com")
            .await
            .unwrap(),
        vec!["unsubscribed"]
    );
    let consents = app
        .ctx
        .store
        .attendees()
        .attendee_consents(ids[1])
        .await
        .unwrap();
    let last = consents.last().unwrap();
    assert!(
        !last.granted && last.source == "unsubscribe",
        "{consents:?}"
    );
    // Repeating it is harmless.
    let again = anonymous
        .post(app.url(&format!("/u/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        app.ctx
            .store
            .attendees()
            .attendee_consents(ids[1])
            .await
            .unwrap()
            .len(),
        consents.len()
    );

    // Tampered and test tokens.
    let mut bad = token.clone();
    bad.replace_range(0..1, if bad.starts_with('A') { "B" } else { "A" });
    let r = anonymous
        .post(app.url(&format!("/u/{bad}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let test = app.ctx.edm.signer.unsubscribe_token(TEST_SEND);
    let r = anonymous
        .post(app.url(&format!("/u/{test}")))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("This was a test message"));

    // The unsubscribe took effect before Bob's message went out.
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!((run.sent, run.skipped), (4, 1), "{run:?}");
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    let bob = ledger.iter().find(|r| r.attendee_id == ids[1]).unwrap();
    assert_eq!(bob.state, "skipped");
    assert_eq!(
        app.ctx
            .store
            .campaigns()
            .campaign(c.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "done"
    );
    let report = app
        .ctx
        .store
        .campaigns()
        .campaign_report(c.id)
        .await
        .unwrap();
    let unsubscribed: i64 = report.iter().map(|l| l.unsubscribed).sum();
    assert_eq!(unsubscribed, 1);
}

async fn tracking_links_record_engagement_and_refuse_tampering(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (_, ids, c) = started(&app).await;
    edm_send::run_once(&app.ctx).await.unwrap();
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    let ada = ledger.iter().find(|r| r.attendee_id == ids[0]).unwrap();
    assert_eq!(ada.state, "sent");
    let signer = &app.ctx.edm.signer;
    let url = "https://example.com/book";

    let r = app
        .get(&format!("/t/o/{}", signer.open_token(ada.id)))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");

    let click = format!(
        "/t/c/{}?u={}",
        signer.click_token(ada.id, url),
        badgetrail::web::error::urlencode(url)
    );
    let r = app.get(&click).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], url);

    // Another target with the same token is refused: no open redirect.
    let evil = format!(
        "/t/c/{}?u={}",
        signer.click_token(ada.id, url),
        badgetrail::web::error::urlencode("https://evil.example/phish")
    );
    let r = app.get(&evil).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let r = app
        .get(&format!("/t/o/{}", signer.unsubscribe_token(ada.id)))
        .await;
    assert_eq!(r.status(), 404, "a token of another purpose");

    let e = app
        .ctx
        .store
        .campaigns()
        .attendee_engagement(ids[0])
        .await
        .unwrap();
    assert_eq!((e.opens, e.clicks), (1, 1));
    let report = app
        .ctx
        .store
        .campaigns()
        .campaign_report(c.id)
        .await
        .unwrap();
    let line = report
        .iter()
        .find(|l| l.topic == "big-data" && l.tier == "A")
        .unwrap();
    assert_eq!((line.delivered, line.opened, line.clicked), (1, 1, 1));
    let delivered: i64 = report.iter().map(|l| l.delivered).sum();
    assert_eq!(delivered, 5);
}

async fn returned_mail_needs_the_token_and_suppresses_bounces(db: Db) {
    let Some(app) = spawn_app_with(db, |s| {
        s.edm.inbound_token = Some("inbound-secret-0123456789".into());
    })
    .await
    else {
        return;
    };
    let (_, ids, c) = started(&app).await;
    let post = |body: String, token: Option<&'static str>| {
        let mut req = app.client.post(app.url("/api/v1/edm/inbound")).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let r = post(dsn("ada@example.com", "failed", "5.1.1"), None)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = post(
        dsn("ada@example.com", "failed", "5.1.1"),
        Some("wrong-token-0123456789xx"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        app.ctx
            .store
            .campaigns()
            .suppressions_of("ada@example.com")
            .await
            .unwrap()
            .is_empty()
    );

    let r = post(
        dsn("Ada@Example.com", "failed", "5.1.1"),
        Some("inbound-secret-0123456789"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["suppressed"], 1);
    assert_eq!(
        app.ctx
            .store
            .campaigns()
            .suppressions_of("ada@example.com")
            .await
            .unwrap(),
        vec!["hard_bounce"]
    );

    // Soft bounces suppress only once three fall within the window.
    for i in 1..=3 {
        let r = post(
            dsn("bob@example.com", "delayed", "4.4.1"),
            Some("inbound-secret-0123456789"),
        )
        .await
        .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["suppressed"],
            if i < 3 { 0 } else { 1 },
            "soft bounce {i}"
        );
    }
    let r = post("hello".into(), Some("inbound-secret-0123456789"))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Suppressed addresses are skipped by the sender and left out of later campaigns.
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!((run.sent, run.skipped), (3, 2), "{run:?}");
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    assert_eq!(
        ledger
            .iter()
            .find(|r| r.attendee_id == ids[0])
            .unwrap()
            .state,
        "skipped"
    );
}

async fn pause_resume_and_cancel_follow_the_life_cycle(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = audience(&app).await;
    campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    app.login_as(Role::Marketer).await;
    let page = format!("/admin/events/{}/campaigns/after", event.info.slug);
    let act = |action: &'static str| {
        let page = page.clone();
        let app = &app;
        async move {
            form(app, &page, &format!("{page}/{action}"), &[])
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(act("pause").await, 409, "a draft cannot be paused");
    assert_eq!(act("start").await, 303);
    assert_eq!(act("start").await, 409, "started once only");
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, "after")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.ctx
            .store
            .campaigns()
            .campaign_progress(c.id)
            .await
            .unwrap()
            .queued,
        5
    );
    // Content is fixed once the audience is queued.
    let r = form(
        &app,
        &page,
        &format!("{page}/content"),
        &[
            ("topic", ""),
            ("tier", ""),
            ("subject", "Changed"),
            ("body", "x"),
        ],
    )
    .await;
    assert_eq!(r.status(), 409);

    assert_eq!(act("pause").await, 303);
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 0, "nothing leaves a paused campaign");
    let (_, json) = get_text(&app, &format!("{page}/progress.json")).await;
    let p: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (p["state"].as_str(), p["queued"].as_i64()),
        (Some("paused"), Some(5))
    );

    assert_eq!(act("resume").await, 303);
    assert_eq!(act("cancel").await, 303);
    let progress = app
        .ctx
        .store
        .campaigns()
        .campaign_progress(c.id)
        .await
        .unwrap();
    assert_eq!((progress.cancelled, progress.queued), (5, 0));
    assert_eq!(edm_send::run_once(&app.ctx).await.unwrap().sent, 0);
    assert_eq!(act("resume").await, 409);
}

async fn the_demo_sends_follow_up_emails_to_the_outbox(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let report = badgetrail::demo::prepare(&app.ctx, 40).await.unwrap();
    let f = report.follow_up;
    assert!(f.sent > 0 && f.sent as u64 == f.queued, "{f:?}");
    let follow_ups: Vec<Vec<u8>> = std::fs::read_dir(app.outbox())
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .filter(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .is_some_and(|m| m.header("List-Unsubscribe-Post").is_some())
        })
        .collect();
    assert_eq!(follow_ups.len(), f.sent);
    // Without leads (the demo before the lead builder runs) everyone gets the general content.
    let event = demo_event(&app.ctx.store).await;
    let has_leads = !app
        .ctx
        .store
        .leads()
        .event_lead_summaries(event.id)
        .await
        .unwrap()
        .is_empty();
    let subject = mail_parser::MessageParser::default()
        .parse(&follow_ups[0])
        .unwrap()
        .subject()
        .unwrap()
        .to_owned();
    if !has_leads {
        assert_eq!(subject, "Thank you for coming to Cloud Summit 2026");
    }
    // A second run leaves the sent campaign alone.
    let again = badgetrail::demo::prepare(&app.ctx, 40).await.unwrap();
    assert!(again.follow_up.already_sent);
}

async fn only_messages_whose_lease_ran_out_count_as_abandoned(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (_, _, c) = started(&app).await;
    let now = Timestamp::now();
    // A live sender holds three messages for a minute.
    let claimed = app
        .ctx
        .store
        .campaigns()
        .claim_campaign_sends(now, 60_000, 3)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let store = &app.ctx.store;
    assert_eq!(
        store
            .campaigns()
            .campaign_abandoned_in_flight(c.id, now)
            .await
            .unwrap(),
        0
    );
    let later = now + jiff::SignedDuration::from_secs(61);
    assert_eq!(
        store
            .campaigns()
            .campaign_abandoned_in_flight(c.id, later)
            .await
            .unwrap(),
        3
    );
}

async fn a_campaign_with_nobody_to_send_to_offers_no_start_button(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // An event with no leads at all: nobody is in any audience.
    let event = app.seed_event().await;
    let slug = event.info.slug.to_string();
    app.login_as(Role::Marketer).await;
    let page = new_campaign(&app, &slug, "Nobody yet", "nobody").await;
    let (status, html) = get_text(&app, &format!("{page}/send")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Start sending to 0"), "{html}");
    assert!(!html.contains(&format!("{page}/start")), "{html}");
    assert!(
        html.contains(
            "<button type=\"button\" disabled id=\"no-recipients\" class=\"secondary\">Nobody to send to</button>"
        ),
        "{html}"
    );
}
