//! The kiosk web app in headless Chromium: pairing, a keyboard-wedge scan verified on the
//! device and synced to the server, and a forged badge refused on the spot.

use fantoccini::{Locator, key::Key};
use serde_json::Value;

use crate::support::{
    app::{Db, spawn_app},
    browser::{browser, click},
    door::{new_device, register, seed_event_now, stored_scans},
    forms::{register_badge, valid_form},
    kiosk_page::{NetworkConditions, RESULT, eventually, field, pair_kiosk},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_pairs_scans_offline_first_and_refuses_a_forged_badge() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let badge = register_badge(&app, &valid_form("ada@example.com")).await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;

    // The app shell is served with its content types, revalidated on every load.
    for (path, ty) in [
        ("/kiosk", "text/html"),
        ("/kiosk/kiosk.js", "text/javascript"),
        ("/kiosk/kiosk.css", "text/css"),
        ("/kiosk/manifest.webmanifest", "application/manifest+json"),
        ("/kiosk/sw.js", "text/javascript"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ty),
            "{path}"
        );
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
    }

    // Every file of the shell is served and kept by the service worker for offline use.
    let worker = app.get_text("/kiosk/sw.js").await;
    for (path, ty, body) in badgetrail::web::door::kiosk::FILES {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], *ty, "{path}");
        assert_eq!(&r.bytes().await.unwrap()[..], *body, "{path}");
        assert!(
            worker.contains(&format!("\"{path}\"")),
            "{path} is cached offline"
        );
    }

    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    c.goto(&app.url("/kiosk")).await.unwrap();

    // Pairing.
    let code = c
        .wait()
        .for_element(Locator::Css("#pairing:not([hidden]) #pair-code"))
        .await
        .unwrap();
    code.send_keys(&device.pairing_code).await.unwrap();
    click(c, Locator::Id("pair-submit")).await;
    c.wait()
        .for_element(Locator::Css("#scanning:not([hidden])"))
        .await
        .unwrap();
    // The device state (sessions, door rules) arrives right after pairing.
    eventually(
        c,
        15,
        "const d = window.kiosk.device(); return !!(d && d.refreshed_at);",
        |v| v == &Value::Bool(true),
    )
    .await;
    let header = c
        .find(Locator::Css("#scanning header"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(header.contains("Main Hall"), "{header}");
    assert!(header.contains(&event.info.name), "{header}");

    // Every verdict the panel shows, in order, with where it came from.
    c.execute(
        "const r = document.getElementById('result'); window.verdicts = []; \
         new MutationObserver(() => window.verdicts.push(r.dataset.source + ':' + r.dataset.state)) \
           .observe(r, { attributes: true, attributeFilter: ['data-nonce', 'data-state', 'data-source'] });",
        vec![],
    )
    .await
    .unwrap();

    // A handheld scanner types into the focused wedge input and presses Enter.
    let wedge = c.active_element().await.unwrap();
    assert_eq!(wedge.attr("id").await.unwrap().as_deref(), Some("wedge"));
    wedge.send_keys(&badge).await.unwrap();
    wedge.send_keys(&Key::Enter.to_string()).await.unwrap();
    eventually(c, 15, RESULT, |v| field(v, "state") != "idle").await;

    // The scan reaches the server; now is outside every session of the demo programme.
    let stored = stored_scans(&app, event.id, 1, 15).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].decision, "refused");
    assert_eq!(
        stored[0].reason.map(|r| r.as_str()),
        Some("outside_session")
    );
    assert_eq!(stored[0].direction, "entry");
    let shown = eventually(c, 15, RESULT, |v| field(v, "source") == "server").await;
    assert_eq!(field(&shown, "state"), "refused");
    assert!(
        field(&shown, "text").contains("No session here now"),
        "{shown}"
    );
    let seen = c.execute("return window.verdicts;", vec![]).await.unwrap();
    let seen: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        seen.first(),
        Some(&"local:refused"),
        "the device decides first, by the server's rules: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&"server:refused"), "{seen:?}");
    eventually(
        c,
        15,
        "return document.getElementById('queue-count').textContent;",
        |v| v == "0",
    )
    .await;

    // One character changed: refused on the device before any answer from the server.
    let mut forged: Vec<char> = badge.chars().collect();
    forged[60] = if forged[60] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let wedge = c.active_element().await.unwrap();
    assert_eq!(wedge.attr("id").await.unwrap().as_deref(), Some("wedge"));
    c.execute("window.verdicts = [];", vec![]).await.unwrap();
    wedge.send_keys(&forged).await.unwrap();
    wedge.send_keys(&Key::Enter.to_string()).await.unwrap();
    eventually(c, 15, RESULT, |v| {
        field(v, "state") == "refused" && field(v, "text").contains("Forged badge")
    })
    .await;
    let seen = c.execute("return window.verdicts;", vec![]).await.unwrap();
    assert_eq!(seen[0], "local:refused", "refused on the device: {seen}");

    // The refusal is still sent, so the server keeps it too.
    let stored = stored_scans(&app, event.id, 2, 15).await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .any(|s| s.reason.map(|r| r.as_str()) == Some("forged"))
    );

    // The app shell is registered for offline use.
    eventually(
        c,
        15,
        "return navigator.serviceWorker.getRegistration('/kiosk')\
           .then(r => !!(r && (r.active || r.waiting || r.installing)));",
        |v| v == &Value::Bool(true),
    )
    .await;
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_made_offline_are_kept_and_sent_when_the_network_returns() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    // A session runs now, and three people come: three scans the server accepts.
    let event = seed_event_now(&app).await;
    let badges = register(&app, 3).await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;

    c.issue_cmd(NetworkConditions { offline: true })
        .await
        .unwrap();
    for (badge, _) in &badges {
        let wedge = c.active_element().await.unwrap();
        assert_eq!(wedge.attr("id").await.unwrap().as_deref(), Some("wedge"));
        wedge
            .send_keys(&format!("{badge}{}", Key::Enter))
            .await
            .unwrap();
        let shown = eventually(c, 15, RESULT, |v| field(v, "state") == "accepted").await;
        assert_eq!(field(&shown, "source"), "local", "{shown}");
    }
    eventually(
        c,
        15,
        "return document.getElementById('queue-count').textContent;",
        |v| v == "3",
    )
    .await;
    assert!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .is_empty()
    );

    c.issue_cmd(NetworkConditions { offline: false })
        .await
        .unwrap();
    c.execute("window.dispatchEvent(new Event('online'));", vec![])
        .await
        .unwrap();
    eventually(
        c,
        15,
        "return document.getElementById('queue-count').textContent;",
        |v| v == "0",
    )
    .await;
    let stored = app.ctx.store.door().event_scans(event.id).await.unwrap();
    assert_eq!(stored.len(), 3, "every queued scan is sent once");
    b.client.clone().close().await.unwrap();
}
