//! Per-client limits on registration and login: held by two app instances together on
//! PostgreSQL, and keyed on the address the trusted proxy saw, not on one the client wrote.

use badgetrail::demo::programme::SLUG;

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app_with},
        forms::valid_form,
    },
};

on_both_backends!(a_client_cannot_escape_the_limit_by_writing_forwarded_for);

/// Registration, with this app's CSRF token and an optional `X-Forwarded-For`; the status.
async fn register(app: &TestApp, email: &str, forwarded_for: Option<&str>) -> u16 {
    let path = format!("/e/{SLUG}/register");
    let csrf = app.csrf(&path).await;
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf)];
    form.extend(valid_form(email));
    let mut request = app.client.post(app.url(&path)).form(&form);
    if let Some(f) = forwarded_for {
        request = request.header("x-forwarded-for", f);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn wrong_password(app: &TestApp) -> u16 {
    let csrf = app.csrf("/login").await;
    app.post_form(
        "/login",
        &[
            ("csrf", csrf.as_str()),
            ("username", "nobody"),
            ("password", "guess"),
        ],
    )
    .await
    .status()
    .as_u16()
}

/// On SQLite one process is the deployment, so only PostgreSQL has two instances to share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_hold_each_limit_together_on_postgres() {
    let Some(a) = spawn_app_with(Db::Postgres, |s| s.registration_per_minute = 4).await else {
        return;
    };
    let b = a.another_instance().await;
    a.seed_event().await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let app = if i % 2 == 0 { &a } else { &b };
        statuses.push(register(app, &format!("p{i}@example.com"), None).await);
    }
    assert_eq!(statuses, [303, 303, 303, 303, 429, 429, 429, 429]);
    // Ten login attempts a minute, right or wrong, whichever instance answers.
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(wrong_password(if i % 2 == 0 { &a } else { &b }).await);
    }
    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10..], [429, 429]);
    // Instances delete the counts of past windows; with them gone the client is let in again.
    assert!(
        a.ctx
            .store
            .rate_limits()
            .forget_requests_before(i64::MAX)
            .await
            .unwrap()
            >= 2
    );
    assert_eq!(register(&b, "again@example.com", None).await, 303);
}

async fn a_client_cannot_escape_the_limit_by_writing_forwarded_for(db: Db) {
    let Some(app) = spawn_app_with(db, |s| {
        s.registration_per_minute = 2;
        s.trusted_proxy_hops = 1;
    })
    .await
    else {
        return;
    };
    app.seed_event().await;
    // The test client is the proxy: it appends the client's address, 203.0.113.9, to
    // whatever the client sent, a new address each time.
    let mut statuses = Vec::new();
    for i in 0..4 {
        let header = format!("198.51.100.{i}, 203.0.113.9");
        statuses.push(register(&app, &format!("p{i}@example.com"), Some(&header)).await);
    }
    assert_eq!(statuses, [303, 303, 429, 429]);
    // Another client behind the same proxy has a limit of its own.
    assert_eq!(
        register(&app, "q@example.com", Some("203.0.113.10")).await,
        303
    );
}
