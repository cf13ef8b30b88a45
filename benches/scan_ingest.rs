//! Scan ingestion over HTTP: 200 kiosks sending single scans, then kiosks sending batches of
//! 50; throughput in scans per second, request latency percentiles, and the CPU time the
//! server and the load generator each used. Each response is sent only after its scans are
//! committed.
//!
//! The server is the real `badgetrail serve` in its own process, so its CPU time can be told
//! apart from the load generator's (a lean hyper client, one HTTP/1.1 connection per kiosk);
//! both share the machine's cores.
//!
//! `cargo bench --bench scan_ingest [-- SECONDS KIOSKS [INSTANCES]]`; set `BENCH_DATABASE_URL`
//! to a `postgres://` URL to measure PostgreSQL instead of an SQLite file: the benchmark
//! creates its own schema there and drops it at the end. With INSTANCES above 1 that many
//! `serve` processes share the database, as several app instances would, and the kiosks are
//! dealt out among them in turn; the server CPU is then theirs together.
//! `BENCH_PRELOAD_SCANS=N` first bulk-loads N earlier scans of the event and leaves the table
//! unanalysed (autovacuum off for it), as right after an import or a restore;
//! `BENCH_PRELOAD_ANALYZE=1` analyses it after all, for comparison.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use badgetrail::{config::Settings, context::Context, demo, door, registration};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;

#[path = "support/serve.rs"]
#[allow(dead_code)] // shared with live_leads, which reads PostgreSQL's CPU too
mod serve;
use serve::{
    Server, cpu_seconds, database, drop_schema, load_average, machine_seconds, percentile,
};

/// Seconds of load before measuring starts (connections, caches, first groups).
const WARM_UP: Duration = Duration::from_secs(1);
/// One scan in this many carries a forged badge, so refusals are part of the mix.
const FORGED_EVERY: usize = 50;

/// Bulk-loads `n` earlier scans of the attendees, spread over every session, the way an
/// import or a restore fills the table, and leaves the planner without statistics on it
/// (autovacuum, which would analyse the table a minute later, is turned off for it): the
/// kiosks then meet the table as it is right after a bulk load.
async fn preload(
    ctx: &Context,
    event_id: i64,
    attendees: &[i64],
    n: usize,
    url: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query("ALTER TABLE scans SET (autovacuum_enabled = false)")
            .execute(&pool)
            .await?;
    }
    let sessions = ctx.store.door().kiosk_sessions(event_id).await?;
    let device = ctx
        .store
        .door()
        .import_device(event_id, Timestamp::now())
        .await?;
    let rows: Vec<badgetrail::store::BulkScan> = (0..n)
        .map(|i| {
            let s = &sessions[(i / attendees.len()) % sessions.len()];
            badgetrail::store::BulkScan {
                attendee_id: attendees[i % attendees.len()],
                room_id: s.room_id,
                session_id: s.id,
                entry: (i / (attendees.len() * sessions.len())).is_multiple_of(2),
                at: Timestamp::from_millisecond(s.starts_at + (i % 600) as i64 * 1000)
                    .expect("a session time"),
            }
        })
        .collect();
    for (i, chunk) in rows.chunks(200_000).enumerate() {
        badgetrail::store::BulkLoad::into(&ctx.store)
            .scans(event_id, device, i * 200_000, chunk, Timestamp::now())
            .await?;
    }
    // For comparison, BENCH_PRELOAD_ANALYZE=1 gives the planner its statistics after all.
    let analysed = std::env::var("BENCH_PRELOAD_ANALYZE").is_ok_and(|v| v == "1");
    if analysed && url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    println!(
        "preloaded {n} scans in {:.1} s; {}",
        started.elapsed().as_secs_f64(),
        if analysed {
            "then analysed"
        } else {
            "the scans table has not been analysed since"
        }
    );
    Ok(())
}

/// What one kiosk saw while measuring.
#[derive(Default)]
struct KioskResult {
    latencies: Vec<Duration>,
    scans: usize,
    errors: usize,
    /// Scans acknowledged at any time, warm-up included.
    acknowledged: usize,
}

/// One kiosk: its own connection, one request at a time, until `stop`.
async fn kiosk(
    addr: SocketAddr,
    token: String,
    badges: Arc<Vec<String>>,
    k: usize,
    batch: usize,
    measure_from: Instant,
    stop: Instant,
) -> anyhow::Result<KioskResult> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let bearer = format!("Bearer {token}");
    let host = addr.to_string();
    // During the opening keynote, in the Main Hall.
    let k1: Timestamp = "2026-05-12T09:05:00+02:00".parse()?;
    let mut out = KioskResult::default();
    let mut n = 0usize;
    let mut body = String::with_capacity(256 * batch);
    loop {
        let started = Instant::now();
        if started >= stop {
            return Ok(out);
        }
        body.clear();
        body.push_str("{\"sent_at\":\"");
        body.push_str(&Timestamp::now().to_string());
        body.push_str("\",\"app_version\":\"bench\",\"queue_size\":0,\"scans\":[");
        for i in 0..batch {
            n += 1;
            let mut badge = badges[(k * 7919 + n * 31 + i) % badges.len()].clone();
            if n.is_multiple_of(FORGED_EVERY) {
                // One character of the signature changed.
                let c = if &badge[100..101] == "A" { "B" } else { "A" };
                badge.replace_range(100..101, c);
            }
            if i > 0 {
                body.push(',');
            }
            let at = k1 + SignedDuration::from_millis(n as i64);
            body.push_str(&format!(
                "{{\"nonce\":\"b{batch}-{n}\",\"badge\":\"{badge}\",\"device_time\":\"{at}\",\"direction\":\"entry\"}}"
            ));
        }
        body.push_str("]}");
        let req = Request::post("/api/v1/scans")
            .header(header::HOST, &host)
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.clone())))?;
        let t0 = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.into_body().collect().await?.to_bytes();
                status == 200 && bytes.starts_with(b"{\"server_time\"")
            }
            Err(_) => false,
        };
        let took = t0.elapsed();
        if ok {
            out.acknowledged += batch;
        }
        if t0 >= measure_from && t0 < stop {
            out.latencies.push(took);
            if ok {
                out.scans += batch;
            } else {
                out.errors += 1;
            }
        }
        if !ok {
            return Ok(out);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(8);
    let kiosks: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let instances: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(seconds, kiosks, instances))
}

async fn run(seconds: u64, kiosks: usize, instances: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, schema) = database(dir.path(), "scan_ingest").await?;
    let result = measure(dir.path(), &url, seconds, kiosks, instances).await;
    if let Some((admin, schema)) = schema {
        drop_schema(&admin, &schema).await;
    }
    result
}

async fn measure(
    dir: &std::path::Path,
    url: &str,
    seconds: u64,
    kiosks: usize,
    instances: usize,
) -> anyhow::Result<()> {
    // Held together while the ports are read, so that no two instances get the same one.
    let listeners = (0..instances)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()?;
    let ports = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()?;
    drop(listeners);
    let port = ports[0];
    let mut s = Settings {
        database_url: SecretString::from(url.to_owned()),
        public_url: format!("http://127.0.0.1:{port}"),
        mail_poll_ms: 0,
        database_max_connections: 16,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.join("outbox");
    let ctx = Context::build(s).await?;
    let p = demo::programme::cloud_summit();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await?;
    let event = ctx
        .store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await?
        .unwrap();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<_> = demo::people::synthetic(5_000, &topics, 9)
        .iter()
        .map(|i| badgetrail::domain::attendee::Registration::parse(i, &topics).unwrap())
        .collect();
    let mut badges = Vec::new();
    let mut attendee_ids = Vec::new();
    for chunk in people.chunks(500) {
        for o in registration::record(&ctx, &event, chunk, registration::Source::Demo, false, now)
            .await?
        {
            badges.push(o.token);
            attendee_ids.push(o.attendee_id);
        }
    }
    let badges = Arc::new(badges);
    if let Some(n) = std::env::var("BENCH_PRELOAD_SCANS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        preload(&ctx, event.id, &attendee_ids, n, url).await?;
    }
    let mut tokens = Vec::new();
    for k in 0..kiosks {
        let d =
            door::create_device(&ctx, &event, Some("Main Hall"), &format!("Door {k}"), now).await?;
        tokens.push(door::pair(&ctx, &d.pairing_code, now).await?.unwrap().token);
    }

    let mut servers = Vec::new();
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for port in &ports {
        let child = Command::new(env!("CARGO_BIN_EXE_badgetrail"))
            .arg("serve")
            .current_dir(dir)
            .env("BADGETRAIL_DATABASE_URL", url)
            .env("BADGETRAIL_BIND", format!("127.0.0.1:{port}"))
            .env("BADGETRAIL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("BADGETRAIL_MAIL_POLL_MS", "0")
            .env("BADGETRAIL_DATABASE_MAX_CONNECTIONS", "16")
            .env("BADGETRAIL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        servers.push(Server(child));
        addrs.push(format!("127.0.0.1:{port}").parse()?);
    }
    let pids: Vec<String> = servers.iter().map(|s| s.0.id().to_string()).collect();
    let servers_cpu = || pids.iter().map(|p| cpu_seconds(p)).sum::<f64>();
    let ready = Instant::now();
    for addr in &addrs {
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            anyhow::ensure!(
                ready.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "scan_ingest: {backend}, {kiosks} kiosks, {instances} server instance(s), {seconds} s per mode after {} s warm-up; load average before: {}",
        WARM_UP.as_secs(),
        load_average()
    );
    let mut acknowledged = 0usize;
    for batch in [1usize, 50] {
        let measure_from = Instant::now() + WARM_UP;
        let stop = measure_from + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for (k, token) in tokens.iter().enumerate() {
            tasks.push(tokio::spawn(kiosk(
                addrs[k % addrs.len()],
                token.clone(),
                badges.clone(),
                k,
                batch,
                measure_from,
                stop,
            )));
        }
        tokio::time::sleep_until(measure_from.into()).await;
        let (server0, client0, machine0) = (servers_cpu(), cpu_seconds("self"), machine_seconds());
        let started = Instant::now();
        let (mut all, mut scans, mut errors) = (Vec::new(), 0, 0);
        for t in tasks {
            let r = t.await??;
            all.extend(r.latencies);
            scans += r.scans;
            errors += r.errors;
            acknowledged += r.acknowledged;
        }
        let secs = started.elapsed().as_secs_f64();
        let (server1, client1, machine1) = (servers_cpu(), cpu_seconds("self"), machine_seconds());
        all.sort();
        let (server_cpu, client_cpu) = (server1 - server0, client1 - client0);
        let others = (machine1.0 - machine0.0) - server_cpu - client_cpu;
        println!(
            "  batch {batch:>2}: {:.0} scans/s, {} requests, {errors} errors; request latency p50 {:.1} ms p90 {:.1} ms p99 {:.1} ms max {:.1} ms",
            scans as f64 / secs,
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
        println!(
            "            CPU: server {:.2} cores ({:.0} us/scan), load generator {:.2} cores ({:.0} us/scan), other processes {:.2} cores (of {:.0})",
            server_cpu / secs,
            server_cpu * 1e6 / scans.max(1) as f64,
            client_cpu / secs,
            client_cpu * 1e6 / scans.max(1) as f64,
            (others / secs).max(0.0),
            (machine1.1 - machine0.1) / secs,
        );
    }
    let stored = ctx.store.door().event_scans(event.id).await?.len();
    println!("  stored scans: {stored}, acknowledged (warm-up included): {acknowledged}");
    anyhow::ensure!(stored >= acknowledged, "acknowledged scans are missing");
    drop(servers);
    ctx.store.close().await;
    Ok(())
}
