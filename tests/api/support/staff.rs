//! Staff accounts of each role, clients signed in as them, and reading the pages they get.

use badgetrail::{accounts, domain::user::Role};
use jiff::Timestamp;

use super::{app::TestApp, forms::extract_csrf};
use crate::support::app::{body_of, fresh_client};

/// A client signed in as a new user `name` with `role`; returns it and the user's id.
pub async fn signed_in(app: &TestApp, name: &str, role: Role) -> (reqwest::Client, i64) {
    accounts::upsert_user(
        &app.ctx.store,
        name,
        &format!("{name} display"),
        role,
        "correct horse battery",
        Timestamp::now(),
    )
    .await
    .unwrap();
    let id = app
        .ctx
        .store
        .accounts()
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap()
        .id;
    let client = fresh_client();
    let html = body_of(client.get(app.url("/login"))).await;
    let csrf = extract_csrf(&html);
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", name),
            ("password", "correct horse battery"),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {name}");
    // Sales start on their own leads, everybody else on the staff start page.
    let landing = if role == Role::Sales {
        "/sales/leads"
    } else {
        "/admin"
    };
    assert_eq!(r.headers()["location"], landing, "{name} lands");
    (client, id)
}

/// A sales account that owns leads (not signed in).
pub async fn sales_user(app: &TestApp, name: &str) -> i64 {
    accounts::upsert_user(
        &app.ctx.store,
        name,
        &format!("{name} display"),
        Role::Sales,
        "correct horse battery",
        Timestamp::now(),
    )
    .await
    .unwrap();
    app.ctx
        .store
        .accounts()
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Status and body of a GET.
pub async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Attendee ids of the lead rows of a list page, in order.
pub fn listed(html: &str, prefix: &str) -> Vec<i64> {
    html.split(&format!("<a href=\"{prefix}"))
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (rest[digits.len()..].starts_with('"') && !digits.is_empty())
                .then(|| digits.parse().unwrap())
        })
        .collect()
}
