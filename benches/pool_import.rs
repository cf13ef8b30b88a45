//! Importing attendees into the data pool: the registrations themselves (as `attendees
//! import` records them) and, timed apart, their resolution to people and companies, into a
//! pool that already holds people of earlier events.
//!
//! `cargo bench --bench pool_import [-- ATTENDEES POOL]` (defaults 100000 and 100000);
//! `BENCH_DATABASE_URL=postgres://...` (an empty database) measures PostgreSQL. Half of the
//! imported people are already in the pool (same address, an earlier event).

use std::time::{Duration, Instant};

use badgetrail::{
    demo,
    domain::attendee::Registration,
    pool,
    store::{BulkAttendee, BulkLoad, OnExisting, RegisterOptions},
};
use jiff::Timestamp;

#[path = "support/pool.rs"]
mod support;
use support::{TwoEvents, bulk_row};

/// Registrations per transaction, as `attendees import` writes them.
const CHUNK: usize = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let attendees: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let pool_size: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let db = TwoEvents::new().await?;
    let ctx = &db.ctx;
    let now = Timestamp::now();
    let (history, event) = (&db.earlier, &db.later);
    let topics: Vec<&str> = db.topics.iter().map(String::as_str).collect();

    // The pool: people of an earlier event, bulk-loaded, then resolved.
    let started = Instant::now();
    let past = demo::people::synthetic(pool_size, &topics, 3);
    for (n, chunk) in past.chunks(50_000).enumerate() {
        let rows: Vec<BulkAttendee> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| bulk_row(n * 50_000 + i, r))
            .collect();
        BulkLoad::into(&ctx.store)
            .attendees(history.id, &rows, now)
            .await?;
    }
    let loaded = started.elapsed();
    let started = Instant::now();
    let resolved = pool::resolve_all(&ctx.store).await?;
    let backfill = started.elapsed();
    println!(
        "pool: {pool_size} registrations bulk-loaded in {:.1} s, {resolved} resolved in {:.1} s ({:.0}/s)",
        loaded.as_secs_f64(),
        backfill.as_secs_f64(),
        resolved as f64 / backfill.as_secs_f64()
    );

    // The import: half returning people (same address as in the pool), half new.
    let regs: Vec<Registration> = demo::people::synthetic(attendees, &topics, 5)
        .into_iter()
        .enumerate()
        .map(|(i, mut input)| {
            let domain = input
                .email
                .split('@')
                .nth(1)
                .unwrap_or("x.example")
                .to_owned();
            input.email = if i % 2 == 0 && i / 2 < pool_size {
                format!("person{}@{domain}", i / 2)
            } else {
                format!("new{i}@{domain}")
            };
            Registration::parse(&input, &topics).map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let keys = ctx.badges.keys_for(event.id, now).await?;
    let none = Default::default();
    let (mut register, mut resolve) = (Duration::ZERO, Duration::ZERO);
    let mut chunk_register = Vec::new();
    let mut chunk_resolve = Vec::new();
    for chunk in regs.chunks(CHUNK) {
        let t = Instant::now();
        let outcomes = ctx
            .store
            .attendees()
            .register_attendees(
                event.id,
                chunk,
                RegisterOptions {
                    source: "import",
                    send_badge_mail: false,
                    existing: OnExisting::Update,
                    no_badge_mail: &none,
                },
                Timestamp::now(),
                &|a, s| keys.sign(a, s),
            )
            .await?;
        let r = t.elapsed();
        register += r;
        chunk_register.push(r);
        let ids: Vec<i64> = outcomes.iter().map(|o| o.attendee_id).collect();
        let t = Instant::now();
        pool::resolve_registrations(&ctx.store, &ids).await?;
        let r = t.elapsed();
        resolve += r;
        chunk_resolve.push(r);
    }
    chunk_register.sort();
    chunk_resolve.sort();
    let pct = |v: &[Duration], q: f64| {
        v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "import of {attendees} ({} per transaction): registrations {:.1} s ({:.0}/s), resolution {:.1} s, import with the pool {:.1} s = {:+.1}% over the import without it",
        CHUNK,
        register.as_secs_f64(),
        attendees as f64 / register.as_secs_f64(),
        resolve.as_secs_f64(),
        (register + resolve).as_secs_f64(),
        resolve.as_secs_f64() * 100.0 / register.as_secs_f64()
    );
    println!(
        "per chunk: registrations p50 {:.0} ms p95 {:.0} ms; resolution p50 {:.0} ms p95 {:.0} ms",
        pct(&chunk_register, 0.5),
        pct(&chunk_register, 0.95),
        pct(&chunk_resolve, 0.5),
        pct(&chunk_resolve, 0.95)
    );
    let backend = db.backend();
    println!("database: {backend}");
    Ok(())
}
