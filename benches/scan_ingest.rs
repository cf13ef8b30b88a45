//! Scan ingestion over HTTP: 200 kiosks sending single scans, then kiosks sending batches of
//! 50; throughput in scans per second and request latency percentiles. Each response is
//! sent only after its scans are committed.
//!
//! `cargo bench --bench scan_ingest [-- SECONDS KIOSKS]`; set `BENCH_DATABASE_URL` to a
//! `postgres://` URL (an empty database) to measure PostgreSQL instead of an SQLite file.

use std::time::{Duration, Instant};

use badgetrail::{app::Application, config::Settings, context::Context, demo, door, registration};
use jiff::Timestamp;
use secrecy::SecretString;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let kiosks: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut s = Settings {
        database_url: SecretString::from(url.clone()),
        public_url: format!("http://127.0.0.1:{port}"),
        mail_poll_ms: 0,
        database_max_connections: 16,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(s).await?;
    let p = demo::programme::cloud_summit();
    let now = Timestamp::now();
    ctx.store.import_programme(&p, now).await?;
    let event = ctx
        .store
        .event_by_slug(demo::programme::SLUG)
        .await?
        .unwrap();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<_> = demo::people::synthetic(5_000, &topics, 9)
        .iter()
        .map(|i| badgetrail::domain::attendee::Registration::parse(i, &topics).unwrap())
        .collect();
    let mut badges = Vec::new();
    for chunk in people.chunks(500) {
        for o in registration::record(&ctx, &event, chunk, registration::Source::Demo, false, now)
            .await?
        {
            badges.push(o.token);
        }
    }
    let mut tokens = Vec::new();
    for k in 0..kiosks {
        let d =
            door::create_device(&ctx, &event, Some("Main Hall"), &format!("Door {k}"), now).await?;
        tokens.push(door::pair(&ctx, &d.pairing_code, now).await?.unwrap().token);
    }
    tokio::spawn(
        Application::with_listener(ctx.clone(), listener).run_until_stopped(std::future::pending()),
    );
    let url = format!("http://127.0.0.1:{port}/api/v1/scans");
    // During the opening keynote, in the Main Hall.
    let k1: Timestamp = "2026-05-12T09:05:00+02:00".parse()?;
    println!(
        "scan_ingest: {kiosks} kiosks, {seconds} s per mode, {}",
        if url.contains("postgres") {
            "PostgreSQL"
        } else {
            "database from BENCH_DATABASE_URL or SQLite"
        }
    );
    for batch in [1usize, 50] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (k, token) in tokens.iter().enumerate() {
            let (url, token, badges) = (url.clone(), token.clone(), badges.clone());
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let (mut lat, mut scans, mut errors, mut n) = (Vec::new(), 0usize, 0usize, 0usize);
                while Instant::now() < deadline {
                    let items: Vec<serde_json::Value> = (0..batch)
                        .map(|i| {
                            n += 1;
                            let b = &badges[(k * 7919 + n * 31 + i) % badges.len()];
                            serde_json::json!({"nonce": format!("b{batch}-{n}"), "badge": b,
                                "device_time": k1 + jiff::SignedDuration::from_millis(n as i64), "direction": "entry"})
                        })
                        .collect();
                    let body = serde_json::json!({"sent_at": Timestamp::now(), "app_version": "bench", "queue_size": 0, "scans": items});
                    let t0 = Instant::now();
                    let ok = matches!(client.post(&url).bearer_auth(&token).json(&body).send().await, Ok(r) if r.status() == 200);
                    lat.push(t0.elapsed());
                    if ok { scans += batch } else { errors += 1 }
                }
                (lat, scans, errors)
            }));
        }
        let (mut all, mut scans, mut errors) = (Vec::new(), 0, 0);
        for t in tasks {
            let (l, s, e) = t.await?;
            all.extend(l);
            scans += s;
            errors += e;
        }
        let secs = started.elapsed().as_secs_f64();
        all.sort();
        println!(
            "  batch {batch:>2}: {:.0} scans/s, {} requests, {errors} errors; request latency p50 {:.1} ms p90 {:.1} ms p99 {:.1} ms max {:.1} ms",
            scans as f64 / secs,
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
    }
    println!(
        "  stored scans: {}",
        ctx.store.event_scans(event.id).await?.len()
    );
    Ok(())
}
