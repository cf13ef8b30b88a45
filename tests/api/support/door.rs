//! At the door: an event whose first session runs now, attendees with badges, door devices
//! created and paired (over the API as a kiosk does, or through the library), and the scans
//! the server stored.

use std::time::Duration;

use badgetrail::{
    demo,
    domain::programme::Programme,
    door::{self, NewDevice, Paired},
    store::{EventRecord, ScanRow},
};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};

use super::{
    app::TestApp,
    forms::{register_badge, valid_form},
};
use crate::support::app::demo_event;

/// Waits until the event has at least `n` stored scans, for at most `secs`.
pub async fn stored_scans(app: &TestApp, event_id: i64, n: usize, secs: u64) -> Vec<ScanRow> {
    let mut stored = Vec::new();
    for _ in 0..secs * 10 {
        stored = app.ctx.store.door().event_scans(event_id).await.unwrap();
        if stored.len() >= n {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stored
}

/// Registers `n` attendees; their badge tokens and attendee ids.
pub async fn register(app: &TestApp, n: usize) -> Vec<(String, i64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let token = register_badge(app, &valid_form(&format!("guest{i}@example.com"))).await;
        let (_, attendee) = app
            .ctx
            .store
            .attendees()
            .badge_by_token(&token)
            .await
            .unwrap()
            .unwrap();
        out.push((token, attendee.id));
    }
    out
}

/// Registers one attendee under `name`; their badge token and attendee id.
pub async fn register_as(app: &TestApp, email: &str, name: &str) -> (String, i64) {
    let mut form = valid_form(email);
    for (k, v) in &mut form {
        if *k == "name" {
            *v = name.to_owned();
        }
    }
    let token = register_badge(app, &form).await;
    let (_, attendee) = app
        .ctx
        .store
        .attendees()
        .badge_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    (token, attendee.id)
}

/// The demo programme moved in time so that its first session (K1, Main Hall) started ten
/// minutes ago; the event.
pub async fn seed_event_now(app: &TestApp) -> EventRecord {
    seed_event_now_with(app, |_| {}).await
}

/// `seed_event_now`, with the moved programme changed by `adjust` before it is imported.
pub async fn seed_event_now_with(
    app: &TestApp,
    adjust: impl FnOnce(&mut Programme),
) -> EventRecord {
    let mut p = demo::programme::cloud_summit();
    let first = p.sessions.iter().map(|s| s.starts_at).min().unwrap();
    let shift = Timestamp::now().duration_since(first) - jiff::SignedDuration::from_mins(10);
    for s in &mut p.sessions {
        s.starts_at = s.starts_at.checked_add(shift).unwrap();
        s.ends_at = s.ends_at.checked_add(shift).unwrap();
    }
    adjust(&mut p);
    let tz = TimeZone::get(&p.event.time_zone).unwrap();
    let day = |t: Timestamp| t.to_zoned(tz.clone()).date();
    p.event.starts_on = day(p.sessions.iter().map(|s| s.starts_at).min().unwrap());
    p.event.ends_on = day(p.sessions.iter().map(|s| s.ends_at).max().unwrap());
    app.ctx
        .store
        .events()
        .import_programme(&p, Timestamp::now())
        .await
        .unwrap();
    demo_event(&app.ctx.store).await
}

/// A door device for `room` (`None`: any room) named `name`, created as staff create one;
/// it holds the pairing code.
pub async fn new_device(
    app: &TestApp,
    event: &EventRecord,
    room: Option<&str>,
    name: &str,
) -> NewDevice {
    door::create_device(&app.ctx, event, room, name, Timestamp::now())
        .await
        .unwrap()
}

/// Pairs a kiosk with `code` over the API, as the kiosk app does; its bearer token.
pub async fn pair_code(app: &TestApp, code: &str) -> String {
    let r = app
        .post_json("/api/v1/devices/pair", &json!({ "code": code }))
        .await;
    assert_eq!(r.status(), 200, "pairing with {code}");
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A kiosk created for `room` (`None`: any room) and paired over the API; its bearer token.
pub async fn paired_kiosk(
    app: &TestApp,
    event: &EventRecord,
    room: Option<&str>,
    name: &str,
) -> String {
    let device = new_device(app, event, room, name).await;
    pair_code(app, &device.pairing_code).await
}

/// A door device for `room` named `name`, created and paired through the library at `now`
/// (as if a kiosk had paired then); its token and record.
pub async fn paired_device(
    app: &TestApp,
    event: &EventRecord,
    room: Option<&str>,
    name: &str,
    now: Timestamp,
) -> Paired {
    let created = door::create_device(&app.ctx, event, room, name, now)
        .await
        .unwrap();
    door::pair(&app.ctx, &created.pairing_code, now)
        .await
        .unwrap()
        .expect("a fresh pairing code pairs")
}
