//! What an operator watches: the metrics scrape and who may read it, liveness apart from
//! readiness, and JSON log lines that carry a request id.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app, spawn_app_with},
        door::new_device,
        forms::{post_registration, register_badge, valid_form},
    },
};

on_both_backends!(
    metrics_need_the_token_and_show_routes_scans_and_decodes,
    without_a_token_only_this_machine_may_read_metrics,
    readiness_follows_the_database_and_liveness_does_not,
    badge_mail_and_rate_limit_refusals_are_counted,
);

const TOKEN: &str = "scrape-token-for-tests";

/// The sum of the samples of `name` whose labels contain every one of `labels`. The
/// recorder is shared by every app of the test binary, so tests compare before and after.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let metric = series.split('{').next()?;
            (metric == name && labels.iter().all(|f| series.contains(f)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let r = app.get_as(TOKEN, "/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    r.text().await.unwrap()
}

async fn metrics_need_the_token_and_show_routes_scans_and_decodes(db: Db) {
    let Some(app) = spawn_app_with(db, |s| {
        s.metrics_token = Some(SecretString::from(TOKEN));
    })
    .await
    else {
        return;
    };
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 401, "no token, even from this machine");
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app.get_as("scrape-token-for-testz", "/metrics").await;
    assert_eq!(r.status(), 401, "a wrong token");

    let event = app.seed_event().await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let before = scrape(&app).await;

    // A page whose path holds a badge token.
    app.get(&format!("/b/{ada}")).await;
    // A scan from a paired kiosk.
    let device = new_device(&app, &event, None, "Door 1").await;
    let r = app
        .post_json(
            "/api/v1/devices/pair",
            &json!({ "code": device.pairing_code }),
        )
        .await;
    let kiosk = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let at: Timestamp = "2026-05-12T09:10:00+02:00".parse().unwrap();
    let r = app
        .post_json_as(
            &kiosk,
            "/api/v1/scans",
            &json!({
                "sent_at": Timestamp::now(), "app_version": "test", "queue_size": 3,
                "scans": [{ "nonce": "n1", "badge": ada, "device_time": at,
                            "direction": "entry", "room": "Main Hall" }],
            }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let verdict = r.json::<Value>().await.unwrap()["results"][0]["decision"]
        .as_str()
        .unwrap()
        .to_owned();
    // A photo decoded for a kiosk without a decoder of its own.
    let r = app
        .client
        .post(app.url("/api/v1/decode"))
        .bearer_auth(&kiosk)
        .body(badgetrail::qr::render_png(&ada).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let after = scrape(&app).await;
    assert!(!after.contains(&ada), "no badge token in any label");
    let grew = |name: &str, labels: &[&str]| {
        let (b, a) = (sample(&before, name, labels), sample(&after, name, labels));
        assert!(a > b, "{name} {labels:?}: {b} before, {a} after\n{after}");
    };
    grew(
        "badgetrail_http_requests_total",
        &[r#"route="/b/{token}""#, r#"method="GET""#],
    );
    grew(
        "badgetrail_http_requests_total",
        &[r#"route="/api/v1/scans""#, r#"status="200""#],
    );
    grew(
        "badgetrail_http_request_duration_seconds_count",
        &[r#"route="/api/v1/scans""#],
    );
    grew(
        "badgetrail_scans_total",
        &[&format!(r#"verdict="{verdict}""#)],
    );
    grew("badgetrail_scan_group_commit_seconds_count", &[]);
    grew("badgetrail_kiosk_queue_size_count", &[]);
    grew("badgetrail_qr_decode_seconds_count", &[]);
    // The badge email of the registration waits in the queue: the mailer is off in tests.
    assert!(
        after.contains("badgetrail_badge_mail_queue_depth "),
        "{after}"
    );
    assert!(after.contains("badgetrail_campaign_mail_queue_depth "));
    assert!(after.contains("# HELP badgetrail_scans_total"));
}

async fn badge_mail_and_rate_limit_refusals_are_counted(db: Db) {
    let Some(app) = spawn_app_with(db, |s| {
        s.metrics_token = Some(SecretString::from(TOKEN));
        s.registration_per_minute = 1;
    })
    .await
    else {
        return;
    };
    app.seed_event().await;
    let before = scrape(&app).await;
    let r = post_registration(&app, &valid_form("ada@example.com")).await;
    assert_eq!(r.status(), 303);
    let queued = scrape(&app).await;
    assert!(
        sample(&queued, "badgetrail_badge_mail_queue_depth", &[]) >= 1.0,
        "{queued}"
    );
    let r = post_registration(&app, &valid_form("grace@example.com")).await;
    assert_eq!(r.status(), 429);
    let run = badgetrail::jobs::badge_mail::run_once(&app.ctx)
        .await
        .unwrap();
    assert_eq!(run.sent, 1);

    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[&str]| {
        let (b, a) = (sample(&before, name, labels), sample(&after, name, labels));
        assert!(a > b, "{name} {labels:?}: {b} before, {a} after\n{after}");
    };
    grew(
        "badgetrail_rate_limit_refusals_total",
        &[r#"limit="registration""#],
    );
    grew("badgetrail_badge_mail_total", &[r#"outcome="sent""#]);
    grew(
        "badgetrail_http_requests_total",
        &[r#"route="/e/{event}/register""#, r#"status="429""#],
    );
}

async fn without_a_token_only_this_machine_may_read_metrics(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200, "from this machine");
    assert!(r.text().await.unwrap().contains("badgetrail_"));
    // Through a proxy on this machine the request comes from elsewhere.
    let r = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn readiness_follows_the_database_and_liveness_does_not(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    // A request id the client (or its proxy) chose is kept.
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-1234");

    // The database goes away: every connection of the server's pool is closed.
    app.ctx.store.close().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200, "alive all the same");
    assert_eq!(r.text().await.unwrap(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_lines_that_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("badgetrail.toml");
    let db = dir.path().join("badgetrail.db");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{}\"\nbind = \"127.0.0.1:{port}\"\n\
             public_url = \"http://127.0.0.1:{port}\"\nmail_poll_ms = 0\nkeys_dir = \"{}\"\n\
             [mail]\noutbox_dir = \"{}\"\n",
            db.display(),
            dir.path().join("keys").display(),
            dir.path().join("outbox").display(),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_badgetrail"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("BADGETRAIL_LOG_FORMAT", "json")
        // tower-http's line for each answered request is at debug.
        .env("BADGETRAIL_LOG", "info,sqlx=warn,tower_http=debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts");

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut id = None;
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            id = Some(r.headers()["x-request-id"].to_str().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = id.unwrap_or_else(|| panic!("the server did not come up at {base}"));
    // The line is written as the response leaves; give it a moment to reach the file.
    let path = dir.path().join("server.log");
    let mut text = String::new();
    for _ in 0..50 {
        text = std::fs::read_to_string(&path).unwrap();
        if text.contains(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();

    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "serving"));
    let answered = lines
        .iter()
        .find(|l| l["span"]["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no line with request id {id}:\n{text}"));
    assert_eq!(answered["span"]["path"], "/readyz");
    assert!(answered["timestamp"].is_string() && answered["level"].is_string());
}
