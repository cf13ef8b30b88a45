//! What door scans name stays, on both databases: once a scan names a session or a room,
//! neither can be removed, and the scan keeps its attendee, room and session; a session no
//! scan names still can be.

use badgetrail::{
    domain::{dashboard::Decision, door::scan::Direction},
    event_setup::{
        Refused,
        edit::{self, Part},
    },
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, spawn_app},
        door::{paired_kiosk, register_as, seed_event_now},
    },
};

on_both_backends!(a_session_or_room_that_scans_name_cannot_be_removed);

async fn a_session_or_room_that_scans_name_cannot_be_removed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // K1 runs in the Main Hall now.
    let event = seed_event_now(&app).await;
    let slug = event.info.slug.as_str();
    let (badge, attendee) = register_as(&app, "ada@example.com", "Ada Lovelace").await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Main Hall door").await;
    let r = app
        .post_json_as(
            &token,
            "/api/v1/scans",
            &json!({
                "sent_at": Timestamp::now(), "app_version": "kiosk-test", "queue_size": 0,
                "scans": [{"nonce": "n-1", "badge": badge, "device_time": Timestamp::now(),
                           "direction": "entry"}],
            }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["decision"], "accepted", "{body}");

    let refused = edit::remove(&app.ctx, slug, Part::Session, "K1").await;
    assert!(
        matches!(&refused, Err(Refused::Conflict(m)) if m.contains("door scans name this session")),
        "{refused:?}"
    );
    // The room has K1 (and the door's device) in it.
    let refused = edit::remove(&app.ctx, slug, Part::Room, "Main Hall").await;
    assert!(matches!(&refused, Err(Refused::Conflict(_))), "{refused:?}");
    // A session no scan names goes.
    edit::remove(&app.ctx, slug, Part::Session, "K3")
        .await
        .unwrap();

    let p = app
        .ctx
        .store
        .events()
        .load_programme(slug)
        .await
        .unwrap()
        .unwrap();
    assert!(p.sessions.iter().any(|s| s.id == "K1"));
    assert!(!p.sessions.iter().any(|s| s.id == "K3"));
    assert!(p.rooms.iter().any(|r| r.name == "Main Hall"));
    let scans = app.ctx.store.door().event_scans(event.id).await.unwrap();
    assert_eq!(scans.len(), 1);
    let s = &scans[0];
    assert_eq!(
        (s.attendee_id, s.direction, s.decision),
        (Some(attendee), Direction::Entry, Decision::Accepted)
    );
    assert!(s.session_id.is_some() && s.room_id.is_some());
}
