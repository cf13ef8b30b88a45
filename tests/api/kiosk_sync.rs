//! What a kiosk keeps for offline work: `GET /api/v1/devices/self` on both databases (its
//! event only, revoked devices refused), and in Chromium: a badge re-issued after pairing
//! refused offline, the room list with the session running now, and scans the server will
//! not read set aside while the rest sync.

use std::collections::HashSet;

use badgetrail::{demo, domain::slug::Slug, door, registration, store::EventRecord};
use fantoccini::Locator;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app},
        browser::{browser, click},
        door::{new_device, paired_kiosk, register, seed_event_now, stored_scans},
        kiosk_page::{
            PairedKiosk, QUEUED, eventually, field, pair_kiosk, paired_kiosk_page, set_offline,
            wedge_scan,
        },
    },
};

on_both_backends!(
    a_device_gets_its_own_state_and_its_event_keys_rooms_and_sessions,
    device_state_needs_a_live_token,
);

async fn device_self(app: &TestApp, token: Option<&str>) -> (u16, Value) {
    let mut req = app.client.get(app.url("/api/v1/devices/self"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A second event with its own rooms and sessions.
async fn seed_other_event(app: &TestApp) -> EventRecord {
    let mut p = demo::programme::cloud_summit();
    p.event.slug = Slug::parse("data-days-2026").unwrap();
    p.event.name = "Data Days 2026".into();
    p.rooms.truncate(2);
    let kept: HashSet<String> = p.rooms.iter().map(|r| r.name.clone()).collect();
    p.sessions.retain(|s| kept.contains(&s.room));
    app.ctx
        .store
        .events()
        .import_programme(&p, Timestamp::now())
        .await
        .unwrap();
    app.ctx
        .store
        .events()
        .event_by_slug("data-days-2026")
        .await
        .unwrap()
        .unwrap()
}

async fn a_device_gets_its_own_state_and_its_event_keys_rooms_and_sessions(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let other = seed_other_event(&app).await;
    let people = register(&app, 2).await;
    let bound = paired_kiosk(&app, &event, Some("Main Hall"), "Door").await;
    let free = paired_kiosk(&app, &event, None, "Door").await;
    let elsewhere = paired_kiosk(&app, &other, None, "Door").await;

    let (status, s) = device_self(&app, Some(&bound)).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["room"], "Main Hall");
    assert_eq!(s["revoked"], false);
    assert_eq!(s["event_id"], event.id);
    assert_eq!(s["event_slug"], demo::programme::SLUG);
    assert_eq!(s["time_zone"], "Europe/Berlin");
    assert!(s.get("token").is_none(), "the token is never sent back");
    let programme = demo::programme::cloud_summit();
    let rooms: Vec<&str> = s["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = programme.rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(rooms, expected, "every room, in programme order");
    let sessions = s["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), programme.sessions.len());
    for want in &programme.sessions {
        let got = sessions
            .iter()
            .find(|g| g["key"] == want.id.as_str())
            .unwrap_or_else(|| panic!("session {} listed", want.id));
        assert_eq!(got["title"], want.title.as_str());
        assert_eq!(got["room"], want.room.as_str());
        let starts: Timestamp = got["starts_at"].as_str().unwrap().parse().unwrap();
        let ends: Timestamp = got["ends_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            (starts, ends),
            (want.starts_at, want.ends_at),
            "{}",
            want.id
        );
    }
    assert_eq!(s["public_keys"].as_array().unwrap().len(), 1);
    assert_eq!(s["revocations"], json!([]), "no badge re-issued yet");

    // An unbound device of the same event sees the same event and no room binding.
    let (_, f) = device_self(&app, Some(&free)).await;
    assert_eq!(f["room"], Value::Null);
    assert_eq!(f["rooms"], s["rooms"]);

    // A device of another event sees only that event.
    let (_, o) = device_self(&app, Some(&elsewhere)).await;
    assert_eq!(o["event_id"], other.id);
    assert_eq!(o["event_name"], "Data Days 2026");
    assert_eq!(o["rooms"].as_array().unwrap().len(), 2);
    assert!(
        o["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| kept_room(&o, x))
    );
    assert_ne!(
        o["public_keys"], s["public_keys"],
        "each event has its own key"
    );

    // A re-issued badge and a new signing key show up at the next refresh.
    let (_, attendee_id) = people[1];
    registration::reissue_badge(&app.ctx, &event, attendee_id, Timestamp::now())
        .await
        .unwrap();
    app.ctx
        .badges
        .rotate(event.id, Timestamp::now())
        .await
        .unwrap();
    let (_, s) = device_self(&app, Some(&bound)).await;
    assert_eq!(s["revocations"], json!([[attendee_id, 2]]));
    assert_eq!(s["public_keys"].as_array().unwrap().len(), 2);
    let (_, o) = device_self(&app, Some(&elsewhere)).await;
    assert_eq!(
        o["revocations"],
        json!([]),
        "the other event's list is its own"
    );
}

fn kept_room(state: &Value, session: &Value) -> bool {
    state["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == session["room"])
}

async fn device_state_needs_a_live_token(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door").await;
    let (status, body) = device_self(&app, None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = device_self(&app, Some("not-a-token")).await;
    assert_eq!(status, 401);
    let r = app
        .client
        .get(app.url("/api/v1/devices/self"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "only a bearer token counts");

    let device = app.ctx.store.door().list_devices(event.id).await.unwrap()[0].clone();
    let fresh = door::rotate_token(&app.ctx, device.id)
        .await
        .unwrap()
        .unwrap();
    let (status, _) = device_self(&app, Some(&token)).await;
    assert_eq!(status, 401, "a rotated-out token stops at once");
    let (status, _) = device_self(&app, Some(&fresh)).await;
    assert_eq!(status, 200);
    app.ctx
        .store
        .door()
        .revoke_device(device.id, Timestamp::now())
        .await
        .unwrap();
    let (status, body) = device_self(&app, Some(&fresh)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badge_reissued_after_pairing_is_refused_offline() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = seed_event_now(&app).await;
    let people = register(&app, 1).await;
    let (old_badge, attendee_id) = people[0].clone();
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;

    // Re-issued (and signed with a key made after pairing) while the kiosk runs.
    app.ctx
        .badges
        .rotate(event.id, Timestamp::now())
        .await
        .unwrap();
    let new_badge = registration::reissue_badge(&app.ctx, &event, attendee_id, Timestamp::now())
        .await
        .unwrap()
        .token;
    // The kiosk refreshes on start: reopen it while online.
    c.refresh().await.unwrap();
    eventually(
        c,
        15,
        "const d = window.kiosk.device(); return d && d.public_keys.length === 2 ? d.revocations : null;",
        |v| v.is_array(),
    )
    .await;

    set_offline(c, true).await;
    let shown = wedge_scan(c, &old_badge).await;
    assert_eq!(field(&shown, "state"), "refused", "{shown}");
    assert_eq!(field(&shown, "source"), "local", "{shown}");
    assert!(
        field(&shown, "text").contains("Badge was replaced"),
        "{shown}"
    );
    let shown = wedge_scan(c, &new_badge).await;
    assert_eq!(
        field(&shown, "state"),
        "accepted",
        "the new key verifies offline: {shown}"
    );
    assert_eq!(field(&shown, "source"), "local", "{shown}");

    set_offline(c, false).await;
    eventually(c, 60, QUEUED, |v| v == "0").await;
    let stored = stored_scans(&app, event.id, 2, 10).await;
    let reasons: Vec<(&str, Option<&str>)> = stored
        .iter()
        .map(|s| (s.decision.as_str(), s.reason.map(|r| r.as_str())))
        .collect();
    assert_eq!(
        reasons,
        vec![("refused", Some("revoked")), ("accepted", None)]
    );
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbound_kiosk_chooses_its_room_from_the_list_and_shows_the_session_now() {
    let Some(PairedKiosk {
        app,
        event,
        people,
        browser: b,
        ..
    }) = paired_kiosk_page(2, None, "Roaming").await
    else {
        return;
    };
    let c = &b.client;

    let programme = demo::programme::cloud_summit();
    let options = c
        .execute(
            "return [...document.querySelectorAll('#room-select option')].map(o => o.value);",
            vec![],
        )
        .await
        .unwrap();
    let mut expected = vec![String::new()];
    expected.extend(programme.rooms.iter().map(|r| r.name.clone()));
    assert_eq!(options, json!(expected), "a choice among the event's rooms");
    let line = c
        .find(Locator::Id("session-line"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(line.contains("Choose the room"), "{line}");

    let k1 = programme.sessions.iter().find(|s| s.id == "K1").unwrap();
    click(c, Locator::Css("#room-select option[value='Main Hall']")).await;
    let line = c
        .find(Locator::Id("session-line"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(line.starts_with("Now: "), "{line}");
    assert!(line.contains(&k1.title), "{line}");

    // Entry, then exit for the second person, in the chosen room.
    let shown = wedge_scan(c, &people[0].0).await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    click(c, Locator::Id("dir-exit")).await;
    let pressed = c
        .find(Locator::Id("dir-exit"))
        .await
        .unwrap()
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(pressed.as_deref(), Some("true"));
    wedge_scan(c, &people[1].0).await;
    let stored = stored_scans(&app, event.id, 2, 30).await;
    assert_eq!(stored.len(), 2);
    let main_hall = app
        .ctx
        .store
        .door()
        .event_rooms(event.id)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, n)| n == "Main Hall")
        .unwrap()
        .0;
    assert!(
        stored.iter().all(|s| s.room_id == Some(main_hall)),
        "{stored:?}"
    );
    let dirs: Vec<&str> = stored.iter().map(|s| s.direction.as_str()).collect();
    assert_eq!(dirs, vec!["entry", "exit"]);
    assert_eq!(stored[0].decision, "accepted");

    // Another room: the line follows the choice.
    let other = programme
        .rooms
        .iter()
        .find(|r| r.name != "Main Hall")
        .unwrap();
    click(
        c,
        Locator::Css(&format!("#room-select option[value='{}']", other.name)),
    )
    .await;
    let line = c
        .find(Locator::Id("session-line"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!line.contains(&k1.title), "{line}");
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_kiosk_shows_its_room_only() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = seed_event_now(&app).await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;
    let v = c
        .execute(
            "return { picker: document.getElementById('room-picker').hidden, \
               room: document.getElementById('room-name').textContent, \
               session: document.getElementById('session-line').textContent };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(v["picker"], true, "{v}");
    assert_eq!(v["room"], "Main Hall", "{v}");
    assert!(field(&v, "session").starts_with("Now: "), "{v}");
    b.client.clone().close().await.unwrap();
}

/// Puts scans straight into the kiosk's IndexedDB queue, as a faulty kiosk version might.
const INJECT: &str = "const scans = arguments[0]; return new Promise((resolve, reject) => { \
    const open = indexedDB.open('badgetrail-kiosk', 2); \
    open.onerror = () => reject(String(open.error)); \
    open.onsuccess = () => { const tx = open.result.transaction('queue', 'readwrite'); \
      for (const s of scans) tx.objectStore('queue').put(s); \
      tx.oncomplete = () => { open.result.close(); resolve(true); }; \
      tx.onerror = () => reject(String(tx.error)); }; });";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_the_server_will_not_read_are_set_aside_and_the_rest_sync() {
    let Some(PairedKiosk {
        app,
        event,
        people,
        browser: b,
        ..
    }) = paired_kiosk_page(7, Some("Main Hall"), "Door").await
    else {
        return;
    };
    let c = &b.client;
    set_offline(c, true).await;

    let now = Timestamp::now().to_string();
    // A nonce of 65 characters (the server answers 422) and a badge text holding a lone
    // UTF-16 surrogate, which is not valid JSON text once sent (the server answers 400).
    let bad_nonce = "n".repeat(65);
    let bad = json!([
        { "nonce": bad_nonce, "seq": 1, "badge": people[0].0, "device_time": now,
          "direction": "entry", "room": "" },
        { "nonce": "surrogate", "seq": 4, "badge": "AB\u{FFFD}", "device_time": now,
          "direction": "entry", "room": "" },
    ]);
    c.execute(INJECT, vec![bad]).await.unwrap();
    // The second one gets its lone surrogate in the page, where strings are UTF-16.
    c.execute(
        "return new Promise((resolve) => { const open = indexedDB.open('badgetrail-kiosk', 2); \
           open.onsuccess = () => { const tx = open.result.transaction('queue', 'readwrite'); \
             const q = tx.objectStore('queue'); const g = q.get('surrogate'); \
             g.onsuccess = () => { const s = g.result; s.badge = 'AB\\ud800CD'; q.put(s); }; \
             tx.oncomplete = () => { open.result.close(); resolve(true); }; }; });",
        vec![],
    )
    .await
    .unwrap();
    // Good scans queued before, between and after them.
    for (badge, _) in &people[1..] {
        let shown = wedge_scan(c, badge).await;
        assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    }
    eventually(c, 15, QUEUED, |v| v == "8").await;

    set_offline(c, false).await;
    eventually(c, 60, QUEUED, |v| v == "0").await;
    let rejected = eventually(
        c,
        15,
        "return document.getElementById('rejected-count').textContent;",
        |v| v == "2",
    )
    .await;
    assert_eq!(rejected, "2");
    let warn = c
        .execute(
            "return document.getElementById('rejected').className;",
            vec![],
        )
        .await
        .unwrap();
    assert!(warn.as_str().unwrap().contains("warn"), "{warn}");
    let kept = c
        .execute(
            "return window.kiosk.rejected().then(r => r.map(s => [s.nonce, s.status]).sort());",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, json!([[bad_nonce, 422], ["surrogate", 400]]));

    let stored = stored_scans(&app, event.id, 6, 10).await;
    assert_eq!(
        stored.len(),
        6,
        "the six good scans, none of the bad: {stored:?}"
    );
    let attendees: HashSet<i64> = stored.iter().filter_map(|s| s.attendee_id).collect();
    let expected: HashSet<i64> = people[1..].iter().map(|(_, a)| *a).collect();
    assert_eq!(attendees, expected);

    // The set-aside scans are not sent again: later scans keep syncing.
    wedge_scan(c, &people[1].0).await;
    let stored = stored_scans(&app, event.id, 7, 30).await;
    assert_eq!(stored.len(), 7);
    assert_eq!(
        c.execute(
            "return document.getElementById('rejected-count').textContent;",
            vec![]
        )
        .await
        .unwrap(),
        "2"
    );
    b.client.clone().close().await.unwrap();
}
