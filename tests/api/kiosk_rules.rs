//! The kiosk deciding by the server's door rules in headless Chromium: offline it says what
//! the server says once the scans arrive, and a kiosk not bound to a room scans nothing
//! before staff choose one.

use fantoccini::Locator;

use crate::support::{
    app::{Db, spawn_app},
    browser::{browser, click},
    door::{new_device, register, seed_event_now_with, stored_scans},
    kiosk_page::{
        PairedKiosk, QUEUED, RESULT, eventually, field, pair_kiosk, paired_kiosk_page, set_offline,
        wedge_scan,
    },
};

/// The verdict on screen for the scan with `nonce`, once it came from `source`.
async fn shown_for(c: &fantoccini::Client, nonce: &str, source: &str) -> serde_json::Value {
    eventually(c, 30, RESULT, |v| {
        field(v, "nonce") == nonce && field(v, "source") == source
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_verdicts_are_the_verdicts_the_server_gives_later() {
    // The Main Hall's first session started ten minutes ago; Room A has nothing on until
    // the afternoon.
    let Some(PairedKiosk {
        app,
        event,
        people,
        browser: b,
        ..
    }) = paired_kiosk_page(2, Some("Main Hall"), "Hall").await
    else {
        return;
    };
    let c = &b.client;
    set_offline(c, true).await;
    c.execute("window.dispatchEvent(new Event('offline'));", vec![])
        .await
        .unwrap();

    // A first entry, the same badge again at once, and another person.
    let mut local = Vec::new();
    for badge in [&people[0].0, &people[0].0, &people[1].0] {
        let shown = wedge_scan(c, badge).await;
        assert_eq!(field(&shown, "source"), "local", "{shown}");
        local.push((
            field(&shown, "nonce").to_owned(),
            field(&shown, "state").to_owned(),
        ));
    }
    let states: Vec<&str> = local.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states, ["accepted", "duplicate", "accepted"]);
    eventually(c, 15, QUEUED, |v| v == "3").await;

    set_offline(c, false).await;
    eventually(c, 60, QUEUED, |v| v == "0").await;
    let stored = stored_scans(&app, event.id, 3, 10).await;
    let decisions: Vec<&str> = stored.iter().map(|s| s.decision.as_str()).collect();
    assert_eq!(decisions, states, "the server decided as the kiosk did");
    let last = shown_for(c, &local[2].0, "server").await;
    assert_eq!(field(&last, "state"), "accepted", "{last}");
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_session_running_a_scan_is_refused_offline_as_online() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    // Every session moved a day ahead: nothing runs now.
    let event = seed_event_now_with(&app, |p| {
        for s in &mut p.sessions {
            s.starts_at += jiff::SignedDuration::from_hours(24);
            s.ends_at += jiff::SignedDuration::from_hours(24);
        }
    })
    .await;
    let people = register(&app, 1).await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;
    set_offline(c, true).await;
    c.execute("window.dispatchEvent(new Event('offline'));", vec![])
        .await
        .unwrap();

    let offline = wedge_scan(c, &people[0].0).await;
    assert_eq!(field(&offline, "source"), "local", "{offline}");
    assert_eq!(field(&offline, "state"), "refused", "{offline}");
    assert!(
        field(&offline, "text").contains("No session here now"),
        "{offline}"
    );

    set_offline(c, false).await;
    let online = shown_for(c, field(&offline, "nonce"), "server").await;
    assert_eq!(field(&online, "state"), "refused", "{online}");
    assert!(
        field(&online, "text").contains("No session here now"),
        "{online}"
    );
    let stored = stored_scans(&app, event.id, 1, 10).await;
    assert_eq!(
        stored[0].reason.map(|r| r.as_str()),
        Some("outside_session")
    );
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_without_a_room_scans_nothing_until_staff_choose_one() {
    let Some(PairedKiosk {
        app,
        event,
        people,
        browser: b,
        ..
    }) = paired_kiosk_page(1, None, "Roaming").await
    else {
        return;
    };
    let c = &b.client;

    let wedge = c.active_element().await.unwrap();
    wedge
        .send_keys(&format!("{}{}", people[0].0, fantoccini::key::Key::Enter))
        .await
        .unwrap();
    let shown = eventually(c, 15, RESULT, |v| field(v, "state") == "refused").await;
    assert!(
        field(&shown, "text").contains("Choose the room of this door first"),
        "{shown}"
    );
    assert_eq!(field(&shown, "nonce"), "", "no scan was made: {shown}");
    eventually(c, 5, QUEUED, |v| v == "0").await;

    click(c, Locator::Css("#room-select option[value='Main Hall']")).await;
    let shown = wedge_scan(c, &people[0].0).await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    let stored = stored_scans(&app, event.id, 1, 30).await;
    assert_eq!(stored.len(), 1, "only the scan made in a room: {stored:?}");
    assert_eq!(stored[0].decision, "accepted");
    b.client.clone().close().await.unwrap();
}
