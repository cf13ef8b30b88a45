//! The kiosk web app, served from files embedded in the binary.
//!
//! The app shell (page, ES modules, style, manifest, the decoder worker and the vendored QR
//! decoders, zxing-cpp's WebAssembly among them) lives in `kiosk/` and is compiled in, so a
//! deployment is one binary and a kiosk never needs a CDN. `FILES` is the one list of the
//! shell: it is served from here and written into the service worker (`kiosk/sw.js`), whose
//! cache name is a hash of every embedded file, so any change to the shell makes kiosks fetch
//! it anew. Every file is served with `no-cache` so a kiosk revalidates on each load and picks
//! up a new version; the service worker keeps a copy for when the network is gone.

use std::sync::LazyLock;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use crate::web::AppState;

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
/// The type `WebAssembly.instantiateStreaming` insists on; with any other the browser compiles
/// from a copied buffer instead, slower and with a warning.
const WASM: &str = "application/wasm";

/// The decoder worker's policy: the site's, plus compiling WebAssembly (zxing-cpp), which
/// `script-src 'self'` alone forbids. A dedicated worker runs under the policy sent with its
/// own script, so the page and every other file keep the stricter site-wide one.
const DECODER_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

/// Every file of the app shell, the page first: path, type, content. The service worker
/// keeps exactly these for offline use; it is not among them itself.
pub const FILES: &[(&str, &str, &[u8])] = &[
    (
        "/kiosk",
        "text/html; charset=utf-8",
        include_bytes!("../../../kiosk/index.html"),
    ),
    (
        "/kiosk/kiosk.js",
        JS,
        include_bytes!("../../../kiosk/kiosk.js"),
    ),
    (
        "/kiosk/screen.js",
        JS,
        include_bytes!("../../../kiosk/screen.js"),
    ),
    (
        "/kiosk/sync.js",
        JS,
        include_bytes!("../../../kiosk/sync.js"),
    ),
    (
        "/kiosk/device.js",
        JS,
        include_bytes!("../../../kiosk/device.js"),
    ),
    (
        "/kiosk/latency.js",
        JS,
        include_bytes!("../../../kiosk/latency.js"),
    ),
    (
        "/kiosk/store.js",
        JS,
        include_bytes!("../../../kiosk/store.js"),
    ),
    (
        "/kiosk/badge.js",
        JS,
        include_bytes!("../../../kiosk/badge.js"),
    ),
    (
        "/kiosk/door.js",
        JS,
        include_bytes!("../../../kiosk/door.js"),
    ),
    (
        "/kiosk/camera.js",
        JS,
        include_bytes!("../../../kiosk/camera.js"),
    ),
    (
        "/kiosk/decoder.js",
        JS,
        include_bytes!("../../../kiosk/decoder.js"),
    ),
    (
        "/kiosk/vendor/jsQR.js",
        JS,
        include_bytes!("../../../kiosk/vendor/jsQR.js"),
    ),
    (
        "/kiosk/vendor/jsQR.LICENSE",
        TEXT,
        include_bytes!("../../../kiosk/vendor/jsQR.LICENSE"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing-reader.js",
        JS,
        include_bytes!("../../../kiosk/vendor/zxing-wasm/zxing-reader.js"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing_reader.wasm",
        WASM,
        include_bytes!("../../../kiosk/vendor/zxing-wasm/zxing_reader.wasm"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/LICENSE",
        TEXT,
        include_bytes!("../../../kiosk/vendor/zxing-wasm/LICENSE"),
    ),
    (
        "/kiosk/vendor/zxing-wasm/zxing-cpp.LICENSE",
        TEXT,
        include_bytes!("../../../kiosk/vendor/zxing-wasm/zxing-cpp.LICENSE"),
    ),
    (
        "/kiosk/kiosk.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../kiosk/kiosk.css"),
    ),
    (
        "/kiosk/manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../../../kiosk/manifest.webmanifest"),
    ),
];

/// The worker that decodes camera frames (`kiosk/decoder.js`).
pub const DECODER: &str = "/kiosk/decoder.js";

/// `kiosk/sw.js` as written: the line `SHELL_MARKER` stands where the cache name and the file
/// list go.
const SERVICE_WORKER_TEMPLATE: &str = include_str!("../../../kiosk/sw.js");
const SHELL_MARKER: &str = "/* CACHE and SHELL: written here by the server (src/web/kiosk.rs) */";

/// The service worker as served, made once: the template with the cache name and `FILES`.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| service_worker_script(FILES));

/// The service worker's cache: `badgetrail-kiosk-` and the first 16 hex digits of a SHA-256
/// over every shell file (path, type and content) and the worker itself, so changing any of them
/// names a new cache, and the worker, changed with it, drops the old one.
fn cache_name(files: &[(&str, &str, &[u8])]) -> String {
    let mut hash = Sha256::new();
    for (path, content_type, body) in files {
        for part in [path.as_bytes(), content_type.as_bytes(), *body] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
    }
    hash.update(SERVICE_WORKER_TEMPLATE.as_bytes());
    let digest = HEXLOWER.encode(&hash.finalize());
    format!("badgetrail-kiosk-{}", &digest[..16])
}

fn service_worker_script(files: &[(&str, &str, &[u8])]) -> String {
    let paths: Vec<&str> = files.iter().map(|(path, _, _)| *path).collect();
    let generated = format!(
        "const CACHE = {};\nconst SHELL = {};",
        serde_json::to_string(&cache_name(files)).expect("a string is JSON"),
        serde_json::to_string_pretty(&paths).expect("strings are JSON"),
    );
    assert_eq!(
        SERVICE_WORKER_TEMPLATE.matches(SHELL_MARKER).count(),
        1,
        "kiosk/sw.js has one line for the cache name and the file list"
    );
    SERVICE_WORKER_TEMPLATE.replace(SHELL_MARKER, &generated)
}

pub fn router() -> Router<AppState> {
    let mut r = Router::new()
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

fn file(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// The worker lives under `/kiosk/` but also controls the page at `/kiosk` itself, which is
/// outside its default scope, hence the wider allowed scope.
async fn service_worker() -> Response {
    let mut r = file(JS, SERVICE_WORKER.as_str());
    r.headers_mut().insert(
        HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/kiosk"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_worker_keeps_every_shell_file_under_a_name_made_of_their_content() {
        let script = service_worker_script(FILES);
        assert!(!script.contains(SHELL_MARKER));
        for (path, _, _) in FILES {
            assert!(script.contains(&format!("\"{path}\"")), "{path}");
        }
        let name = cache_name(FILES);
        assert!(script.contains(&format!("const CACHE = \"{name}\";")));
        assert!(
            name.starts_with("badgetrail-kiosk-") && name.len() == 33,
            "{name}"
        );

        // One byte changed in one file names another cache.
        let mut files = FILES.to_vec();
        let mut page = files[0].2.to_vec();
        page.push(b'\n');
        files[0].2 = &page;
        assert_ne!(cache_name(&files), name);
    }
}
