//! The kiosk web app, served from files embedded in the binary.
//!
//! The app shell (page, ES modules, style, manifest, service worker, the decoder worker and the
//! vendored QR decoders, zxing-cpp's WebAssembly among them) lives in `kiosk/` and is compiled
//! in, so a deployment is one binary and a kiosk never needs a CDN. Every file is served with
//! `no-cache` so a kiosk revalidates on each load and picks up a new version; the service
//! worker keeps a copy for when the network is gone.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use super::AppState;

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
/// The type `WebAssembly.instantiateStreaming` insists on; with any other the browser compiles
/// from a copied buffer instead, slower and with a warning.
const WASM: &str = "application/wasm";

/// The decoder worker's policy: the site's, plus compiling WebAssembly (zxing-cpp), which
/// `script-src 'self'` alone forbids. A dedicated worker runs under the policy sent with its
/// own script, so the page and every other file keep the stricter site-wide one.
const DECODER_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

/// Every file of the app shell but the page and the service worker: path, type, content.
pub const FILES: &[(&str, &str, &[u8])] = &[
    (
        "/kiosk/kiosk.js",
        JS,
        include_bytes!("../../kiosk/kiosk.js"),
    ),
    (
        "/kiosk/screen.js",
        JS,
        include_bytes!("../../kiosk/screen.js"),
    ),
    ("/kiosk/sync.js", JS, include_bytes!("../../kiosk/sync.js")),
    (
        "/kiosk/device.js",
        JS,
        include_bytes!("../../kiosk/device.js"),
    ),
    (
        "/kiosk/latency.js",
        JS,
        include_bytes!("../../kiosk/latency.js"),
    ),
    (
        "/kiosk/store.js",
        JS,
        include_bytes!("../../kiosk/store.js"),
    ),
    (
        "/kiosk/badge.js",
        JS,
        include_bytes!("../../kiosk/badge.js"),
    ),
    ("/kiosk/door.js", JS, include_bytes!("../../kiosk/door.js")),
    (
        "/kiosk/camera.js",
        JS,
        include_bytes!("../../kiosk/camera.js"),
    ),
    (
        "/kiosk/decoder.js",
        JS,
        include_bytes!("../../kiosk/decoder.js"),
    ),
    (
        "/kiosk/vendor/jsQR.js",
        JS,
        include_bytes!("../../kiosk/vendor/jsQR.js"),
    ),
    (
        "/kiosk/vendor/jsQR.LICENSE",
        TEXT,
        include_bytes!("../../kiosk/vendor/jsQR.LICENSE"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing-reader.js",
        JS,
        include_bytes!("../../kiosk/vendor/zxing-wasm/zxing-reader.js"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing_reader.wasm",
        WASM,
        include_bytes!("../../kiosk/vendor/zxing-wasm/zxing_reader.wasm"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/LICENSE",
        TEXT,
        include_bytes!("../../kiosk/vendor/zxing-wasm/LICENSE"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing-cpp.LICENSE",
        TEXT,
        include_bytes!("../../kiosk/vendor/zxing-wasm/zxing-cpp.LICENSE"),
    ),
    (
        "/kiosk/kiosk.css",
        "text/css; charset=utf-8",
        include_bytes!("../../kiosk/kiosk.css"),
    ),
    (
        "/kiosk/manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../../kiosk/manifest.webmanifest"),
    ),
];

/// The worker that decodes camera frames (`kiosk/decoder.js`).
pub const DECODER: &str = "/kiosk/decoder.js";

const INDEX: &[u8] = include_bytes!("../../kiosk/index.html");
const SERVICE_WORKER: &[u8] = include_bytes!("../../kiosk/sw.js");

pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/kiosk", get(index))
        .route("/kiosk/", get(|| async { Redirect::permanent("/kiosk") }))
        .route("/kiosk/sw.js", get(service_worker));
    for &(path, content_type, body) in FILES {
        r = r.route(
            path,
            get(move || async move { served(path, content_type, body) }),
        );
    }
    r
}

fn served(path: &str, content_type: &'static str, body: &'static [u8]) -> Response {
    let mut r = file(content_type, body);
    if path == DECODER {
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DECODER_CSP),
        );
    }
    r
}

fn file(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    file("text/html; charset=utf-8", INDEX)
}

/// The worker lives under `/kiosk/` but also controls the page at `/kiosk` itself, which is
/// outside its default scope, hence the wider allowed scope.
async fn service_worker() -> Response {
    let mut r = file(JS, SERVICE_WORKER);
    r.headers_mut().insert(
        HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/kiosk"),
    );
    r
}
