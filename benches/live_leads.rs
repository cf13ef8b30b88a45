//! Live leads under a sustained door load: kiosks send single scans at a fixed total rate to
//! the real `badgetrail serve` (its own process), every scan accepted and of a different
//! attendee. Two groups of people, each as many as a run scans, and several rounds, each in
//! its own session of the Main Hall. In a round each group has one server, as at an event,
//! live updates off for one group and on for the other: first the group's entries (each
//! badge's first scan that server sees, so the door checks its signature), then its exits
//! (badges the server saw enter, whose check it remembers; each exit makes a stay that the
//! live worker scores). The two groups do the same door work on a database of about the
//! same size, and entries and exits are each compared on against off. Rounds alternate
//! which group has live updates and which goes first; the figures are the medians of the
//! rounds, since one run on a shared machine can be off by several points. For each run:
//! the rate reached, request latency percentiles and server CPU (and that of PostgreSQL,
//! when it runs on this machine); with live updates on, the lag from each scan group's
//! commit to its attendees' stored live leads (p50, p90, p99, read off the server's
//! `badgetrail_live_lead_lag_seconds` histogram less its counts before the run,
//! interpolated inside its buckets, after the backlog drained) and a check that every
//! attendee scanned in the run has a live lead stored in it.
//!
//! `cargo bench --bench live_leads [-- SECONDS RATE KIOSKS ROUNDS]` (defaults 8, 10000, 100,
//! 3; at most 4 rounds); set `BENCH_DATABASE_URL` to a `postgres://` URL to measure
//! PostgreSQL (a schema of its own, dropped at the end).

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

/// When a round scans: the Main Hall's sessions of the sample programme, local times of
/// group A's and B's entries, then of their exits.
struct RoundTimes {
    session: &'static str,
    entries: [&'static str; 2],
    exits: [&'static str; 2],
}

const ROUNDS: [RoundTimes; 4] = [
    RoundTimes {
        session: "opening keynote, 09:00-09:45",
        entries: ["09:05", "09:06"],
        exits: ["09:30", "09:31"],
    },
    RoundTimes {
        session: "second keynote, 09:45-10:30",
        entries: ["09:50", "09:51"],
        exits: ["10:15", "10:16"],
    },
    RoundTimes {
        session: "panel, 14:00-14:45",
        entries: ["14:05", "14:06"],
        exits: ["14:30", "14:31"],
    },
    RoundTimes {
        session: "closing keynote, 17:00-17:45",
        entries: ["17:05", "17:06"],
        exits: ["17:30", "17:31"],
    },
];

struct Load {
    seconds: u64,
    rate: usize,
    kiosks: usize,
    /// Rounds of entries and exits, each in its own session (at most `ROUNDS.len()`).
    rounds: usize,
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
        rounds: args
            .get(3)
            .and_then(|s| s.parse().ok())
            .unwrap_or(3)
            .clamp(1, ROUNDS.len()),
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
    // As an import leaves them (it refreshes them itself, and the server's autovacuum or the
    // pass every minute when that is off): PostgreSQL's planner statistics of the tables just
    // loaded. Without them it plans the live read as if one attendee had thousands of rows,
    // and no server of a round lives the minute to its first pass.
    let analyzed = ctx.store.refresh_stale_statistics().await?;
    println!(
        "live_leads: registered {} attendees in {:.0} s; planner statistics gathered for {}",
        badges.len(),
        started.elapsed().as_secs_f64(),
        if analyzed.is_empty() {
            "none (SQLite needs none)".to_owned()
        } else {
            analyzed.join(", ")
        }
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
    let bench = Bench {
        ctx: &ctx,
        dir,
        url,
        port,
        load,
        tokens,
        event_id: event.id,
    };
    // Per round, the relative difference of the rates with live updates on against off, for
    // entries and for exits.
    let mut entries = Vec::new();
    let mut exits = Vec::new();
    for (round, times) in ROUNDS.iter().take(load.rounds).enumerate() {
        // Odd rounds turn live updates on for the other group, and measure it first, so
        // neither the group nor the order favours one side.
        let order = if round % 2 == 0 {
            [(0, false), (1, true)]
        } else {
            [(0, true), (1, false)]
        };
        println!("round {} ({}, in the Main Hall):", round + 1, times.session);
        let mut rates = Vec::new();
        for (g, live) in order {
            // One server for the group's entries and exits, as at an event: the exits are of
            // badges it saw enter.
            let server = start(&bench, live).await?;
            for (direction, clock) in [("entry", times.entries[g]), ("exit", times.exits[g])] {
                let run = Run {
                    round,
                    group: g,
                    live,
                    direction,
                    at: format!("2026-05-12T{clock}:00+02:00").parse()?,
                };
                let rate = run_once(&bench, &server, &groups[g], &run).await?;
                rates.push((live, direction, rate));
            }
        }
        let ratio = |direction: &str| {
            let rate = |live: bool| {
                rates
                    .iter()
                    .find(|r| r.0 == live && r.1 == direction)
                    .map(|r| r.2)
            };
            rate(true)
                .zip(rate(false))
                .map(|(on, off)| (on / off - 1.0) * 100.0)
        };
        if let (Some(entry), Some(exit)) = (ratio("entry"), ratio("exit")) {
            println!("  live updates on against off: entries {entry:+.1} %, exits {exit:+.1} %");
            entries.push(entry);
            exits.push(exit);
        }
    }
    let listed = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{r:+.1} %"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let (Some(entry), Some(exit)) = (median(&entries), median(&exits)) {
        println!(
            "live updates on against off, median of {} rounds: entries (each badge's first scan this server sees) {entry:+.1} % ({}); exits (badges it saw enter) {exit:+.1} % ({})",
            exits.len(),
            listed(&entries),
            listed(&exits)
        );
    }
    ctx.store.close().await;
    Ok(())
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// One run of a round: a group's scans of one direction, with live updates on or off.
struct Run {
    round: usize,
    group: usize,
    live: bool,
    direction: &'static str,
    at: Timestamp,
}

/// What every run shares: the database, the server's port, the kiosks' tokens.
struct Bench<'a> {
    ctx: &'a Context,
    dir: &'a std::path::Path,
    url: &'a str,
    port: u16,
    load: &'a Load,
    tokens: Vec<String>,
    event_id: i64,
}

/// Lets the kiosks scan `badges` on the running `server` as `run` says, prints what they saw
/// (and, with live updates on, the lag and that every scanned attendee's live lead was stored)
/// and returns the rate acknowledged.
async fn run_once(
    b: &Bench<'_>,
    server: &Started,
    badges: &Arc<Vec<String>>,
    run: &Run,
) -> anyhow::Result<f64> {
    let Bench { ctx, load, .. } = *b;
    let Started { addr, ref pid, .. } = *server;
    let on_postgres = b.url.starts_with("postgres");
    let started_ms = Timestamp::now().as_millisecond();
    // The server's live-lead counters before the run: what it reports after is this run's
    // less these.
    let before = if run.live {
        metrics(addr).await?
    } else {
        String::new()
    };
    let measure_from = Instant::now() + WARM_UP;
    let stop = measure_from + Duration::from_secs(load.seconds);
    let per_kiosk = Duration::from_secs_f64(load.kiosks as f64 / load.rate as f64);
    let tasks: Vec<_> = b
        .tokens
        .iter()
        .enumerate()
        .map(|(k, token)| {
            tokio::spawn(kiosk(Kiosk {
                addr,
                token: token.clone(),
                badges: badges.clone(),
                nonce_prefix: format!("{}-{}-{}-{k}", run.direction, run.round, run.group),
                k,
                kiosks: load.kiosks,
                every: per_kiosk,
                direction: run.direction,
                at: run.at,
                measure_from,
                stop,
            }))
        })
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu0 = cpu_seconds(pid);
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
    let cpu = cpu_seconds(pid) - cpu0;
    let db = db0.zip(local_postgres_seconds()).map(|(a, b)| b - a);
    seen.latencies.sort();
    let rate = seen.scans as f64 / secs;
    println!(
        "  {} of group {}, live updates {}: {:.0} scans/s acknowledged ({} asked), {} errors; request latency p50 {:.1} ms p90 {:.1} ms p99 {:.1} ms; server CPU {:.2} cores{}",
        if run.direction == "exit" {
            "exits  "
        } else {
            "entries"
        },
        if run.group == 0 { 'A' } else { 'B' },
        if run.live { "on " } else { "off" },
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
    if run.live {
        // Wait for the backlog: every acknowledged scan's attendee updated.
        let waited = Instant::now();
        let lag = loop {
            let m = metrics(addr).await?;
            let updated = counter(&m, "badgetrail_live_leads_updated_total")
                - counter(&before, "badgetrail_live_leads_updated_total");
            if updated >= sent as f64 || waited.elapsed() > Duration::from_secs(120) {
                break m;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let earlier = histogram(&before, "badgetrail_live_lead_lag_seconds");
        let buckets: Vec<(f64, f64)> = histogram(&lag, "badgetrail_live_lead_lag_seconds")
            .into_iter()
            .map(|(le, count)| {
                let was = earlier.iter().find(|e| e.0 == le).map_or(0.0, |e| e.1);
                (le, count - was)
            })
            .collect();
        println!(
            "  live lead lag from commit, {} updates (warm-up included): p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms; backlog drained {:.1} s after the load stopped",
            buckets.last().map_or(0.0, |b| b.1),
            quantile(&buckets, 0.5) * 1e3,
            quantile(&buckets, 0.9) * 1e3,
            quantile(&buckets, 0.99) * 1e3,
            waited.elapsed().as_secs_f64(),
        );
        let stored = ctx
            .store
            .leads()
            .live_leads(b.event_id)
            .await?
            .into_iter()
            .filter(|l| l.updated_at >= started_ms)
            .count();
        println!("  live leads stored in this run: {stored} for {sent} scanned attendees");
        anyhow::ensure!(stored >= sent, "live leads are missing");
    }
    Ok(rate)
}

/// A running server, stopped when dropped.
struct Started {
    _server: Server,
    addr: SocketAddr,
    pid: String,
}

/// Starts a server with live updates on or off and waits until it listens.
async fn start(b: &Bench<'_>, live: bool) -> anyhow::Result<Started> {
    let server = serve(b.dir, b.url, b.port, live)?;
    let addr: SocketAddr = format!("127.0.0.1:{}", b.port).parse()?;
    let ready = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        anyhow::ensure!(
            ready.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = server.0.id().to_string();
    Ok(Started {
        _server: server,
        addr,
        pid,
    })
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
    /// Direction, round, group and kiosk: each scan's nonce, which must be new on its
    /// device, is this and the scan's number.
    nonce_prefix: String,
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
            "{{\"sent_at\":\"{}\",\"app_version\":\"bench\",\"queue_size\":0,\"scans\":[{{\"nonce\":\"{}-{n}\",\"badge\":\"{badge}\",\"device_time\":\"{scanned}\",\"direction\":\"{}\"}}]}}",
            Timestamp::now(),
            k.nonce_prefix,
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
