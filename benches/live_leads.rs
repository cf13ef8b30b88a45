//! Live leads under a sustained door load: kiosks send single scans at a fixed total rate to
//! the real `badgetrail serve` (its own process), every scan accepted and of a different
//! attendee. Two groups of people, each as many as a run scans: the entries of both are
//! scanned first with live updates off (set-up, reported but not compared), then the exits
//! of group A with live updates off and those of group B with them on, so the two runs
//! compared do the same door work on a database of the same size, and each exit makes a
//! stay that the live worker scores. For each run: the rate reached, request latency
//! percentiles and server CPU (and that of PostgreSQL, when it runs on this machine); with
//! live updates on, the lag from each scan group's commit to its attendees' stored live
//! leads (p50, p90, p99, read off the server's `badgetrail_live_lead_lag_seconds`
//! histogram, interpolated inside its buckets, after the backlog drained) and a check that
//! every scanned attendee's live lead was stored.
//!
//! `cargo bench --bench live_leads [-- SECONDS RATE KIOSKS]` (defaults 8, 10000, 100); set
//! `BENCH_DATABASE_URL` to a `postgres://` URL to measure PostgreSQL (a schema of its own,
//! dropped at the end); `BENCH_LIVE_FIRST=1` measures the exits with live updates on first.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use badgetrail::{
    config::Settings,
    context::Context,
    demo, door,
    store::{BulkAttendee, BulkLoad},
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;

#[path = "support/bulk.rs"]
mod bulk;
#[path = "support/serve.rs"]
#[allow(dead_code)] // shared with scan_ingest, which reads the machine's CPU too
mod serve;
use serve::{
    Server, cpu_seconds, database, drop_schema, load_average, local_postgres_seconds, percentile,
};

/// Seconds of load before measuring starts.
const WARM_UP: Duration = Duration::from_secs(1);

struct Load {
    seconds: u64,
    rate: usize,
    kiosks: usize,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let load = Load {
        seconds: args.first().and_then(|s| s.parse().ok()).unwrap_or(8),
        rate: args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000),
        kiosks: args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let (url, schema) = database(dir.path(), "live_leads").await?;
        let result = measure(dir.path(), &url, &load).await;
        if let Some((admin, schema)) = schema {
            drop_schema(&admin, &schema).await;
        }
        result
    })
}

/// What the kiosks of one run saw.
#[derive(Default)]
struct Seen {
    latencies: Vec<Duration>,
    scans: usize,
    errors: usize,
}

async fn measure(dir: &std::path::Path, url: &str, load: &Load) -> anyhow::Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
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
        .expect("the event was just imported");
    // Two groups, each enough people for every scan of a run to be someone's first of its
    // direction.
    let group = load.rate * (load.seconds as usize + WARM_UP.as_secs() as usize + 2);
    let people_needed = 2 * group;
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let started = Instant::now();
    let mut badges = Vec::with_capacity(people_needed);
    // Written many rows per statement, each with a badge signed by the event's key, as
    // registration would (serial 1): what is measured is the door, not registering.
    let keys = ctx.badges.keys_for(event.id, now).await?;
    let topic_ids = bulk::topic_ids(&ctx, event.id).await?;
    let people = demo::people::synthetic(people_needed, &topics, 17);
    for chunk in people.chunks(10_000) {
        let rows: Vec<BulkAttendee> = chunk
            .iter()
            .map(|r| bulk::attendee(r.email.clone(), r, &topic_ids))
            .collect();
        for id in BulkLoad::into(&ctx.store)
            .attendees(event.id, &rows, now)
            .await?
        {
            badges.push(keys.sign(id, 1).token);
        }
    }
    // As registration would have: the server resolves what it did not when it starts, which
    // would otherwise fall into the first run.
    badgetrail::pool::resolve_all(&ctx.store).await?;
    println!(
        "live_leads: registered {} attendees in {:.0} s",
        badges.len(),
        started.elapsed().as_secs_f64()
    );
    let groups = [
        Arc::new(badges[..group].to_vec()),
        Arc::new(badges[group..].to_vec()),
    ];
    let mut tokens = Vec::new();
    for k in 0..load.kiosks {
        let d =
            door::create_device(&ctx, &event, Some("Main Hall"), &format!("Door {k}"), now).await?;
        tokens.push(door::pair(&ctx, &d.pairing_code, now).await?.unwrap().token);
    }
    let on_postgres = url.starts_with("postgres");
    let backend = if on_postgres { "PostgreSQL" } else { "SQLite" };
    println!(
        "live_leads: {backend}, {} scans/s asked of {} kiosks (single scans), {} s per run after {} s warm-up; load average before: {}",
        load.rate,
        load.kiosks,
        load.seconds,
        WARM_UP.as_secs(),
        load_average()
    );
    let mut exits = [(0, false, "exit", "30"), (1, true, "exit", "31")];
    if std::env::var("BENCH_LIVE_FIRST").is_ok_and(|v| v == "1") {
        exits.reverse();
    }
    let runs = [(0, false, "entry", "05"), (1, false, "entry", "06")]
        .into_iter()
        .chain(exits);
    let mut compared = Vec::new();
    for (g, live, direction, minute) in runs {
        let badges = groups[g].clone();
        let server = serve(dir, url, port, live)?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let ready = Instant::now();
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            anyhow::ensure!(
                ready.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pid = server.0.id().to_string();
        // During the opening keynote (09:00-09:45), in the Main Hall.
        let at: Timestamp = format!("2026-05-12T09:{minute}:00+02:00").parse()?;
        let measure_from = Instant::now() + WARM_UP;
        let stop = measure_from + Duration::from_secs(load.seconds);
        let per_kiosk = Duration::from_secs_f64(load.kiosks as f64 / load.rate as f64);
        let tasks: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(k, token)| {
                tokio::spawn(kiosk(Kiosk {
                    addr,
                    token: token.clone(),
                    badges: badges.clone(),
                    group: g,
                    k,
                    kiosks: load.kiosks,
                    every: per_kiosk,
                    direction,
                    at,
                    measure_from,
                    stop,
                }))
            })
            .collect();
        tokio::time::sleep_until(measure_from.into()).await;
        let cpu0 = cpu_seconds(&pid);
        let db0 = on_postgres.then(local_postgres_seconds).flatten();
        let mut seen = Seen::default();
        let mut sent = 0usize;
        for t in tasks {
            let (s, all) = t.await??;
            seen.latencies.extend(s.latencies);
            seen.scans += s.scans;
            seen.errors += s.errors;
            sent += all;
        }
        let secs = load.seconds as f64;
        let cpu = cpu_seconds(&pid) - cpu0;
        let db = db0.zip(local_postgres_seconds()).map(|(a, b)| b - a);
        seen.latencies.sort();
        let rate = seen.scans as f64 / secs;
        if direction == "exit" {
            compared.push((live, rate));
        }
        println!(
            "  {} of group {}, live updates {}: {:.0} scans/s acknowledged ({} asked), {} errors; request latency p50 {:.1} ms p90 {:.1} ms p99 {:.1} ms; server CPU {:.2} cores{}",
            if direction == "exit" {
                "exits  "
            } else {
                "entries"
            },
            if g == 0 { 'A' } else { 'B' },
            if live { "on " } else { "off" },
            rate,
            load.rate,
            seen.errors,
            percentile(&seen.latencies, 0.5),
            percentile(&seen.latencies, 0.9),
            percentile(&seen.latencies, 0.99),
            cpu / secs,
            db.map(|d| format!(", this machine's PostgreSQL {:.2} cores", d / secs))
                .unwrap_or_default(),
        );
        if live {
            // Wait for the backlog: every acknowledged scan's attendee updated.
            let waited = Instant::now();
            let lag = loop {
                let m = metrics(addr).await?;
                let updated = counter(&m, "badgetrail_live_leads_updated_total");
                if updated >= sent as f64 || waited.elapsed() > Duration::from_secs(120) {
                    break m;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let buckets = histogram(&lag, "badgetrail_live_lead_lag_seconds");
            println!(
                "  live lead lag from commit, {} updates (warm-up included): p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms; backlog drained {:.1} s after the load stopped",
                buckets.last().map_or(0.0, |b| b.1),
                quantile(&buckets, 0.5) * 1e3,
                quantile(&buckets, 0.9) * 1e3,
                quantile(&buckets, 0.99) * 1e3,
                waited.elapsed().as_secs_f64(),
            );
            let stored = ctx.store.leads().live_leads(event.id).await?.len();
            println!("  live leads stored: {stored} for {sent} scanned attendees");
            anyhow::ensure!(stored >= sent, "live leads are missing");
        }
        drop(server);
    }
    if let (Some(off), Some(on)) = (
        compared.iter().find(|c| !c.0).map(|c| c.1),
        compared.iter().find(|c| c.0).map(|c| c.1),
    ) {
        println!(
            "  exits with live updates on against off: {:+.1} %",
            (on / off - 1.0) * 100.0
        );
    }
    ctx.store.close().await;
    Ok(())
}

fn serve(dir: &std::path::Path, url: &str, port: u16, live: bool) -> anyhow::Result<Server> {
    let child = Command::new(env!("CARGO_BIN_EXE_badgetrail"))
        .arg("serve")
        .current_dir(dir)
        .env("BADGETRAIL_DATABASE_URL", url)
        .env("BADGETRAIL_BIND", format!("127.0.0.1:{port}"))
        .env("BADGETRAIL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("BADGETRAIL_MAIL_POLL_MS", "0")
        .env("BADGETRAIL_DATABASE_MAX_CONNECTIONS", "16")
        .env("BADGETRAIL_LEADS__LIVE_UPDATES", live.to_string())
        .env("BADGETRAIL_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Server(child))
}

struct Kiosk {
    addr: SocketAddr,
    token: String,
    badges: Arc<Vec<String>>,
    /// Which group of people: part of each scan's nonce, which must be new on its device.
    group: usize,
    k: usize,
    kiosks: usize,
    every: Duration,
    direction: &'static str,
    at: Timestamp,
    measure_from: Instant,
    stop: Instant,
}

/// One kiosk: its own connection, a scan every `every`, of attendees k, k + kiosks, ...;
/// returns what it saw while measuring and how many scans were acknowledged in all.
async fn kiosk(k: Kiosk) -> anyhow::Result<(Seen, usize)> {
    let stream = tokio::net::TcpStream::connect(k.addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let bearer = format!("Bearer {}", k.token);
    let host = k.addr.to_string();
    let mut seen = Seen::default();
    let mut acknowledged = 0;
    let start = Instant::now();
    for n in 0.. {
        let due = start + k.every * n;
        // A kiosk that fell behind does not send its backlog after the end: the rate is
        // what was acknowledged within the time.
        if due >= k.stop || Instant::now() >= k.stop {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let Some(badge) = k.badges.get(k.k + n as usize * k.kiosks) else {
            break;
        };
        let scanned = k.at + SignedDuration::from_millis(i64::from(n));
        let body = format!(
            "{{\"sent_at\":\"{}\",\"app_version\":\"bench\",\"queue_size\":0,\"scans\":[{{\"nonce\":\"{}-{}-{}-{n}\",\"badge\":\"{badge}\",\"device_time\":\"{scanned}\",\"direction\":\"{}\"}}]}}",
            Timestamp::now(),
            k.direction,
            k.group,
            k.k,
            k.direction
        );
        let req = Request::post("/api/v1/scans")
            .header(header::HOST, &host)
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let t0 = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.into_body().collect().await?.to_bytes();
                status == 200 && accepted(&bytes)
            }
            Err(_) => false,
        };
        if ok {
            acknowledged += 1;
        }
        if t0 >= k.measure_from && t0 < k.stop {
            seen.latencies.push(t0.elapsed());
            if ok {
                seen.scans += 1;
            } else {
                seen.errors += 1;
            }
        }
    }
    Ok((seen, acknowledged))
}

/// Whether the answer accepted the scan (every scan here is someone's first of its kind).
fn accepted(body: &[u8]) -> bool {
    let needle = b"\"decision\":\"accepted\"";
    body.windows(needle.len()).any(|w| w == needle)
}

async fn metrics(addr: SocketAddr) -> anyhow::Result<String> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = Request::get("/metrics")
        .header(header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn counter(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// (upper bound, cumulative count) of each bucket of a histogram, `+Inf` last.
fn histogram(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{le=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (le, tail) = rest.split_once('"')?;
            let count = tail.rsplit(' ').next()?.parse().ok()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count))
        })
        .collect()
}

/// The `q` quantile, interpolated linearly inside its bucket.
fn quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    let want = total * q;
    let mut below = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= want {
            if !le.is_finite() {
                return below.0;
            }
            let share = if count > below.1 {
                (want - below.1) / (count - below.1)
            } else {
                0.0
            };
            return below.0 + (le - below.0) * share;
        }
        below = (le, count);
    }
    below.0
}
