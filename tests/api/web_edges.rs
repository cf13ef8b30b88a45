//! The web layer's edges: sign-in links, hostile `next` values, huge page numbers, unknown
//! paths, error pages for signed-in staff, caching of private pages and confirmations.

use badgetrail::{demo::programme::SLUG, domain::user::Role};

use crate::{
    on_both_backends,
    support::{
        app::{Db, spawn_app},
        forms::{post_registration, register_badge, valid_form},
    },
};

on_both_backends!(
    a_sign_in_from_a_deep_link_returns_to_that_page,
    hostile_next_values_never_leave_the_site_nor_fail,
    a_huge_page_number_shows_an_empty_page,
    unknown_paths_get_a_page_and_signed_in_staff_keep_their_layout,
    private_pages_and_downloads_are_never_cached,
    re_issuing_a_badge_needs_its_box_ticked,
    direction_overrides_in_names_are_refused,
    a_refused_lead_build_is_not_shown_as_started,
);

async fn a_sign_in_from_a_deep_link_returns_to_that_page(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let deep = format!("/admin/events/{SLUG}/devices?x=1");
    let r = app.get(&deep).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/login?next=%2Fadmin%2Fevents%2F{SLUG}%2Fdevices%3Fx%3D1")
    );
    let form = app.get_text(&location).await;
    assert!(form.contains(&format!("value=\"/admin/events/{SLUG}/devices?x=1\"")));
    let r = app.sign_in(Role::Admin, &deep).await;
    assert_eq!(r.headers()["location"], deep.as_str());
    let page = app.get(&deep).await;
    assert_eq!(page.status(), 200);
}

async fn hostile_next_values_never_leave_the_site_nor_fail(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/a\r\nSet-Cookie: x=1",
        "/a\u{b}b",
        "https://evil.example/",
    ] {
        let r = app.sign_in(Role::Admin, next).await;
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/admin", "{next:?}");
    }
}

async fn a_huge_page_number_shows_an_empty_page(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    app.login_as(Role::Admin).await;
    for path in [
        format!("/admin/events/{SLUG}?page=9223372036854775807"),
        format!("/admin/events/{SLUG}/badges/print?page=9223372036854775807"),
        format!("/admin/events/{SLUG}/leads?page=9223372036854775807"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
    }
}

async fn unknown_paths_get_a_page_and_signed_in_staff_keep_their_layout(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("404 Not Found") && html.contains("Staff sign-in"));

    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");

    app.login_as(Role::Marketer).await;
    for path in ["/no/such/page", "/admin/events/no-such-event"] {
        let html = app.get_text(path).await;
        assert!(html.contains("404 Not Found"), "{path}");
        assert!(
            html.contains("marketer-user (marketer)") && html.contains("Sign out"),
            "{path}: {html}"
        );
        assert!(!html.contains("Staff sign-in"), "{path}");
    }
}

async fn private_pages_and_downloads_are_never_cached(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    app.login_as(Role::Admin).await;
    for path in [
        "/admin".to_owned(),
        format!("/admin/events/{SLUG}"),
        format!("/admin/events/{SLUG}/trails.csv"),
        format!("/admin/events/{SLUG}/leads"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
}

async fn re_issuing_a_badge_needs_its_box_ticked(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    let id = app.attendee_id("ada@example.com").await;
    app.login_as(Role::Admin).await;
    let path = format!("/admin/events/{SLUG}/attendees/{id}");
    let csrf = app.csrf(&path).await;
    let r = app
        .post_form(&format!("{path}/reissue"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("nothing was changed"));
    let attendee = app
        .ctx
        .store
        .attendees()
        .attendee(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attendee.token, token, "the badge is unchanged");
}

async fn direction_overrides_in_names_are_refused(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let mut form = valid_form("ada@example.com");
    form[0].1 = "Ada \u{202e}ecalevoL".into();
    let r = post_registration(&app, &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("invisible formatting"));
    let (_, total) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 0);
}

async fn a_refused_lead_build_is_not_shown_as_started(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    app.login_as(Role::Marketer).await;
    // Another build holds the event's slot.
    app.ctx
        .store
        .leads()
        .start_lead_build(event.id, "cli", jiff::Timestamp::now())
        .await
        .unwrap();
    let path = format!("/admin/events/{SLUG}/leads");
    let csrf = app.csrf(&path).await;
    let r = app
        .post_form(&format!("{path}/build"), &[("csrf", csrf.as_str())])
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{path}?build=running"));
    let html = app.get_text(&location).await;
    assert!(html.contains("already running; yours was not started"));
}
