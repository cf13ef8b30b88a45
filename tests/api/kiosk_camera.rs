//! Scanning through the camera in headless Chromium, its camera fed a video of a real badge,
//! and the plain-words message when the camera is refused.

use fantoccini::Locator;
use serde_json::Value;

use crate::{
    kiosk_video::{add_noise, badge_frame, shrunk, write_y4m},
    support::{
        app::{Db, spawn_app},
        browser::{browser, click},
        door::{new_device, register, seed_event_now, stored_scans},
        kiosk_page::{RESULT, eventually, field, pair_kiosk, wedge_scan},
    },
};

const DECODER: &str = "return { has: 'BarcodeDetector' in window, stats: window.kiosk.decodeStats(), \
     diag: document.getElementById('camera-diag').textContent };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badge_held_to_the_camera_is_scanned_once_and_stored_for_its_attendee() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = seed_event_now(&app).await;
    let people = register(&app, 2).await;
    let (badge, attendee_id) = people[1].clone();
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;

    // Ten frames of the badge, off centre and smaller on grey, with sensor noise; Chromium
    // loops the file as its camera.
    let video = app.dir.path().join("badge.y4m");
    let frames: Vec<Vec<u8>> = (0..10)
        .map(|i| {
            let mut f = shrunk(&badge_frame(&badge, 100, 40, 140), 150, 120, 140);
            add_noise(&mut f, i, 10);
            f
        })
        .collect();
    write_y4m(&video, &frames, 30);
    let capture = format!("--use-file-for-fake-video-capture={}", video.display());
    let Some(b) = browser(&[
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        &capture,
    ])
    .await
    else {
        return;
    };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;

    click(c, Locator::Id("camera-toggle")).await;
    let stored = stored_scans(&app, event.id, 1, 30).await;
    assert_eq!(
        stored.len(),
        1,
        "the badge in front of the camera is scanned"
    );
    assert_eq!(stored[0].attendee_id, Some(attendee_id), "{stored:?}");
    assert_eq!(stored[0].decision, "accepted", "{stored:?}");
    let shown = eventually(c, 15, RESULT, |v| field(v, "source") == "server").await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");

    // Which decoder really ran: headless Chromium on Linux has no BarcodeDetector, so this
    // is the vendored zxing-cpp WebAssembly in the worker; where the browser has one, the
    // test says so.
    let d = eventually(c, 10, DECODER, |v| v["stats"]["frames"].as_u64() >= Some(5)).await;
    let has_detector = d["has"] == Value::Bool(true);
    let decoder = d["stats"]["decoder"].as_str().unwrap().to_owned();
    eprintln!(
        "camera decoder in this Chromium: {decoder} (BarcodeDetector present: {has_detector})"
    );
    if !has_detector {
        assert_eq!(decoder, "zxing-wasm");
    }
    assert!(d["stats"]["p50"].as_f64().unwrap() > 0.0, "{d}");
    assert!(
        d["stats"]["p95"].as_f64() >= d["stats"]["p50"].as_f64(),
        "{d}"
    );
    assert!(field(&d, "diag").contains("decode p50"), "{d}");
    assert!(field(&d, "diag").contains(&decoder), "{d}");

    // The badge stays in view for more frames: it is not scanned again. The camera counts
    // the codes it passes on to be scanned, so once it has decoded those frames, nothing
    // more can be on its way to the server.
    let frames_then = d["stats"]["frames"].as_u64().unwrap();
    let d = eventually(c, 20, DECODER, |v| {
        v["stats"]["frames"].as_u64() >= Some(frames_then + 20)
    })
    .await;
    assert_eq!(d["stats"]["codes"], 1, "passed on once: {d}");
    assert_eq!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Stopping the camera ends the stream and hides the preview.
    click(c, Locator::Id("camera-toggle")).await;
    let state = c
        .execute(
            "return { text: document.getElementById('camera-toggle').textContent, \
               hidden: document.getElementById('camera-video').hidden, \
               running: window.kiosk.camera.isRunning() };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state["text"], "Start camera", "{state}");
    assert_eq!(state["hidden"], true, "{state}");
    assert_eq!(state["running"], false, "{state}");
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_camera_is_explained_in_plain_words() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let people = register(&app, 1).await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[
        "--use-fake-device-for-media-stream",
        "--deny-permission-prompts",
    ])
    .await
    else {
        return;
    };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;
    click(c, Locator::Id("camera-toggle")).await;
    let message = eventually(
        c,
        15,
        "return document.getElementById('camera-message').textContent;",
        |v| v.as_str().is_some_and(|s| s.contains("refused")),
    )
    .await;
    assert!(
        message.as_str().unwrap().contains("Allow the camera"),
        "{message}"
    );
    let running = c
        .execute("return window.kiosk.camera.isRunning();", vec![])
        .await
        .unwrap();
    assert_eq!(running, false);
    // The handheld scanner still works, focus back on the wedge after the camera button.
    // Its result is the kiosk's own rules' or, on a quick network, already the server's.
    let shown = wedge_scan(c, &people[0].0).await;
    assert!(
        matches!(field(&shown, "source"), "local" | "server"),
        "{shown}"
    );
    assert_ne!(field(&shown, "state"), "idle", "{shown}");
    assert!(!field(&shown, "nonce").is_empty(), "{shown}");
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_choose_among_several_cameras() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[
        "--use-fake-device-for-media-stream=device-count=2",
        "--use-fake-ui-for-media-stream",
    ])
    .await
    else {
        return;
    };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;
    click(c, Locator::Id("camera-toggle")).await;
    const CHOICE: &str = "const s = document.getElementById('camera-select'); \
        return { hidden: document.getElementById('camera-choice').hidden, \
                 options: [...s.options].map(o => o.value), chosen: s.value };";
    let first = eventually(c, 15, CHOICE, |v| {
        v["options"].as_array().is_some_and(|o| o.len() == 2)
    })
    .await;
    assert_eq!(first["hidden"], false, "{first}");
    let other = first["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| **o != first["chosen"])
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    click(
        c,
        Locator::Css(&format!("#camera-select option[value='{other}']")),
    )
    .await;
    let now = eventually(
        c,
        15,
        "const v = document.getElementById('camera-video'); \
         const t = v.srcObject && v.srcObject.getVideoTracks()[0]; \
         return t ? t.getSettings().deviceId : null;",
        |v| v.as_str() == Some(other.as_str()),
    )
    .await;
    assert_eq!(now, other.as_str());
    let chosen = c.execute(CHOICE, vec![]).await.unwrap();
    assert_eq!(chosen["chosen"], other.as_str(), "{chosen}");
    // The choice is remembered for the next start.
    let saved = c
        .execute("return localStorage.getItem('bt.kiosk.camera');", vec![])
        .await
        .unwrap();
    assert_eq!(saved, other.as_str());
    b.client.clone().close().await.unwrap();
}
