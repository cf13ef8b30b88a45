//! Setting up an event with a played door day, for the lead builder's tests.

use std::collections::HashMap;

use badgetrail::{
    demo::{self, door_scans},
    domain::attendee::Registration,
    leads,
    registration::{self, Source},
    store::EventRecord,
};
use jiff::Timestamp;

use crate::support::app::TestApp;

/// The sample event with `n` synthetic attendees whose day at the doors was played through
/// the real door flow; returns the true main topic of each attendee.
pub async fn event_with_day(
    app: &TestApp,
    n: usize,
    seed: u64,
) -> (EventRecord, HashMap<i64, String>) {
    let event = app.seed_event().await;
    let p = demo::programme::cloud_summit();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let regs: Vec<Registration> = demo::people::synthetic(n, &topics, seed)
        .iter()
        .map(|i| Registration::parse(i, &topics).unwrap())
        .collect();
    let mut badges = Vec::new();
    for chunk in regs.chunks(200) {
        let out = registration::record(
            &app.ctx,
            &event,
            chunk,
            Source::Demo,
            false,
            Timestamp::now(),
        )
        .await
        .unwrap();
        for (o, r) in out.into_iter().zip(chunk) {
            badges.push((o.attendee_id, o.token, r.interests.clone()));
        }
    }
    let day = door_scans::play(&app.ctx, &event, &p, &badges, seed)
        .await
        .unwrap();
    assert!(day.accepted > n * 4, "{day:?}");
    (event, day.truth)
}

pub fn opts() -> leads::BuildOptions {
    leads::BuildOptions {
        started_by: "test".into(),
        ..leads::BuildOptions::default()
    }
}

/// Writes `text` as the event's lead file `name` (scoring, routing or content).
pub fn write_file(app: &TestApp, name: &str, text: &str) {
    let dir = app
        .ctx
        .settings
        .leads
        .config_dir
        .join(demo::programme::SLUG);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

/// The stored package of one attendee's lead.
pub async fn package_of(
    app: &TestApp,
    event_id: i64,
    attendee_id: i64,
) -> badgetrail::domain::leads::package::LeadPackage {
    let row = app
        .ctx
        .store
        .leads()
        .lead(event_id, attendee_id)
        .await
        .unwrap()
        .expect("a stored lead");
    row.lead.package().unwrap()
}

/// The two sales accounts the sample routing file names.
pub async fn sales_owners(app: &TestApp) {
    for name in ["sales", "sales2"] {
        badgetrail::accounts::upsert_user(
            &app.ctx.store,
            name,
            name,
            badgetrail::domain::user::Role::Sales,
            "correct horse battery",
            Timestamp::now(),
        )
        .await
        .unwrap();
    }
}
