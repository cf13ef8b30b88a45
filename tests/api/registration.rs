//! Registration over HTTP: the form, validation, re-registration, bots, limits and escaping.

use badgetrail::{demo::programme::SLUG, domain::badge, jobs::badge_mail, qr};

use crate::{
    helpers::{Db, post_registration, spawn_app, spawn_app_with, token_from_redirect, valid_form},
    on_both_backends,
};

on_both_backends!(
    form_renders_with_every_field,
    valid_registration_issues_a_verifiable_badge,
    registering_again_updates_and_resends_the_same_badge,
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
    let r = app
        .client
        .get(app.url(&format!("/e/{SLUG}/register")))
        .send()
        .await
        .unwrap();
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
    let r = post_registration(&app, &valid_form("ada@example.com")).await;
    assert_eq!(r.status(), 303);
    let token = token_from_redirect(&r);

    let keys = app
        .ctx
        .badges
        .keys_for(event.id, jiff::Timestamp::now())
        .await
        .unwrap();
    let claims = badge::verify(&token, &keys.verifying).expect("token verifies");
    assert_eq!(claims.serial, 1);

    let page = app
        .client
        .get(app.url(&format!("/b/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ada Lovelace") && html.contains("Analytical Engines"));

    let png = app
        .client
        .get(app.url(&format!("/b/{token}/badge.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let decoded = qr::decode_png(&png.bytes().await.unwrap(), 10 << 20, 10_000_000).unwrap();
    assert_eq!(decoded, vec![token.clone()]);

    let svg = app
        .client
        .get(app.url(&format!("/b/{token}/badge.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");

    let run = badge_mail::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 1);
    let files: Vec<_> = std::fs::read_dir(app.outbox()).unwrap().collect();
    assert_eq!(files.len(), 1);
}

async fn registering_again_updates_and_resends_the_same_badge(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let first = token_from_redirect(&post_registration(&app, &valid_form("ada@example.com")).await);
    let mut form = valid_form("ADA@Example.com");
    form[2].1 = "Difference Engines Ltd".into();
    let r = post_registration(&app, &form).await;
    assert_eq!(r.status(), 303);
    assert_eq!(token_from_redirect(&r), first, "same badge");
    // Consent given at the first registration, withdrawn at the second (box left unticked).
    form.retain(|(k, _)| *k != "marketing_consent");
    post_registration(&app, &form).await;
    let (rows, total) = app
        .ctx
        .store
        .list_attendees(event.id, "", 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 1, "never a duplicate attendee");
    assert_eq!(rows[0].company, "Difference Engines Ltd");
    let consents = app.ctx.store.attendee_consents(rows[0].id).await.unwrap();
    let history: Vec<(bool, &str)> = consents
        .iter()
        .map(|c| (c.granted, c.source.as_str()))
        .collect();
    assert_eq!(history, [(true, "web"), (false, "web")]);
    assert_eq!(
        consents[0].wording,
        badgetrail::domain::attendee::CONSENT_WORDING
    );
    assert!(consents[0].at > 0);
    assert_eq!(
        badge_mail::run_once(&app.ctx).await.unwrap().sent,
        3,
        "badge re-sent each time"
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

    let r = post_registration(&app, &form).await;
    assert_eq!(r.status(), 303);
    let token = token_from_redirect(&r);
    let html = app
        .client
        .get(app.url(&format!("/b/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "badge page");
    assert!(html.contains("name&#60;script&#62;") || html.contains("name&lt;script&gt;"));

    app.login_as(badgetrail::domain::user::Role::Admin).await;
    let (rows, _) = app
        .ctx
        .store
        .list_attendees(
            app.ctx.store.event_by_slug(SLUG).await.unwrap().unwrap().id,
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
        let html = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
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
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.ctx
            .store
            .list_attendees(event.id, "", 10, 0)
            .await
            .unwrap()
            .1,
        0
    );

    let no_csrf = app
        .client
        .post(app.url(&format!("/e/{SLUG}/register")))
        .form(&valid_form("nocsrf@example.com"))
        .send()
        .await
        .unwrap();
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
    let r = app
        .client
        .get(app.url("/e/no-such-event/register"))
        .send()
        .await
        .unwrap();
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
            let r = app
                .client
                .post(app.url(&path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            (i % 40, token_from_redirect(&r))
        }));
    }
    let mut tokens = std::collections::HashMap::new();
    for t in tasks {
        let (person, token) = t.await.unwrap();
        if let Some(first) = tokens.insert(person, token.clone()) {
            assert_eq!(
                first, token,
                "both registrations of person {person} got the same badge"
            );
        }
    }
    let (_, total) = app
        .ctx
        .store
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 40);
    assert_eq!(badge_mail::run_once(&app.ctx).await.unwrap().sent, 80);
}
