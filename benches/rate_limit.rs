//! What a per-client limit check costs: in process (governor, SQLite deployments) and counted
//! in PostgreSQL (`rate_limit_hits`, shared by every instance), one client after another and
//! with many checks at once, on distinct clients and on one client.
//!
//! `cargo bench --bench rate_limit [-- CHECKS]`; `BENCH_DATABASE_URL` names the PostgreSQL
//! database (default `postgres://postgres@127.0.0.1:5432/test`), where the benchmark makes
//! its own schema and drops it at the end.

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use badgetrail::{store::Store, web::rate_limit::PerClientLimit};
use jiff::Timestamp;

/// Checks in flight at once in the concurrent runs: the pool size of a `serve` instance.
const AT_ONCE: usize = 16;

fn client(n: usize) -> IpAddr {
    IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8])
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e6
}

/// Runs `checks` checks, `at_once` at a time, client `pick(i)` for the i-th; prints the rate
/// and the latency of one check.
async fn run(
    name: &str,
    limit: Arc<PerClientLimit>,
    checks: usize,
    at_once: usize,
    pick: fn(usize) -> IpAddr,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..at_once {
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            for i in (t..checks).step_by(at_once) {
                let t0 = Instant::now();
                limit.check(pick(i), Timestamp::now()).await?;
                took.push(t0.elapsed());
            }
            anyhow::Ok(took)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "  {name:<44} {:>9.0} checks/s; one check p50 {:.1} us, p99 {:.1} us",
        checks as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let checks: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(measure(checks))
}

async fn measure(checks: usize) -> anyhow::Result<()> {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("bench_rate_limit_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await?;
    let sep = if admin.contains('?') { '&' } else { '?' };
    let url = format!("{admin}{sep}options=-c%20search_path%3D{schema}");
    let result = async {
        let store = Store::connect(&url, AT_ONCE as u32).await?;
        // High enough that every check is admitted: the cost, not the refusals, is measured.
        let shared = Arc::new(PerClientLimit::for_store(&store, "bench", u32::MAX));
        let local = Arc::new(PerClientLimit::in_process("bench", u32::MAX));
        println!("rate_limit: {checks} checks per run");
        run("in process (governor)", local.clone(), checks, 1, client).await?;
        run(
            "PostgreSQL, one at a time",
            shared.clone(),
            checks,
            1,
            client,
        )
        .await?;
        let at_once = format!("PostgreSQL, {AT_ONCE} at once, distinct clients");
        run(&at_once, shared.clone(), checks, AT_ONCE, client).await?;
        let one = format!("PostgreSQL, {AT_ONCE} at once, one client");
        run(&one, shared, checks, AT_ONCE, |_| client(0)).await?;
        store.close().await;
        anyhow::Ok(())
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&pool)
        .await?;
    result
}
