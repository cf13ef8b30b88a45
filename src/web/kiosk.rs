//! The kiosk web app, served from files embedded in the binary.
//!
//! The app shell (page, scripts, style, manifest, service worker, the decoder worker and the
//! vendored QR decoder) lives in `kiosk/` and is compiled in, so a deployment is one binary.
//! Every file is served with `no-cache` so a kiosk revalidates on each load and picks up a
//! new version; the service worker keeps a copy for when the network is gone.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use super::AppState;

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the app shell but the page and the service worker: path, type, content.
pub const FILES: &[(&str, &str, &str)] = &[
    ("/kiosk/kiosk.js", JS, include_str!("../../kiosk/kiosk.js")),
    ("/kiosk/store.js", JS, include_str!("../../kiosk/store.js")),
    ("/kiosk/badge.js", JS, include_str!("../../kiosk/badge.js")),
    ("/kiosk/door.js", JS, include_str!("../../kiosk/door.js")),
    (
        "/kiosk/camera.js",
        JS,
        include_str!("../../kiosk/camera.js"),
    ),
    (
        "/kiosk/decoder.js",
        JS,
        include_str!("../../kiosk/decoder.js"),
    ),
    (
        "/kiosk/vendor/jsQR.js",
        JS,
        include_str!("../../kiosk/vendor/jsQR.js"),
    ),
    (
        "/kiosk/vendor/jsQR.LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../kiosk/vendor/jsQR.LICENSE"),
    ),
    (
        "/kiosk/kiosk.css",
        "text/css; charset=utf-8",
        include_str!("../../kiosk/kiosk.css"),
    ),
    (
        "/kiosk/manifest.webmanifest",
        "application/manifest+json",
        include_str!("../../kiosk/manifest.webmanifest"),
    ),
];

const INDEX: &str = include_str!("../../kiosk/index.html");
const SERVICE_WORKER: &str = include_str!("../../kiosk/sw.js");

pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/kiosk", get(index))
        .route("/kiosk/", get(|| async { Redirect::permanent("/kiosk") }))
        .route("/kiosk/sw.js", get(service_worker));
    for &(path, content_type, body) in FILES {
        r = r.route(path, get(move || async move { file(content_type, body) }));
    }
    r
}

fn file(content_type: &'static str, body: &'static str) -> Response {
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
