//! Waiting for something a test expects: a condition polled until it holds, failing loudly
//! with what was awaited once a deadline passes, rather than a sleep of a guessed length.

use std::time::{Duration, Instant};

/// How long a test waits for something it expects before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `done` until it holds, for at most `within`; panics naming `what`.
pub async fn until(what: &str, within: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
