//! Staff pages: login, logout, and least privilege on every admin route.

use badgetrail::domain::user::Role;

use crate::{
    on_both_backends,
    support::{
        app::{Db, demo_event, spawn_app},
        forms::{post_registration, valid_form},
    },
};

on_both_backends!(
    anonymous_requests_are_sent_to_login,
    each_role_sees_only_what_it_may,
    wrong_password_is_refused_and_logout_ends_the_login,
);

async fn admin_paths(app: &crate::support::app::TestApp) -> Vec<(String, &'static [Role])> {
    let event = app.seed_event().await;
    post_registration(app, &valid_form("ada@example.com")).await;
    let (rows, _) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    let slug = event.info.slug;
    let view: &'static [Role] = &[Role::Admin, Role::Marketer, Role::Staff];
    let badges: &'static [Role] = &[Role::Admin, Role::Staff];
    vec![
        ("/admin".to_owned(), view),
        (format!("/admin/events/{slug}"), view),
        (
            format!("/admin/events/{slug}/attendees/{}", rows[0].id),
            view,
        ),
        (format!("/admin/events/{slug}/badges/print"), badges),
        (format!("/admin/events/{slug}/devices"), badges),
        (format!("/admin/events/{slug}/trails.csv"), view),
        (
            format!("/admin/events/{slug}/attendees/{}/trail.json", rows[0].id),
            view,
        ),
    ]
}

async fn anonymous_requests_are_sent_to_login(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    for (path, _) in admin_paths(&app).await {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next="),
            "{path}"
        );
    }
    let event = demo_event(&app.ctx.store).await;
    let (rows, _) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    let csrf = app.csrf("/login").await;
    let r = app
        .post_form(
            &format!(
                "/admin/events/{}/attendees/{}/reissue",
                event.info.slug, rows[0].id
            ),
            &[("csrf", csrf), ("confirm", "yes".into())],
        )
        .await;
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    let attendee = app
        .ctx
        .store
        .attendees()
        .attendee(rows[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        attendee.badge_serial, 1,
        "an anonymous re-issue changes nothing"
    );
}

async fn each_role_sees_only_what_it_may(db: Db) {
    for role in Role::ALL {
        let Some(app) = spawn_app(db).await else {
            return;
        };
        let paths_here = admin_paths(&app).await;
        app.login_as(role).await;
        for (path, allowed) in &paths_here {
            let status = app.get(path).await.status();
            let expected = if allowed.contains(&role) { 200 } else { 403 };
            assert_eq!(status, expected, "{role} on {path}");
        }
        // Re-issue is a state change: only admin and staff.
        let (path, _) = &paths_here[2];
        let csrf = app.csrf("/login").await;
        let r = app
            .post_form(
                &format!("{path}/reissue"),
                &[("csrf", csrf), ("confirm", "yes".into())],
            )
            .await;
        let expected = if matches!(role, Role::Admin | Role::Staff) {
            303
        } else {
            403
        };
        assert_eq!(r.status(), expected, "{role} re-issue");
    }
}

async fn wrong_password_is_refused_and_logout_ends_the_login(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.login_as(Role::Admin).await;
    assert_eq!(app.get("/admin").await.status(), 200);
    let csrf = app.csrf("/admin").await;
    let r = app.post_form("/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get("/admin").await.status(), 303);

    let csrf = app.csrf("/login").await;
    let r = app
        .post_form(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", "admin-user"),
                ("password", "wrong password!!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_form(
            "/login",
            &[
                ("username", "admin-user"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403, "login without CSRF token");
}
