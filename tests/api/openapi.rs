//! The OpenAPI description of `/api/v1`: the copy in `docs/` is the one the code generates, it is
//! served, every documented operation is routed, every `/api` path in the code and the kiosk is
//! documented, and a TypeScript client generated from it type-checks the kiosk's calls.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use badgetrail::web::openapi;
use serde_json::Value;

use crate::support::app::{Db, cannot_run, spawn_app};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The checked-in description; `UPDATE_OPENAPI=1` rewrites it from the code.
const DOCS_COPY: &str = "docs/openapi.json";
/// Where openapi-typescript and TypeScript are pinned (`npm ci` there, as `./scripts/test` does).
const CHECK_DIR: &str = "tools/openapi-check";

fn described() -> Value {
    serde_json::from_str(&openapi::description_json()).unwrap()
}

/// `(path, method)` of every operation under `paths`.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&&**method) {
                all.push((path.clone(), method.to_uppercase()));
            }
        }
    }
    all
}

#[test]
fn the_description_in_docs_is_the_one_the_code_generates() {
    let generated = openapi::description_json();
    let path = Path::new(ROOT).join(DOCS_COPY);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == generated,
        "{DOCS_COPY} differs from the description the code generates: \
         run `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit the result"
    );
    let doc = described();
    assert_eq!(doc["openapi"], "3.1.0");
    for webhook in ["leadRouted", "outcomeRecorded"] {
        assert!(doc["webhooks"][webhook]["post"]["requestBody"].is_object());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_description_is_served_to_anyone() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let r = app.get(openapi::PATH).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    // The site's security headers apply here too.
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.text().await.unwrap(), openapi::description_json());
}

/// A request that no route matched is counted as `unmatched`, so a series labelled with a
/// documented path and method exists only if the router really has that route. The label
/// comes from the router itself, whatever the handler answered (a handler's own 404 for an
/// unknown token still counts under its route).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let doc = described();
    let ops = operations(&doc);
    assert!(ops.len() >= 6, "too few operations: {ops:?}");
    for (path, method) in &ops {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), 405, "{method} {path}: method not routed");
    }
    // From this machine without a metrics token, the scrape is allowed.
    let metrics = app.get_text("/metrics").await;
    for (path, method) in &ops {
        let route = format!("route=\"{path}\"");
        let method_label = format!("method=\"{method}\"");
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("badgetrail_http_requests_total{")
                    && l.contains(&route)
                    && l.contains(&method_label)),
            "{method} {path} is documented but no route answered it"
        );
    }
}

/// The routes of this binary cannot be listed, so the other direction reads the source: every
/// string literal that starts with `/api` in `src/` (route paths, `#[utoipa::path]`, a `nest`
/// prefix) and in the kiosk's scripts (the paths it fetches) must be a documented path. A
/// route added under `/api` outside `web::openapi` therefore fails here until it is
/// registered there, where the description comes with it.
#[test]
fn every_api_path_in_the_code_and_the_kiosk_is_documented() {
    let doc = described();
    let documented: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let mut files = Vec::new();
    collect_files(&Path::new(ROOT).join("src"), "rs", &mut files);
    collect_files(&Path::new(ROOT).join("kiosk"), "js", &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Rust has one string quote; the kiosk's JavaScript has three.
        let quotes: &[char] = if file.extension().is_some_and(|e| e == "js") {
            &['"', '\'', '`']
        } else {
            &['"']
        };
        for &quote in quotes {
            let opening = format!("{quote}/api");
            for (at, _) in text.match_indices(&opening) {
                let rest = &text[at + 1..];
                let end = rest.find(quote).unwrap_or(rest.len());
                found.push((file.clone(), rest[..end].to_owned()));
            }
        }
    }
    let undocumented: Vec<_> = found
        .iter()
        .filter(|(_, path)| !documented.contains(&path))
        .map(|(file, path)| format!("{path} in {}", file.display()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "paths under /api that the description lacks: {undocumented:?}"
    );
    // The kiosk's three calls and every route are among what was read.
    for path in documented {
        assert!(
            found.iter().any(|(_, p)| p == path),
            "{path} not found in the source"
        );
    }
    // The kiosk's calls live in its device and sync modules.
    for script in ["kiosk/device.js", "kiosk/sync.js"] {
        assert!(found.iter().any(|(f, _)| f.ends_with(script)), "{script}");
    }
}

fn collect_files(dir: &Path, ext: &str, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Third-party code (jsQR) fetches nothing of ours.
            if !path.ends_with("vendor") {
                collect_files(&path, ext, into);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            into.push(path);
        }
    }
}

/// openapi-typescript turns the description into TypeScript types; TypeScript then checks the
/// kiosk's own scripts, unchanged, with `fetch` and `JSON.stringify` typed by those types for
/// the kiosk's API paths (`tools/openapi-check/kiosk-api.d.ts`): what the kiosk sends must be
/// what the API reads, with no field the API does not know, and every field it reads from an
/// answer must exist there.
#[test]
fn a_client_generated_from_the_description_type_checks_the_kiosk_calls() {
    let check = Path::new(ROOT).join(CHECK_DIR);
    let bin = check.join("node_modules/.bin");
    if Command::new("node").arg("--version").output().is_err() {
        cannot_run(
            "node is not installed",
            "./scripts/test installs Node.js (apt-get install nodejs npm)",
        );
        return;
    }
    if !bin.join("openapi-typescript").exists() || !bin.join("tsc").exists() {
        cannot_run(
            "openapi-typescript and TypeScript are not installed",
            &format!("./scripts/test installs them (npm ci --prefix {CHECK_DIR})"),
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let description = dir.path().join("openapi.json");
    std::fs::write(&description, openapi::description_json()).unwrap();
    let generated = dir.path().join("api.d.ts");
    run(Command::new(bin.join("openapi-typescript"))
        .arg(&description)
        .arg("-o")
        .arg(&generated));
    std::fs::copy(
        check.join("kiosk-api.d.ts"),
        dir.path().join("kiosk-api.d.ts"),
    )
    .unwrap();
    // The kiosk's scripts are ES modules importing each other: all are copied side by side.
    // Those that call the API are checked unchanged; the others are read for what they
    // export, unchecked. The decoder worker, a classic script of its own, is only read.
    let kiosk = Path::new(ROOT).join("kiosk");
    let mut files = vec![dir.path().join("kiosk-api.d.ts")];
    for script in [
        "store.js",
        "badge.js",
        "door.js",
        "camera.js",
        "latency.js",
        "screen.js",
        "kiosk.js",
        "decoder.js",
    ] {
        let text = std::fs::read_to_string(kiosk.join(script)).unwrap();
        assert!(
            !["\"/api", "'/api", "`/api"]
                .iter()
                .any(|q| text.contains(q)),
            "kiosk/{script} calls the API: check it here like sync.js"
        );
        if script == "decoder.js" {
            continue;
        }
        let copy = dir.path().join(script);
        std::fs::write(&copy, format!("// @ts-nocheck\n{text}")).unwrap();
        files.push(copy);
    }
    for script in ["device.js", "sync.js"] {
        let copy = dir.path().join(script);
        std::fs::copy(kiosk.join(script), &copy).unwrap();
        files.push(copy);
    }
    let tsconfig = serde_json::json!({
        "extends": check.join("tsconfig.kiosk.json"),
        "files": files,
    });
    let config = dir.path().join("tsconfig.json");
    std::fs::write(&config, tsconfig.to_string()).unwrap();
    run(Command::new(bin.join("tsc")).arg("-p").arg(&config));
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
