//! What the benchmarks that run the real `badgetrail serve` share: a database of their own
//! (an SQLite file, or a fresh PostgreSQL schema dropped at the end), the server process, and
//! reading CPU time and load off `/proc`.

use std::process::Child;
use std::time::Duration;

/// The `p` quantile of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

/// User + system CPU seconds of a process, from `/proc/PID/stat` (in 1/100 s).
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command name start at field 3 (state): utime is 14, stime 15.
    (ticks(11) + ticks(12)) / 100.0
}

/// User + system CPU seconds of this machine's PostgreSQL server processes (its backends
/// and helpers, every process named `postgres`), or `None` when none runs here. A backend
/// that exits between two readings takes its seconds with it, so this reads low across a
/// server restart, not across a run whose connections stay open.
pub fn local_postgres_seconds() -> Option<f64> {
    let mut found = false;
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() == "postgres" {
            found = true;
            total += cpu_seconds(pid);
        }
    }
    found.then_some(total)
}

/// Busy and total CPU seconds of the whole machine, from `/proc/stat`.
pub fn machine_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: f64 = cpu.iter().take(8).sum();
    let idle = cpu.get(3).copied().unwrap_or(0.0) + cpu.get(4).copied().unwrap_or(0.0);
    ((total - idle) / 100.0, total / 100.0)
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The URL to use and, on PostgreSQL, the admin URL and the schema made for this run:
/// `BENCH_DATABASE_URL` when set, else an SQLite file in `dir`.
pub async fn database(
    dir: &std::path::Path,
    name: &str,
) -> anyhow::Result<(String, Option<(String, String)>)> {
    let Ok(url) = std::env::var("BENCH_DATABASE_URL") else {
        return Ok((format!("sqlite://{}", dir.join("bench.db").display()), None));
    };
    if !url.starts_with("postgres") {
        return Ok((url, None));
    }
    let schema = format!("bench_{name}_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&pool)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await?;
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    Ok((scoped, Some((url, schema))))
}

pub async fn drop_schema(admin_url: &str, schema: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(admin_url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await;
        pool.close().await;
    }
}
