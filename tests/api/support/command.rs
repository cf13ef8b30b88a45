//! The `badgetrail` binary run as a command: on a bare database with everything else in a
//! folder, or on a test app's database with the app's folder.

use std::{path::Path, process::Command};

use secrecy::ExposeSecret;

use super::app::TestApp;

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_badgetrail");

/// The binary on `db_url`, working in `dir` with its keys and mail outbox there; the
/// environment's own `DATABASE_URL` is not passed on.
pub fn badgetrail(dir: &Path, db_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("BADGETRAIL_DATABASE_URL", db_url)
        .env("BADGETRAIL_KEYS_DIR", dir.join("keys"))
        .env("BADGETRAIL_MAIL__OUTBOX_DIR", dir.join("outbox"));
    command
}

/// Runs a command to its end: whether it succeeded, its stdout and its stderr.
pub fn output(command: &mut Command) -> (bool, String, String) {
    let out = command.output().expect("binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `badgetrail <args>` on `db_url` with everything else in `dir`.
pub fn run_in(dir: &Path, db_url: &str, args: &[&str]) -> (bool, String, String) {
    output(badgetrail(dir, db_url).args(args))
}

/// Runs `badgetrail <args>` on the test app's database, with its folder and lead files.
pub fn run(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    run_with(app, args, &[])
}

/// [`run`] with `env` set too.
pub fn run_with(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let db_url = app.ctx.settings.database_url.expose_secret();
    output(
        badgetrail(app.dir.path(), db_url)
            .args(args)
            .envs(env.iter().copied())
            .env("BADGETRAIL_LEADS__CONFIG_DIR", app.dir.path().join("leads"))
            .env("BADGETRAIL_LOG", "warn"),
    )
}
