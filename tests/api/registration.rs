//! Registration over HTTP: the form, validation, re-registration, bots, limits and escaping.

use badgetrail::{demo::programme::SLUG, domain::badge, jobs::badge_mail, qr};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, body_of, fresh_client, spawn_app, spawn_app_with},
        forms::{emailed_links, extract_csrf, post_registration, register_badge, valid_form},
    },
};

on_both_backends!(
    form_renders_with_every_field,
    valid_registration_issues_a_verifiable_badge,
    a_stranger_registering_a_known_address_changes_nothing_and_learns_nothing,
    the_badge_email_goes_out_at_most_once_an_hour_whatever_is_submitted,
    the_emailed_link_downloads_the_data_and_erases_the_registration,
    missing_and_malformed_fields_are_reported_and_refilled,
    markup_in_every_text_field_is_escaped_everywhere,
    honeypot_and_csrf_and_rate_limit_stop_bots,
    oversized_body_is_refused,
    unknown_event_is_404,
    concurrent_registrations_are_all_kept_once,
);

async fn form_renders_with_every_field(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let r = app.get(&format!("/e/{SLUG}/register")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    for field in [
        "name",
        "email",
        "company",
        "job_title",
        "country",
        "phone",
        "decision_role",
        "purchase_stage",
        "industry",
        "company_size",
        "interests",
        "marketing_consent",
    ] {
        assert!(
            html.contains(&format!("name=\"{field}\"")),
            "missing field {field}"
        );
    }
    for label in ["for=\"f-email\"", "for=\"f-decision_role\""] {
        assert!(html.contains(label), "missing label {label}");
    }
    // Consent is never pre-ticked.
    let consent = html.split("id=\"f-marketing_consent\"").nth(1).unwrap();
    assert!(!consent[..consent.find('>').unwrap()].contains("checked"));
}

async fn valid_registration_issues_a_verifiable_badge(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;

    let keys = app.badge_keys(event.id).await;
    let claims = badge::verify(&token, &keys.verifying).expect("token verifies");
    assert_eq!(claims.serial, 1);

    let page = app.get(&format!("/b/{token}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ada Lovelace") && html.contains("Analytical Engines"));

    let png = app.get(&format!("/b/{token}/badge.png")).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    let decoded = qr::decode_png(&png.bytes().await.unwrap(), 10 << 20, 10_000_000).unwrap();
    assert_eq!(decoded, vec![token.clone()]);

    let svg = app.get(&format!("/b/{token}/badge.svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");

    let run = badge_mail::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 1);
    let files: Vec<_> = std::fs::read_dir(app.outbox()).unwrap().collect();
    assert_eq!(files.len(), 1);
}

/// A browser of someone else: its own cookies, no session.
async fn stranger_posts(app: &TestApp, fields: &[(&'static str, String)]) -> reqwest::Response {
    let client = fresh_client();
    let path = format!("/e/{SLUG}/register");
    let html = body_of(client.get(app.url(&path))).await;
    let mut form = vec![("csrf", extract_csrf(&html))];
    form.extend(fields.iter().cloned());
    client
        .post(app.url(&path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn a_stranger_registering_a_known_address_changes_nothing_and_learns_nothing(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    let id = app.attendee_id("ada@example.com").await;
    let before = app.stored_attendee(id).await;

    // Other answers, another company, consent withdrawn, the address in other case.
    let mut hostile = valid_form("ADA@Example.com");
    for (k, v) in hostile.iter_mut() {
        match *k {
            "name" => *v = "Mallory".into(),
            "company" => *v = "Evil Corp".into(),
            "job_title" => *v = "Intern".into(),
            _ => {}
        }
    }
    hostile.retain(|(k, _)| *k != "marketing_consent");
    let known = stranger_posts(&app, &hostile).await;
    let unknown = stranger_posts(&app, &valid_form("nobody-yet@example.com")).await;

    // The same answer for a known and an unknown address: no badge, no token, no hint.
    assert_eq!(known.status(), 303);
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers()["location"], unknown.headers()["location"]);
    assert_eq!(
        known.headers()["location"],
        format!("/e/{SLUG}/registered").as_str()
    );
    let known_body = known.text().await.unwrap();
    assert_eq!(known_body, unknown.text().await.unwrap());
    assert!(!known_body.contains(&token));
    let page = app.get_text(&format!("/e/{SLUG}/registered")).await;
    assert!(page.contains("Check your inbox") && !page.contains(&token));

    assert_eq!(
        app.stored_attendee(id).await,
        before,
        "nothing stored changed"
    );
    let badge_page = app.get(&format!("/b/{token}")).await;
    assert_eq!(badge_page.status(), 200, "the real badge keeps working");
    assert!(badge_page.text().await.unwrap().contains("Ada Lovelace"));
}

async fn the_badge_email_goes_out_at_most_once_an_hour_whatever_is_submitted(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    register_badge(&app, &valid_form("ada@example.com")).await;
    for _ in 0..3 {
        register_badge(&app, &valid_form("ada@example.com")).await;
    }
    // Asking for the link again by address is the same: nothing more within the hour.
    let path = format!("/e/{SLUG}/my-link");
    let csrf = app.csrf(&path).await;
    let r = app
        .post_form(
            &path,
            &[("csrf", csrf.as_str()), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        format!("/e/{SLUG}/registered").as_str()
    );
    let run = badge_mail::run_once(&app.ctx).await.unwrap();
    assert_eq!(
        run.sent, 1,
        "one badge email, to the registered address only"
    );
    let files: Vec<_> = std::fs::read_dir(app.outbox()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        raw.contains("To: \"Ada Lovelace\" <ada@example.com>"),
        "{raw}"
    );

    // An hour later (as the queue sees it), a request sends it again.
    let id = app.attendee_id("ada@example.com").await;
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(61);
    assert!(
        app.ctx
            .store
            .attendees()
            .resend_badge_mail(id, later)
            .await
            .unwrap()
    );
    assert!(
        !app.ctx
            .store
            .attendees()
            .resend_badge_mail(id, later)
            .await
            .unwrap()
    );
}

async fn missing_and_malformed_fields_are_reported_and_refilled(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let r = post_registration(
        &app,
        &[
            ("name", "Grace Hopper".into()),
            ("email", "not-an-email".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Email is not a valid email address"),
        "{html}"
    );
    assert!(html.contains("Company is required"));
    assert!(html.contains("value=\"Grace Hopper\""), "form refilled");
    assert!(html.contains("aria-invalid=\"true\""));
    let (_, total) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 0);

    let mut form = valid_form("x@example.com");
    form[6].1 = "emperor".into();
    form.push(("interests", "knitting".into()));
    let r = post_registration(&app, &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("&#39;emperor&#39; is not one of")
            || html.contains("'emperor' is not one of"),
        "{html}"
    );
    assert!(html.contains("is not a topic of this event"));
}

/// Markup shows up as entities (askama writes numeric ones).
fn escaped(html: &str) -> bool {
    html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;")
}

const XSS: &str = "<script>alert(1)</script>\"'&";

async fn markup_in_every_text_field_is_escaped_everywhere(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let mut form = valid_form("xss@example.com");
    for (name, value) in form.iter_mut() {
        if matches!(*name, "name" | "company" | "job_title" | "country") {
            *value = format!("{name}{XSS}");
        }
    }
    // The error page refills every field: escaped there too.
    let mut broken = form.clone();
    broken[1].1 = format!("bad{XSS}");
    let html = post_registration(&app, &broken).await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "form page");
    assert!(escaped(&html));

    let token = register_badge(&app, &form).await;
    let html = app.get_text(&format!("/b/{token}")).await;
    assert!(!html.contains("<script>alert(1)</script>"), "badge page");
    assert!(html.contains("name&#60;script&#62;") || html.contains("name&lt;script&gt;"));

    app.login_as(badgetrail::domain::user::Role::Admin).await;
    let (rows, _) = app
        .ctx
        .store
        .attendees()
        .list_attendees(
            app.ctx
                .store
                .events()
                .event_by_slug(SLUG)
                .await
                .unwrap()
                .unwrap()
                .id,
            "",
            1,
            0,
        )
        .await
        .unwrap();
    for path in [
        format!("/admin/events/{SLUG}"),
        format!("/admin/events/{SLUG}/attendees/{}", rows[0].id),
        format!("/admin/events/{SLUG}/badges/print"),
    ] {
        let html = app.get_text(&path).await;
        assert!(!html.contains("<script>alert(1)</script>"), "{path}");
        assert!(escaped(&html), "{path}");
    }

    badge_mail::run_once(&app.ctx).await.unwrap();
    for f in std::fs::read_dir(app.outbox()).unwrap() {
        let raw = std::fs::read(f.unwrap().path()).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let html = msg.body_html(0).unwrap();
        assert!(!html.contains("<script>"), "email html");
        assert!(escaped(&html));
    }
}

async fn honeypot_and_csrf_and_rate_limit_stop_bots(db: Db) {
    let Some(app) = spawn_app_with(db, |s| s.registration_per_minute = 3).await else {
        return;
    };
    let event = app.seed_event().await;
    let mut form = valid_form("bot@example.com");
    form.push(("website", "http://spam.example".into()));
    let r = post_registration(&app, &form).await;
    assert_eq!(r.status(), 303, "a bot gets the answer everybody gets");
    assert_eq!(
        app.ctx
            .store
            .attendees()
            .list_attendees(event.id, "", 10, 0)
            .await
            .unwrap()
            .1,
        0
    );

    let no_csrf = app
        .post_form(
            &format!("/e/{SLUG}/register"),
            &valid_form("nocsrf@example.com"),
        )
        .await;
    assert_eq!(no_csrf.status(), 403);

    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(
            post_registration(&app, &valid_form(&format!("p{i}@example.com")))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..2], &[303, 303]);
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
}

async fn oversized_body_is_refused(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let mut form = valid_form("big@example.com");
    form.push(("company", "x".repeat(10 * 1024 * 1024)));
    let path = format!("/e/{SLUG}/register");
    let csrf = app.csrf(&path).await;
    form.push(("csrf", csrf));
    // The server answers 413 from the declared length without reading the body, and may
    // close the connection while the client is still writing; both mean "refused".
    match app.client.post(app.url(&path)).form(&form).send().await {
        Ok(r) => assert_eq!(r.status(), 413),
        Err(e) => assert!(e.is_request(), "unexpected error: {e}"),
    }
    assert_eq!(
        app.ctx
            .store
            .attendees()
            .list_attendees(event.id, "", 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

async fn unknown_event_is_404(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let r = app.get("/e/no-such-event/register").await;
    assert_eq!(r.status(), 404);
}

async fn concurrent_registrations_are_all_kept_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let app = std::sync::Arc::new(app);
    // 40 people, each registering twice at the same moment: batches mix new and repeat
    // registrations, and the same email may appear twice in one transaction.
    let path = format!("/e/{SLUG}/register");
    let csrf = app.csrf(&path).await;
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (app, path, csrf) = (app.clone(), path.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let mut form = valid_form(&format!("person{}@example.com", i % 40));
            form.push(("csrf", csrf));
            let r = app.post_form(&path, &form).await;
            assert_eq!(r.status(), 303);
            assert_eq!(
                r.headers()["location"],
                format!("/e/{SLUG}/registered").as_str()
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (_, total) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 40);
    assert_eq!(
        badge_mail::run_once(&app.ctx).await.unwrap().sent,
        40,
        "one badge email per person"
    );
}

async fn the_emailed_link_downloads_the_data_and_erases_the_registration(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    let id = app.attendee_id("ada@example.com").await;
    badge_mail::run_once(&app.ctx).await.unwrap();
    let (_, manage) = emailed_links(&app, "ada@example.com");
    let path = manage.trim_start_matches(&app.address).to_owned();

    let page = app.client.get(&manage).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let data = app
        .client
        .get(format!("{manage}/data.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), 200);
    assert_eq!(data.headers()["cache-control"], "no-store");
    let json: serde_json::Value = data.json().await.unwrap();
    let text = json.to_string();
    assert!(text.contains("ada@example.com") && text.contains("Ada Lovelace"));

    let csrf = app.csrf(&path).await;
    let unconfirmed = app
        .client
        .post(format!("{manage}/erase"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unconfirmed.status(), 400);
    assert!(
        app.ctx
            .store
            .attendees()
            .attendee(id)
            .await
            .unwrap()
            .unwrap()
            .erased_at
            .is_none()
    );

    let erased = app
        .client
        .post(format!("{manage}/erase"))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    assert!(
        erased
            .text()
            .await
            .unwrap()
            .contains("Your registration is deleted")
    );
    assert!(
        app.ctx
            .store
            .attendees()
            .attendee(id)
            .await
            .unwrap()
            .unwrap()
            .erased_at
            .is_some()
    );

    // The link, its download and the badge open nothing any more.
    for url in [manage.clone(), format!("{manage}/data.json")] {
        let r = app.client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 404, "{url}");
        assert!(!r.text().await.unwrap().contains("Ada"), "{url}");
    }
    let badge = app.get(&format!("/b/{token}")).await;
    assert!(badge.status().is_client_error(), "{}", badge.status());
}
