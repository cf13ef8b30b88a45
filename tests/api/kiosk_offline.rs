//! The kiosk offline in headless Chromium, against the real server on SQLite: the network cut
//! in the browser, and the server itself stopped and started again on the same database.

use std::collections::HashSet;

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::support::{
    app::TestApp,
    door::stored_scans,
    kiosk_page::{
        PairedKiosk, QUEUED, RESULT, eventually, field, paired_kiosk_page, set_offline, wedge_scan,
    },
};

/// Scans every badge through the wedge; each is accepted on the device and queued behind the
/// `queued` scans already waiting.
async fn scan_all_offline(c: &Client, badges: &[(String, i64)], queued: usize) {
    for (i, (badge, _)) in badges.iter().enumerate() {
        let shown = wedge_scan(c, badge).await;
        assert_eq!(field(&shown, "state"), "accepted", "scan {i}: {shown}");
        assert_eq!(field(&shown, "source"), "local", "scan {i}: {shown}");
        assert!(
            field(&shown, "text").contains("Offline"),
            "scan {i}: {shown}"
        );
    }
    let want = (queued + badges.len()).to_string();
    eventually(c, 15, QUEUED, |v| v.as_str() == Some(want.as_str())).await;
}

/// After coming back: the queue empties and exactly these badges are stored, once each.
async fn all_stored_once(c: &Client, app: &TestApp, event_id: i64, badges: &[(String, i64)]) {
    eventually(c, 60, QUEUED, |v| v == "0").await;
    let stored = stored_scans(app, event_id, badges.len(), 10).await;
    assert_eq!(stored.len(), badges.len(), "every scan stored exactly once");
    let attendees: HashSet<i64> = stored.iter().filter_map(|s| s.attendee_id).collect();
    let expected: HashSet<i64> = badges.iter().map(|(_, a)| *a).collect();
    assert_eq!(attendees, expected);
    assert!(
        stored.iter().all(|s| s.decision == "accepted"),
        "{stored:?}"
    );
}

async fn server_is_down(app: &TestApp) -> bool {
    reqwest::Client::new()
        .get(app.url("/healthz"))
        .send()
        .await
        .is_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_badges_scanned_with_the_network_cut_are_stored_once_each() {
    let Some(PairedKiosk {
        app,
        event,
        people: badges,
        browser: b,
        ..
    }) = paired_kiosk_page(50, Some("Main Hall"), "Door").await
    else {
        return;
    };
    let c = &b.client;

    set_offline(c, true).await;
    c.execute("window.dispatchEvent(new Event('offline'));", vec![])
        .await
        .unwrap();
    scan_all_offline(c, &badges, 0).await;
    assert!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .is_empty()
    );

    set_offline(c, false).await;
    all_stored_once(c, &app, event.id, &badges).await;
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_badges_scanned_while_the_server_is_stopped_are_stored_after_its_restart() {
    let Some(PairedKiosk {
        mut app,
        event,
        people: badges,
        browser: b,
        ..
    }) = paired_kiosk_page(50, Some("Main Hall"), "Door").await
    else {
        return;
    };
    let c = &b.client;

    app.stop().await;
    assert!(server_is_down(&app).await, "the server is really gone");
    // The first scan finds the server gone; from then on the kiosk says it works offline.
    let first = wedge_scan(c, &badges[0].0).await;
    assert_eq!(field(&first, "state"), "accepted", "{first}");
    eventually(
        c,
        15,
        "return document.getElementById('net-state').textContent;",
        |v| v == "server unreachable",
    )
    .await;
    scan_all_offline(c, &badges[1..], 1).await;

    app.restart().await;
    all_stored_once(c, &app, event.id, &badges).await;
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_badge_is_refused_offline_and_its_refusal_uploaded_later() {
    let Some(PairedKiosk {
        app,
        event,
        people: badges,
        browser: b,
        ..
    }) = paired_kiosk_page(1, Some("Main Hall"), "Door").await
    else {
        return;
    };
    let c = &b.client;
    set_offline(c, true).await;

    let mut forged: Vec<char> = badges[0].0.chars().collect();
    forged[70] = if forged[70] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let shown = wedge_scan(c, &forged).await;
    assert_eq!(field(&shown, "state"), "refused", "{shown}");
    assert_eq!(field(&shown, "source"), "local", "{shown}");
    assert!(field(&shown, "text").contains("Forged badge"), "{shown}");
    let shown = wedge_scan(c, &badges[0].0).await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    eventually(c, 15, QUEUED, |v| v == "2").await;

    set_offline(c, false).await;
    eventually(c, 60, QUEUED, |v| v == "0").await;
    let stored = stored_scans(&app, event.id, 2, 10).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let refused: Vec<_> = stored.iter().filter(|s| s.decision == "refused").collect();
    assert_eq!(refused.len(), 1, "{stored:?}");
    assert_eq!(refused[0].reason.map(|r| r.as_str()), Some("forged"));
    assert_eq!(refused[0].attendee_id, None);
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_reloaded_while_the_server_is_down_opens_offline_and_keeps_its_queue() {
    let Some(PairedKiosk {
        mut app,
        event,
        people: badges,
        browser: b,
        ..
    }) = paired_kiosk_page(3, Some("Main Hall"), "Door").await
    else {
        return;
    };
    let c = &b.client;
    // The service worker controls the page and holds the whole app shell.
    eventually(
        c,
        15,
        "return caches.keys().then(names => names.find(n => n.startsWith('badgetrail-kiosk-'))) \
           .then(name => name ? caches.open(name).then(c => c.keys()) : []) \
           .then(k => !!navigator.serviceWorker.controller && k.length);",
        |v| v.as_u64() >= Some(10),
    )
    .await;

    app.stop().await;
    assert!(server_is_down(&app).await);
    for (badge, _) in &badges[..2] {
        let shown = wedge_scan(c, badge).await;
        assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    }
    eventually(c, 15, QUEUED, |v| v == "2").await;

    c.refresh().await.unwrap();
    c.wait()
        .for_element(Locator::Css("#scanning:not([hidden])"))
        .await
        .unwrap();
    assert!(
        server_is_down(&app).await,
        "the page came from the service worker"
    );
    let page = c
        .execute(
            "return { controlled: !!navigator.serviceWorker.controller, \
               event: document.getElementById('event-name').textContent, \
               room: document.getElementById('room-name').textContent };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(page["controlled"], Value::Bool(true), "{page}");
    assert_eq!(page["event"], event.info.name.as_str(), "{page}");
    assert_eq!(page["room"], "Main Hall", "{page}");
    eventually(c, 15, QUEUED, |v| v == "2").await;
    // Still scanning and verifying on the device after the reload.
    let shown = wedge_scan(c, &badges[2].0).await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    let shown = c.execute(RESULT, vec![]).await.unwrap();
    assert_eq!(field(&shown, "source"), "local");

    app.restart().await;
    all_stored_once(c, &app, event.id, &badges).await;
    b.client.clone().close().await.unwrap();
}
