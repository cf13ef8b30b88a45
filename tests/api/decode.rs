//! Photo decoding under attack: hostile images answered quickly, the concurrency cap's 503,
//! and a real `serve` that stops on SIGTERM while hostile decodes run.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use badgetrail::{config::Settings, context::Context, demo, door, qr, web};
use jiff::Timestamp;
use serde_json::Value;

use crate::{
    on_both_backends,
    support::{
        app::{Db, demo_event, fresh_database, spawn_app_with, test_settings},
        server_process::{Server, free_port, wait_until_serving},
        wait::{self, PATIENCE},
    },
};

on_both_backends!(
    hostile_photos_are_answered_within_seconds,
    a_full_decode_cap_answers_503_with_retry_after,
    a_client_that_goes_away_cancels_its_decode,
    sigterm_stops_serve_while_hostile_decodes_run,
);

/// Loose enough for a loaded two-core machine; unbounded, the 1000x1000 tiles ran for minutes.
const WALL_LIMIT: Duration = Duration::from_secs(5);

/// The demo event with one paired kiosk; returns the kiosk's bearer token.
async fn paired_kiosk(ctx: &Context) -> String {
    let now = Timestamp::now();
    ctx.store
        .events()
        .import_programme(&demo::programme::cloud_summit(), now)
        .await
        .unwrap();
    let event = demo_event(&ctx.store).await;
    let d = door::create_device(ctx, &event, Some("Main Hall"), "Door 1", now)
        .await
        .unwrap();
    door::pair(ctx, &d.pairing_code, now)
        .await
        .unwrap()
        .unwrap()
        .token
}

async fn post_photo(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/api/v1/decode"))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
}

async fn hostile_photos_are_answered_within_seconds(db: Db) {
    // The production budget, which is what this test is about.
    let Some(app) = spawn_app_with(db, |s| s.decode.budget_ms = 300).await else {
        return;
    };
    let token = paired_kiosk(&app.ctx).await;
    let photos = [
        ("360x360 finder tiles", qr::hostile::finder_tiles(360)),
        ("1000x1000 finder tiles", qr::hostile::finder_tiles(1000)),
        ("16-bit RGBA 3999x3999", qr::hostile::sixteen_bit_rgba(3999)),
        (
            "header claiming 3999x3999",
            qr::hostile::lying_header(3999, 3999),
        ),
        ("JPEG RGB 3999x3999", qr::hostile::one_colour_jpeg(3999)),
        (
            "progressive JPEG 3999x3999",
            qr::hostile::one_colour_progressive_jpeg(3999),
        ),
    ];
    for (name, body) in photos {
        let start = Instant::now();
        let r = post_photo(&app.client, &app.address, &token, body)
            .await
            .unwrap();
        let took = start.elapsed();
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap();
        assert!(took < WALL_LIMIT, "{name}: {took:?}");
        // 200 with no codes, or 422 when the budget ran out on a busy machine.
        match name {
            "header claiming 3999x3999" => assert_eq!(status, 422, "{name}: {answer}"),
            "progressive JPEG 3999x3999" => {
                assert_eq!(status, 413, "{name}: {answer}");
                assert!(
                    answer["error"].as_str().unwrap().contains("baseline JPEG"),
                    "{answer}"
                );
            }
            _ => assert!(
                status == 200 && answer["codes"] == serde_json::json!([])
                    || status == 422 && answer["error"].as_str().unwrap().contains("budget"),
                "{name}: {status} {answer}"
            ),
        }
    }

    // Eight at once: two are decoded at a time, the rest are told to come back.
    let body = qr::hostile::finder_tiles(1000);
    let start = Instant::now();
    let answers = futures_util::future::join_all((0..8).map(|_| {
        let (client, base, token, body) = (&app.client, &app.address, &token, body.clone());
        async move {
            let r = post_photo(client, base, token, body).await.unwrap();
            let retry_after = r.headers().get("retry-after").cloned();
            (r.status().as_u16(), retry_after)
        }
    }))
    .await;
    assert!(start.elapsed() < WALL_LIMIT, "{:?}", start.elapsed());
    for (status, retry_after) in &answers {
        assert!([200, 422, 503].contains(status), "{answers:?}");
        assert_eq!(*status == 503, retry_after.is_some(), "{answers:?}");
    }
}

async fn a_full_decode_cap_answers_503_with_retry_after(db: Db) {
    // A server built here rather than by `spawn_app`, to hold its decode slots.
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings: Settings = test_settings(fresh.url.clone(), dir.path(), 0);
    let ctx = Context::build(settings).await.unwrap();
    let token = paired_kiosk(&ctx).await;
    let state = web::AppState::new(ctx.clone());
    let slots = state.decode.permits();
    let router = web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let badge = qr::render_png("HELLO BADGE").unwrap();
    let client = reqwest::Client::new();
    let held = slots.acquire_many_owned(2).await.unwrap();
    let r = post_photo(&client, &base, &token, badge.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer["error"].as_str().unwrap().contains("try again"),
        "{answer}"
    );

    drop(held);
    let r = post_photo(&client, &base, &token, badge).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["codes"],
        serde_json::json!(["HELLO BADGE"])
    );
    server.abort();
    ctx.store.close().await;
}

async fn a_client_that_goes_away_cancels_its_decode(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut settings: Settings = test_settings(fresh.url.clone(), dir.path(), 0);
    // A minute's budget: only the cancellation can end the decode early.
    settings.decode.budget_ms = 60_000;
    let ctx = Context::build(settings).await.unwrap();
    let token = paired_kiosk(&ctx).await;
    let state = web::AppState::new(ctx.clone());
    let slots = state.decode.permits();
    let router = web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    // The largest frame the search sees, tiled with finder patterns.
    let tiles = qr::hostile::finder_tiles(qr::MAX_FRAME_SIDE);
    let client = reqwest::Client::new();
    let mut full = Duration::MAX;
    for _ in 0..2 {
        let start = Instant::now();
        let r = post_photo(&client, &base, &token, tiles.clone())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        full = full.min(start.elapsed());
    }
    let patience = full / 8;
    let impatient = reqwest::Client::builder()
        .timeout(patience)
        .build()
        .unwrap();
    let start = Instant::now();
    let gone = post_photo(&impatient, &base, &token, tiles).await;
    assert!(gone.is_err_and(|e| e.is_timeout()));
    while slots.available_permits() < 2 {
        assert!(
            start.elapsed() < PATIENCE,
            "the abandoned decode's slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let freed = start.elapsed();
    assert!(
        freed < full / 2,
        "the slot came back {freed:?} after a request abandoned at {patience:?}; a whole decode takes {full:?}"
    );
    server.abort();
    ctx.store.close().await;
}

/// Peak resident memory of a process, in kB, from `/proc`.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

async fn sigterm_stops_serve_while_hostile_decodes_run(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let ctx = Context::build(test_settings(fresh.url.clone(), dir.path(), port))
        .await
        .unwrap();
    let token = paired_kiosk(&ctx).await;

    // A minute's budget: only cancellation can end a decode quickly at shutdown.
    let mut decode = toml::Table::new();
    decode.insert("budget_ms".into(), 60_000.into());
    let mut more = toml::Table::new();
    more.insert("decode".into(), decode.into());
    let mut server = Server::start_with(dir.path(), &fresh.url, port, more);
    let pid = server.0.id();
    let client = reqwest::Client::new();
    wait_until_serving(&client, &base).await;

    // Eight 16-bit bombs at once cost a few megabytes each, not 128 MB.
    let before = peak_rss_kb(pid);
    let bomb = qr::hostile::sixteen_bit_rgba(3999);
    let statuses = futures_util::future::join_all((0..8).map(|_| {
        let (client, base, token, bomb) = (&client, &base, &token, bomb.clone());
        async move {
            post_photo(client, base, token, bomb)
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    }))
    .await;
    assert!(
        statuses.iter().all(|s| [200, 503].contains(s)),
        "{statuses:?}"
    );
    let growth_mb = peak_rss_kb(pid).saturating_sub(before) / 1024;
    assert!(growth_mb < 64, "peak RSS grew by {growth_mb} MB");

    // Kiosks keep sending hostile frames while the server is told to stop.
    // Once each has had an answer, each has its next frame on the way.
    let tiles = qr::hostile::finder_tiles(1000);
    let answered = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (client, base, token, tiles) =
                (client.clone(), base.clone(), token.clone(), tiles.clone());
            let answered = answered.clone();
            tokio::spawn(async move {
                let mut first = true;
                while post_photo(&client, &base, &token, tiles.clone())
                    .await
                    .is_ok()
                {
                    if std::mem::take(&mut first) {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    wait::until(
        "every kiosk's first frame is answered",
        PATIENCE,
        async || answered.load(Ordering::SeqCst) == 4,
    )
    .await;
    let signalled = Instant::now();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < WALL_LIMIT,
            "serve still running {WALL_LIMIT:?} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    for s in senders {
        tokio::time::timeout(WALL_LIMIT, s).await.unwrap().unwrap();
    }
    drop(server);
    ctx.store.close().await;
}
