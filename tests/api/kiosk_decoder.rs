//! The kiosk's QR decoder in headless Chromium: zxing-cpp's WebAssembly build, loaded from the
//! kiosk's own server (never a CDN), reads a hard frame jsQR cannot, also once the server is
//! gone and the service worker's copy is all there is.

use data_encoding::BASE64;
use fantoccini::Client;
use serde_json::{Value, json};

use crate::{
    camera_frames::{self, Kind},
    support::{
        app::{Db, spawn_app},
        browser::browser,
        kiosk_page::eventually,
    },
};

/// Every host name but the test server's fails to resolve, so a decoder that reached for a
/// CDN would not start.
const LOCAL_ONLY: &str = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1";

/// A noisy, small badge at 640x480 (seed chosen from `benches/camera_decode.rs`'s frames):
/// zxing-cpp reads it, jsQR does not.
const HARD_SEED: u64 = 5_000;
const HARD_KIND: Kind = Kind::Noisy;

fn hard_frame() -> (String, Vec<u8>) {
    let token = camera_frames::token_like(HARD_SEED);
    let frame = camera_frames::frame(&token, HARD_KIND, 640, 480, HARD_SEED);
    (token, frame)
}

/// The frame through the kiosk's decoder worker, as a camera frame reaches it, with the
/// decoder asked for (`None`: the one the kiosk picks): `{decoder, frames: [{text, ...}]}`.
async fn decode(c: &Client, frame: &[u8], prefer: Option<&str>) -> Value {
    c.execute(
        "const grey = Uint8Array.from(atob(arguments[0]), (ch) => ch.charCodeAt(0)); \
         return window.kiosk.camera.measureGreyFrames([grey], 640, 480, arguments[1], true);",
        vec![json!(BASE64.encode(frame)), json!(prefer)],
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_reads_a_hard_frame_that_jsqr_cannot_with_zxing_from_its_own_server() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let Some(b) = browser(&[LOCAL_ONLY]).await else {
        return;
    };
    let c = &b.client;
    c.goto(&app.url("/kiosk")).await.unwrap();
    let (token, frame) = hard_frame();

    let jsqr = decode(c, &frame, Some("jsQR")).await;
    assert_eq!(jsqr["decoder"], "jsQR", "{jsqr}");
    assert_eq!(
        jsqr["frames"][0]["text"],
        Value::Null,
        "jsQR cannot read it"
    );

    let zxing = decode(c, &frame, Some("zxing-wasm")).await;
    assert_eq!(
        zxing["decoder"], "zxing-wasm",
        "zxing-cpp's WebAssembly started with no host but ours: {zxing}"
    );
    assert_eq!(zxing["frames"][0]["text"], token.as_str(), "{zxing}");

    // What the kiosk picks by itself: the browser's own detector where it has one, else zxing.
    let has_detector = c
        .execute("return 'BarcodeDetector' in window;", vec![])
        .await
        .unwrap();
    let chosen = decode(c, &frame, None).await;
    if has_detector == Value::Bool(false) {
        assert_eq!(chosen["decoder"], "zxing-wasm", "{chosen}");
        assert_eq!(chosen["frames"][0]["text"], token.as_str(), "{chosen}");
    }
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_gone_the_kiosk_still_decodes_with_zxing_from_its_cache() {
    let Some(mut app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let Some(b) = browser(&[LOCAL_ONLY]).await else {
        return;
    };
    let c = &b.client;
    c.goto(&app.url("/kiosk")).await.unwrap();
    // The service worker controls the page and has kept the decoder and its WebAssembly.
    eventually(
        c,
        15,
        "return caches.keys().then(names => names.find(n => n.startsWith('badgetrail-kiosk-'))) \
           .then(name => name ? caches.open(name).then(c => \
              c.match('/kiosk/vendor/zxing-wasm/zxing_reader.wasm')) : null) \
           .then(r => !!navigator.serviceWorker.controller && !!r \
              && r.headers.get('content-type') === 'application/wasm');",
        |v| v == &Value::Bool(true),
    )
    .await;

    app.stop().await;
    c.refresh().await.unwrap();
    let (token, frame) = hard_frame();
    let zxing = decode(c, &frame, Some("zxing-wasm")).await;
    assert_eq!(zxing["decoder"], "zxing-wasm", "{zxing}");
    assert_eq!(zxing["frames"][0]["text"], token.as_str(), "{zxing}");
    b.client.clone().close().await.unwrap();
}
