//! The `badgetrail` command: parse arguments, set up logging, run the command.

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: a lead build allocates millions of small
/// strings across threads, where glibc's malloc spent a fifth of the time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = badgetrail::cli::Cli::parse();
    badgetrail::context::install_tls_provider();
    let filter = EnvFilter::try_from_env("BADGETRAIL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // JSON lines for log collectors; the readable format for people at a terminal.
    match std::env::var("BADGETRAIL_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok("text") | Err(std::env::VarError::NotPresent) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok(other) => {
            eprintln!("error: BADGETRAIL_LOG_FORMAT must be json or text, not {other:?}");
            return std::process::ExitCode::FAILURE;
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            eprintln!("error: BADGETRAIL_LOG_FORMAT must be json or text");
            return std::process::ExitCode::FAILURE;
        }
    }
    match badgetrail::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
