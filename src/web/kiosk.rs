//! The kiosk web app, served from files embedded in the binary.
//!
//! The app shell (page, script, style, manifest, service worker) lives in `kiosk/` and is
//! compiled in, so a deployment is one binary. Every file is served with `no-cache` so a
//! kiosk revalidates on each load and picks up a new version; the service worker keeps a
//! copy for when the network is gone.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use super::AppState;

const INDEX: &str = include_str!("../../kiosk/index.html");
const SCRIPT: &str = include_str!("../../kiosk/kiosk.js");
const STYLE: &str = include_str!("../../kiosk/kiosk.css");
const MANIFEST: &str = include_str!("../../kiosk/manifest.webmanifest");
const SERVICE_WORKER: &str = include_str!("../../kiosk/sw.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kiosk", get(index))
        .route("/kiosk/", get(|| async { Redirect::permanent("/kiosk") }))
        .route("/kiosk/kiosk.js", get(script))
        .route("/kiosk/kiosk.css", get(style))
        .route("/kiosk/manifest.webmanifest", get(manifest))
        .route("/kiosk/sw.js", get(service_worker))
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

async fn script() -> Response {
    file("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    file("text/css; charset=utf-8", STYLE)
}

async fn manifest() -> Response {
    file("application/manifest+json", MANIFEST)
}

/// The worker lives under `/kiosk/` but also controls the page at `/kiosk` itself, which is
/// outside its default scope, hence the wider allowed scope.
async fn service_worker() -> Response {
    let mut r = file("text/javascript; charset=utf-8", SERVICE_WORKER);
    r.headers_mut().insert(
        HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/kiosk"),
    );
    r
}
