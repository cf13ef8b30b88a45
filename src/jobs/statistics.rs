//! Planner statistics on a PostgreSQL server whose autovacuum is off: a pass every minute
//! analyzes the tables that changed enough since they were last analyzed.

use std::time::Duration;

use tokio::sync::watch;

use crate::context::Context;

/// How often the pass looks for stale tables; a look costs one catalog read.
const EVERY: Duration = Duration::from_secs(60);

/// One pass: the tables analyzed.
pub async fn run_once(ctx: &Context) -> anyhow::Result<Vec<String>> {
    Ok(ctx.store.refresh_stale_statistics().await?)
}

/// Runs a pass every minute until shutdown, when the database is PostgreSQL and its
/// autovacuum is off; otherwise the server keeps its own statistics and this returns.
pub async fn run_until_shutdown(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    match ctx.store.server_refreshes_statistics().await {
        Ok(Some(false)) => tracing::warn!(
            "PostgreSQL's autovacuum is off: this server analyzes its tables itself every \
             minute, but dead rows are not reclaimed; turn autovacuum on or VACUUM regularly"
        ),
        Ok(_) => return,
        Err(e) => return tracing::warn!(error = %e, "autovacuum setting not read"),
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        match run_once(&ctx).await {
            Ok(tables) if !tables.is_empty() => {
                tracing::debug!(tables = tables.join(", "), "planner statistics refreshed")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planner statistics not refreshed"),
        }
    }
}
