//! The event's clock on both backends: the kiosks get it with their device state (the time
//! zone's usual clock until staff choose), and door staff change it on the devices page.

use badgetrail::domain::user::Role;
use jiff::Timestamp;
use serde_json::Value;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    door::{new_device, paired_kiosk},
    forms::extract_csrf,
};

crate::on_both_backends!(kiosks_get_the_event_clock_and_staff_change_it,);

async fn kiosk_clock(app: &TestApp, token: &str) -> String {
    let r = app.get_as(token, "/api/v1/devices/self").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["clock"].as_str().unwrap().to_owned()
}

async fn kiosks_get_the_event_clock_and_staff_change_it(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    assert_eq!(event.info.time_zone, "Europe/Berlin");
    let token = paired_kiosk(&app, &event, None, "Door").await;
    assert_eq!(
        kiosk_clock(&app, &token).await,
        "24h",
        "Berlin's usual clock"
    );

    app.login_as(Role::Staff).await;
    let page = format!("/admin/events/{}/devices", event.info.slug);
    let html = app.get_text(&page).await;
    assert!(
        html.contains("value=\"24h\" checked> 24-hour (14:05)"),
        "{html}"
    );
    assert!(
        html.contains("Last contact (Europe/Berlin)"),
        "the zone is named: {html}"
    );
    let csrf = extract_csrf(&html);
    let set = |clock: &'static str| {
        let app = &app;
        let page = &page;
        let csrf = &csrf;
        async move {
            app.post_form(
                &format!("{page}/clock"),
                &[("csrf", csrf.as_str()), ("clock", clock)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(set("12h").await, 303);
    assert_eq!(kiosk_clock(&app, &token).await, "12h");
    assert_eq!(set("25h").await, 400, "only the two clocks");
    assert_eq!(kiosk_clock(&app, &token).await, "12h");
    assert_eq!(set("24h").await, 303);
    assert_eq!(kiosk_clock(&app, &token).await, "24h");

    // Sales have no business with door devices.
    app.login_as(Role::Sales).await;
    assert_eq!(set("12h").await, 403);
}

/// The text of the kiosk's "session now" line.
async fn session_line(c: &fantoccini::Client) -> String {
    c.find(fantoccini::Locator::Id("session-line"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_writes_times_with_the_event_clock() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = crate::support::door::seed_event_now(&app).await;
    app.ctx
        .store
        .events()
        .set_event_clock(
            event.id,
            Some(badgetrail::domain::clock::Clock::H12),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = crate::support::browser::browser(&[]).await else {
        return;
    };
    let c = &b.client;
    crate::support::kiosk_page::pair_kiosk(c, &app, &device.pairing_code).await;
    let line = session_line(c).await;
    assert!(line.starts_with("Now: "), "{line}");
    assert!(
        line.contains(" AM") || line.contains(" PM"),
        "12-hour: {line}"
    );

    // Back to the zone's usual clock: the kiosk takes it at its next refresh (here, a start).
    app.ctx
        .store
        .events()
        .set_event_clock(event.id, None, Timestamp::now())
        .await
        .unwrap();
    c.refresh().await.unwrap();
    crate::support::kiosk_page::eventually(
        c,
        15,
        "const d = window.kiosk.device(); return d && d.clock;",
        |v| v == &Value::String("24h".into()),
    )
    .await;
    let line = session_line(c).await;
    assert!(
        !line.contains("AM") && !line.contains("PM"),
        "24-hour: {line}"
    );
    assert!(
        line.chars().filter(|ch| *ch == ':').count() >= 3,
        "hh:mm times: {line}"
    );
    b.client.clone().close().await.unwrap();
}
