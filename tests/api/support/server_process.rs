//! The real `badgetrail serve` binary as a child process, configured by a file, and waiting
//! until it answers `/readyz`; free ports, and the library on the same database for set-up.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use badgetrail::{config::Settings, context::Context};
use secrecy::SecretString;

/// The real binary serving with a configuration file that points at `db_url`.
pub(crate) struct Server(pub(crate) Child);

impl Server {
    pub(crate) fn start(dir: &Path, db_url: &str, port: u16) -> Server {
        Server::start_with(dir, db_url, port, toml::Table::new())
    }

    /// [`Server::start`] with more settings in the configuration file; a top-level key in
    /// `more` replaces the one written here (`public_url`, say, for a server behind a proxy).
    pub(crate) fn start_with(dir: &Path, db_url: &str, port: u16, more: toml::Table) -> Server {
        let config = dir.join("badgetrail.toml");
        let mut mail = toml::Table::new();
        mail.insert("outbox_dir".into(), path(&dir.join("outbox")));
        let mut t = toml::Table::new();
        t.insert("database_url".into(), db_url.into());
        t.insert("bind".into(), format!("127.0.0.1:{port}").into());
        t.insert(
            "public_url".into(),
            format!("http://127.0.0.1:{port}").into(),
        );
        t.insert("mail_poll_ms".into(), 0.into());
        t.insert("keys_dir".into(), path(&dir.join("keys")));
        t.insert("mail".into(), mail.into());
        t.extend(more);
        std::fs::write(&config, toml::to_string(&t).unwrap()).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_badgetrail"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env("BADGETRAIL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        Server(child)
    }

    /// SIGKILL: no shutdown handler, no flushing, no goodbye.
    pub(crate) fn kill_9(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn path(p: &Path) -> toml::Value {
    p.to_str().unwrap().into()
}

pub(crate) async fn wait_until_serving(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up at {base}");
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The library on `db_url` (migrating it), as the server in `dir` sees it: its keys and
/// outbox there, no mail polling. For set-up beside a server process.
pub async fn library_context(db_url: &str, dir: &Path) -> Context {
    let mut settings = Settings {
        database_url: SecretString::from(db_url.to_owned()),
        keys_dir: dir.join("keys"),
        mail_poll_ms: 0,
        ..Settings::default()
    };
    settings.mail.outbox_dir = dir.join("outbox");
    Context::build(settings).await.unwrap()
}
