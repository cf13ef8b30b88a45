//! The daily retention pass: erases people whose event's retention period has passed.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::{context::Context, privacy::RetentionRun};

/// Lets a freshly started server settle (and an operator notice a wrong setting) before the
/// first pass erases anything.
const FIRST_PASS_AFTER: Duration = Duration::from_secs(600);

/// One pass at `now`.
pub async fn run_once(ctx: &Context, now: Timestamp) -> anyhow::Result<RetentionRun> {
    crate::privacy::retention::run(ctx, now, false).await
}

/// Runs a pass every `retention_hours` (0: never) until shutdown.
pub async fn run_until_shutdown(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    if ctx.settings.retention_hours == 0 {
        return;
    }
    let every = Duration::from_secs(ctx.settings.retention_hours * 3600);
    let mut pause = FIRST_PASS_AFTER.min(every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = run_once(&ctx, Timestamp::now()).await {
            tracing::error!(error = ?e, "retention pass failed");
        }
        pause = every;
    }
}
