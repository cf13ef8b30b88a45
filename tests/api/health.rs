//! Health check and the security headers every response carries.

use crate::{
    on_both_backends,
    support::app::{Db, spawn_app},
};

on_both_backends!(healthz_answers_and_headers_are_set);

async fn healthz_answers_and_headers_are_set(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(r.text().await.unwrap(), "ok");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let cookie = h["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("bt_csrf=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // A form posted from another site is refused before any handler runs.
    let r = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
