//! The whole lead build of a large event, as `badgetrail leads build` runs it (release
//! binary, its own process): wall time, attendees and scans per second, peak memory.
//!
//! `cargo bench --bench lead_build [-- ATTENDEES RUNS]` (defaults 100000 and 3). The event is
//! the sample programme held on two days, rooms scaled to the crowd, and a simulated door
//! day (`demo::door_day`) bulk-loaded as accepted scans: about 20 scans per attendee.
//! `BENCH_DATABASE_URL=postgres://...` (an empty database or schema) measures PostgreSQL.
//! `BENCH_POOL=1` then registers the same people for a second event and builds it with the
//! first one's leads in the data pool (the likely next need across events).

use std::{
    collections::HashMap,
    process::Command,
    time::{Duration, Instant},
};

use badgetrail::{
    config::Settings,
    context::Context,
    demo::{
        self,
        door_day::{self, Behaviour, Walker},
    },
    domain::{door::scan::Direction, programme::Programme},
    store::{BulkAttendee, BulkLoad, BulkScan},
};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};

#[path = "support/bulk.rs"]
mod bulk;

/// The sample programme on two consecutive days, rooms `scale` times larger.
fn two_days(scale: f64) -> Programme {
    let mut p = demo::programme::cloud_summit();
    for r in &mut p.rooms {
        r.capacity = (f64::from(r.capacity) * scale).ceil() as u32;
    }
    let day2: Vec<_> = p
        .sessions
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.id = format!("{}-D2", s.id);
            s.starts_at += SignedDuration::from_hours(24);
            s.ends_at += SignedDuration::from_hours(24);
            s
        })
        .collect();
    p.sessions.extend(day2);
    p.event.ends_on = p.event.ends_on.tomorrow().expect("a real date");
    p
}

/// Peak resident memory of a finished child, in MiB, and its exit status.
fn wait_with_peak(child: std::process::Child) -> (i32, f64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child with valid pointers; the Child handle is forgotten so
    // it does not wait again.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    (status, usage.ru_maxrss as f64 / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{} cores, {cpu}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let attendees: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let s = Settings {
        database_url: SecretString::from(url.clone()),
        database_max_connections: 8,
        mail_poll_ms: 0,
        ..Settings::default()
    };
    let ctx = Context::build(s).await?;
    let backend = format!("{:?}", ctx.store.backend());

    let setup = Instant::now();
    let p = two_days(attendees as f64 / 250.0);
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await?;
    let event = ctx
        .store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await?
        .expect("just imported");
    let topic_ids = bulk::topic_ids(&ctx, event.id).await?;
    let slugs: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people = demo::people::synthetic(attendees, &slugs, 17);
    let mut walkers = Vec::with_capacity(attendees);
    for chunk in people.chunks(50_000) {
        let rows: Vec<BulkAttendee> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let email = format!("{}.{}.{}", walkers.len() + i, r.email, "bench");
                bulk::attendee(email, r, &topic_ids)
            })
            .collect();
        let ids = BulkLoad::into(&ctx.store)
            .attendees(event.id, &rows, now)
            .await?;
        for (id, r) in ids.into_iter().zip(chunk) {
            walkers.push(Walker {
                attendee_id: id,
                declared: r.interests.clone(),
            });
        }
    }
    drop(people);
    let behaviour = Behaviour {
        scan_exit: 0.8,
        ..Behaviour::default()
    };
    let day = door_day::simulate(&p, &walkers, 17, &behaviour);
    drop(walkers);
    let sessions = ctx.store.leads().lead_sessions(event.id).await?;
    let mut by_room: HashMap<i64, Vec<(i64, i64, i64)>> = HashMap::new();
    let room_ids: HashMap<String, i64> = ctx
        .store
        .door()
        .event_rooms(event.id)
        .await?
        .into_iter()
        .map(|(id, n)| (n, id))
        .collect();
    for s in &sessions {
        by_room
            .entry(s.room_id)
            .or_default()
            .push((s.id, s.starts_at, s.ends_at));
    }
    let grace = 10 * 60_000;
    let scans: Vec<BulkScan> = day
        .scans
        .iter()
        .filter_map(|s| {
            let room_id = *room_ids.get(&s.room)?;
            let at = s.at.as_millisecond();
            let (session_id, _, _) = by_room
                .get(&room_id)?
                .iter()
                .find(|(_, start, end)| start - grace <= at && at <= end + grace)?;
            Some(BulkScan {
                attendee_id: s.attendee_id,
                room_id,
                session_id: *session_id,
                entry: s.direction == Direction::Entry,
                at: s.at,
            })
        })
        .collect();
    drop(day);
    let device = ctx.store.door().import_device(event.id, now).await?;
    for (i, chunk) in scans.chunks(200_000).enumerate() {
        BulkLoad::into(&ctx.store)
            .scans(event.id, device, i * 200_000, chunk, now)
            .await?;
    }
    let scan_count = scans.len();
    drop(scans);
    // Registration resolves each person to the data pool as it records them; the bulk
    // loader does not, and every command would otherwise resolve them all when it starts
    // (73 s for 1,000,000 on PostgreSQL), inside the first build's time.
    badgetrail::pool::resolve_all(&ctx.store).await?;
    // The sample event's files: scoring, routing to two sales owners, content.
    let files = dir.path().join("leads").join(demo::programme::SLUG);
    std::fs::create_dir_all(&files)?;
    for (name, text) in [
        (
            "scoring.toml",
            include_str!("../examples/cloud-summit-scoring.toml"),
        ),
        (
            "routing.toml",
            include_str!("../examples/cloud-summit-routing.toml"),
        ),
        (
            "content.toml",
            include_str!("../examples/cloud-summit-content.toml"),
        ),
    ] {
        std::fs::write(files.join(name), text)?;
    }
    for name in ["sales", "sales2"] {
        badgetrail::accounts::upsert_user(
            &ctx.store,
            name,
            name,
            badgetrail::domain::user::Role::Sales,
            "bench-password-1",
            now,
        )
        .await?;
    }
    ctx.store.close().await;
    println!(
        "lead_build: {backend}, {attendees} attendees, {scan_count} accepted scans ({:.1} per attendee), set up in {:.1} s",
        scan_count as f64 / attendees as f64,
        setup.elapsed().as_secs_f64()
    );
    println!("machine: {}", machine());

    let bin = env!("CARGO_BIN_EXE_badgetrail");
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for run in 1..=runs {
        let started = Instant::now();
        let child = Command::new(bin)
            .args(["leads", "build", "--event", demo::programme::SLUG])
            .env(
                "BADGETRAIL_DATABASE_URL",
                ctx.settings.database_url.expose_secret(),
            )
            .env("BADGETRAIL_LEADS__CONFIG_DIR", dir.path().join("leads"))
            .env("BADGETRAIL_KEYS_DIR", dir.path().join("keys"))
            .env("BADGETRAIL_LOG", "warn,badgetrail::leads=info")
            .spawn()?;
        let (status, peak) = wait_with_peak(child);
        let took = started.elapsed();
        anyhow::ensure!(status == 0, "leads build failed (status {status})");
        println!(
            "  run {run}: {:.2} s, {:.0} attendees/s, {:.0} scans/s, peak memory {peak:.0} MiB",
            took.as_secs_f64(),
            attendees as f64 / took.as_secs_f64(),
            scan_count as f64 / took.as_secs_f64()
        );
        times.push(took);
        peaks.push(peak);
    }
    if times.is_empty() {
        // `-- ATTENDEES 0`: set up only, for builds run by hand against the database.
        return Ok(());
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = *times.last().unwrap_or(&Duration::ZERO);
    println!(
        "lead_build: {backend} median {:.2} s, slowest {:.2} s over {runs} runs; peak memory at most {:.0} MiB",
        median.as_secs_f64(),
        worst.as_secs_f64(),
        peaks.iter().copied().fold(0.0, f64::max)
    );
    if std::env::var_os("BENCH_POOL").is_some() {
        second_event(&ctx.settings, &p, attendees, &slugs, &dir).await?;
    }
    Ok(())
}

/// `BENCH_POOL=1`: the same people register for a second event, which is built with the
/// first one's leads in the data pool (each person's genuine interests there, read by
/// `Leads::pool_interests`): the time of that read, and of the second event's whole build.
async fn second_event(
    settings: &Settings,
    p: &Programme,
    attendees: usize,
    slugs: &[&str],
    dir: &tempfile::TempDir,
) -> anyhow::Result<()> {
    const SLUG: &str = "data-days-2026";
    let ctx = Context::build(settings.clone()).await?;
    let mut p = p.clone();
    p.event.slug = badgetrail::domain::slug::Slug::parse(SLUG).map_err(anyhow::Error::msg)?;
    p.event.name = "Data Days 2026".into();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await?;
    let event = ctx
        .store
        .events()
        .event_by_slug(SLUG)
        .await?
        .expect("just imported");
    let topic_ids = bulk::topic_ids(&ctx, event.id).await?;
    // The same synthetic people under the same addresses: the data pool makes them the
    // same persons.
    let people = demo::people::synthetic(attendees, slugs, 17);
    for (n, chunk) in people.chunks(50_000).enumerate() {
        let rows: Vec<BulkAttendee> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let email = format!("{}.{}.{}", n * 50_000 + i, r.email, "bench");
                bulk::attendee(email, r, &topic_ids)
            })
            .collect();
        BulkLoad::into(&ctx.store)
            .attendees(event.id, &rows, now)
            .await?;
    }
    badgetrail::pool::resolve_all(&ctx.store).await?;
    for run in 1..=3 {
        let started = Instant::now();
        let found = ctx.store.leads().pool_interests(event.id).await?;
        println!(
            "  pool read {run}: {} leads of other events with genuine interests ({} of people here) in {:.2} s",
            found.interests.len(),
            found.interests.iter().filter(|i| i.here.is_some()).count(),
            started.elapsed().as_secs_f64()
        );
    }
    ctx.store.close().await;
    let files = dir.path().join("leads");
    std::fs::create_dir_all(files.join(SLUG))?;
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_badgetrail"))
        .args(["leads", "build", "--event", SLUG])
        .env(
            "BADGETRAIL_DATABASE_URL",
            settings.database_url.expose_secret(),
        )
        .env("BADGETRAIL_LEADS__CONFIG_DIR", files)
        .env("BADGETRAIL_KEYS_DIR", dir.path().join("keys"))
        .env("BADGETRAIL_LOG", "warn,badgetrail::leads=info")
        .spawn()?;
    let (status, peak) = wait_with_peak(child);
    anyhow::ensure!(status == 0, "leads build failed (status {status})");
    println!(
        "lead_build: the second event ({attendees} attendees, no scans, the first event's leads in the pool) built in {:.2} s, peak memory {peak:.0} MiB",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
