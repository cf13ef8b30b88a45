//! `kill -9` of the real server while kiosks upload batches: after a restart and the
//! kiosks' retries, every acknowledged scan is stored, and nothing is stored twice.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use badgetrail::{context::Context, demo, door, registration};
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, demo_event, fresh_database},
        server_process::{Server, free_port, library_context, wait_until_serving},
        wait::{self, PATIENCE},
    },
};

on_both_backends!(acknowledged_scans_survive_a_kill_during_uploads);

const KIOSKS: usize = 6;
const BATCH: usize = 25;

/// What the kiosks saw, shared between them.
#[derive(Default)]
struct Seen {
    /// (kiosk, nonce) of every scan in a batch the server acknowledged.
    acknowledged: Mutex<Vec<(usize, String)>>,
    /// Requests that failed (connection refused or reset, timeouts): the kill was felt.
    failures: AtomicUsize,
    /// Batches acknowledged since the restart.
    after_restart: AtomicUsize,
}

/// One kiosk: batches of unique nonces, each retried until acknowledged, as the kiosk app's
/// queue does; stops after its current batch once `stop` is set.
async fn kiosk(
    base: String,
    token: String,
    k: usize,
    badges: Arc<Vec<String>>,
    seen: Arc<Seen>,
    restarted: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let k1: Timestamp = "2026-05-12T09:05:00+02:00".parse().unwrap();
    let mut b = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let scans: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                json!({
                    "nonce": format!("k{k}-{n}"),
                    "badge": badges[(k * 7 + n) % badges.len()],
                    "device_time": k1 + (n as i64).seconds(),
                    "direction": "entry",
                })
            })
            .collect();
        loop {
            let sent = client
                .post(format!("{base}/api/v1/scans"))
                .bearer_auth(&token)
                .json(&json!({ "sent_at": k1 + 1.hour(), "scans": scans }))
                .send()
                .await;
            let body: Option<Value> = match sent {
                Ok(r) if r.status() == 200 => r.json().await.ok(),
                _ => None,
            };
            match body {
                Some(body) => {
                    let results = body["results"].as_array().expect("results");
                    assert_eq!(results.len(), BATCH, "a verdict for every scan");
                    seen.acknowledged.lock().unwrap().extend(
                        results
                            .iter()
                            .map(|r| (k, r["nonce"].as_str().unwrap().to_owned())),
                    );
                    if restarted.load(Ordering::SeqCst) {
                        seen.after_restart.fetch_add(1, Ordering::SeqCst);
                    }
                    break;
                }
                None => {
                    seen.failures.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        b += 1;
    }
}

async fn acknowledged_scans_survive_a_kill_during_uploads(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    // The event, attendees and paired kiosks, made through the library.
    let ctx = library_context(&fresh.url, dir.path()).await;
    let p = demo::programme::cloud_summit();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await.unwrap();
    let event = demo_event(&ctx.store).await;
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<_> = demo::people::synthetic(40, &topics, 3)
        .iter()
        .map(|i| badgetrail::domain::attendee::Registration::parse(i, &topics).unwrap())
        .collect();
    let badges: Vec<String> = registration::record(
        &ctx,
        &event,
        &people,
        registration::Source::Demo,
        false,
        now,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|o| o.token)
    .collect();
    let badges = Arc::new(badges);
    let mut tokens = Vec::new();
    let mut device_ids = Vec::new();
    for k in 0..KIOSKS {
        let d = door::create_device(&ctx, &event, Some("Main Hall"), &format!("Door {k}"), now)
            .await
            .unwrap();
        device_ids.push(d.device_id);
        tokens.push(
            door::pair(&ctx, &d.pairing_code, now)
                .await
                .unwrap()
                .unwrap()
                .token,
        );
    }

    let probe = reqwest::Client::new();
    let server = Server::start(dir.path(), &fresh.url, port);
    wait_until_serving(&probe, &base).await;

    let seen = Arc::new(Seen::default());
    let restarted = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let kiosks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(k, token)| {
            tokio::spawn(kiosk(
                base.clone(),
                token.clone(),
                k,
                badges.clone(),
                seen.clone(),
                restarted.clone(),
                stop.clone(),
            ))
        })
        .collect();

    // Let uploads get going, then kill the server in the middle of them.
    wait::until("twenty batches are acknowledged", PATIENCE, async || {
        seen.acknowledged.lock().unwrap().len() >= 20 * BATCH
    })
    .await;
    server.kill_9();
    let acknowledged_before = seen.acknowledged.lock().unwrap().len();
    // The kiosks find the server gone (their uploads in flight cut, then refused) before it
    // comes back.
    wait::until("the kiosks' uploads fail", PATIENCE, async || {
        seen.failures.load(Ordering::SeqCst) >= KIOSKS
    })
    .await;

    let server = Server::start(dir.path(), &fresh.url, port);
    wait_until_serving(&probe, &base).await;
    restarted.store(true, Ordering::SeqCst);
    wait::until(
        "three batches a kiosk are acknowledged after the restart",
        PATIENCE,
        async || seen.after_restart.load(Ordering::SeqCst) >= 3 * KIOSKS,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for k in kiosks {
        k.await.unwrap();
    }
    drop(server);

    assert!(
        seen.failures.load(Ordering::SeqCst) > 0,
        "the kill interrupted uploads in flight"
    );
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > acknowledged_before);

    // What the database holds, per kiosk and nonce.
    let mut stored: HashMap<(i64, String), usize> = HashMap::new();
    for (device_id, nonce) in stored_scans(&ctx, event.id).await {
        *stored.entry((device_id, nonce)).or_default() += 1;
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let acknowledged: HashSet<(i64, String)> = acknowledged
        .into_iter()
        .map(|(k, nonce)| (device_ids[k], nonce))
        .collect();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|k| !stored.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
    // Every batch was retried until acknowledged, so nothing else was stored either.
    assert_eq!(stored.len(), acknowledged.len());
    ctx.store.close().await;
}

/// (device, nonce) of every stored scan, read from the database itself.
async fn stored_scans(ctx: &Context, event_id: i64) -> Vec<(i64, String)> {
    let devices = ctx
        .store
        .door()
        .list_devices(event_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect::<Vec<_>>();
    let mut out = Vec::new();
    for d in devices {
        for nonce in ctx.store.door().device_nonces(d).await.unwrap() {
            out.push((d, nonce));
        }
    }
    out
}
