//! Spawning the app for a test: a fresh SQLite file or PostgreSQL schema, port 0, outbox mail;
//! requests with its client, the demo event, a second event, and databases of older schemas.

use std::path::PathBuf;

use badgetrail::{
    app::Application,
    config::Settings,
    context::Context,
    demo,
    domain::slug::Slug,
    store::{EventRecord, Store},
};
use jiff::Timestamp;
use secrecy::SecretString;
use tokio::sync::oneshot;

use super::forms::extract_csrf;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs one async test body against both backends as two `#[tokio::test]`s.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::app::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::app::Db::Postgres).await
            }
        })+
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("BADGETRAIL_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A running app. Dropping it stops the server and removes its database.
pub struct TestApp {
    pub address: String,
    pub ctx: Context,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    /// The running server, and the settings it was built from (for `restart`).
    server: Option<Server>,
    settings: Settings,
    _db: FreshDb,
}

/// A database for one test: an SQLite file in the test's directory, or a PostgreSQL schema
/// that is dropped with this value.
pub struct FreshDb {
    pub url: String,
    schema: Option<String>,
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Dropping may run outside any runtime: use a small one of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                    let _ =
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                            .execute(&pool)
                            .await;
                }
            })
        })
        .join();
    }
}

/// Says that a test cannot run because something it needs from outside the repository
/// (PostgreSQL, Chromium, chromedriver, aiosmtpd) is missing. The test fails, naming what is
/// missing and how to get it, so a run that could not test something never looks like a
/// pass. With `BADGETRAIL_ALLOW_SKIPS=1` it is skipped instead: this returns after a
/// `SKIPPED` line, and the caller returns early.
pub fn cannot_run(missing: &str, fix: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if std::env::var("BADGETRAIL_ALLOW_SKIPS").as_deref() != Ok("1") {
        panic!(
            "{test} cannot run: {missing}. {fix}; or set BADGETRAIL_ALLOW_SKIPS=1 to skip what cannot run"
        );
    }
    // Straight to the process's stderr: the test harness keeps what `eprintln!` prints to
    // itself unless the test fails, and a skip must show in every run, one line each, so
    // that `grep -c SKIPPED` counts them.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED {test}: {missing} (BADGETRAIL_ALLOW_SKIPS=1)"
    );
}

/// A fresh database URL for one test, or `None` when PostgreSQL is unreachable and skips are
/// allowed (`cannot_run`).
pub async fn fresh_database(db: Db, dir: &std::path::Path) -> Option<FreshDb> {
    badgetrail::context::install_tls_provider();
    match db {
        Db::Sqlite => Some(FreshDb {
            url: format!("sqlite://{}", dir.join("badgetrail.db").display()),
            schema: None,
        }),
        Db::Postgres => {
            let admin = postgres_admin_url();
            let conn = sqlx::PgPool::connect(&admin).await;
            let pool = match conn {
                Ok(p) => p,
                Err(e) => {
                    cannot_run(
                        &format!("PostgreSQL is not reachable at {admin} ({e})"),
                        "./scripts/test installs and starts it (BADGETRAIL_TEST_POSTGRES names another server)",
                    );
                    return None;
                }
            };
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).unwrap();
            let schema = format!("t_{}", data_encoding::HEXLOWER.encode(&bytes));
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let sep = if admin.contains('?') { '&' } else { '?' };
            Some(FreshDb {
                url: format!("{admin}{sep}options=-c%20search_path%3D{schema}"),
                schema: Some(schema),
            })
        }
    }
}

/// Settings for a test app: everything local to `dir`.
pub fn test_settings(database_url: String, dir: &std::path::Path, port: u16) -> Settings {
    let mut s = Settings {
        database_url: SecretString::from(database_url),
        database_max_connections: 4,
        bind: format!("127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        keys_dir: dir.join("keys"),
        mail_poll_ms: 0,
        registration_per_minute: 0,
        // Tests run retention passes themselves, with `retention::run_once`.
        retention_hours: 0,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.join("outbox");
    s.mail.from = "Cloud Summit <badges@badgetrail.example>".into();
    // Tests drive the campaign sender themselves, with `edm_send::run_once`.
    s.edm.poll_ms = 0;
    s.leads.config_dir = dir.join("leads");
    // A real badge decodes in a few ms in release, but a debug build on a loaded machine
    // can pass the production 300 ms; the tests about the budget set it themselves.
    s.decode.budget_ms = 10_000;
    s
}

pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {}).await
}

pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let fresh = fresh_database(db, dir.path()).await?;
    let (url, path) = (fresh.url.clone(), dir.path().to_owned());
    let app = start(dir, fresh, |port| {
        let mut settings = test_settings(url, &path, port);
        adjust(&mut settings);
        settings
    })
    .await;
    Some(app)
}

/// Serves an app on a free port with the settings `settings_for(port)` makes, with its files
/// in `dir` and its database `db`.
async fn start(
    dir: tempfile::TempDir,
    db: FreshDb,
    settings_for: impl FnOnce(u16) -> Settings,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = settings_for(port);
    let ctx = Context::build(settings.clone()).await.expect("context");
    let (tx, server) = serve(ctx.clone(), listener);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        ctx,
        client: fresh_client(),
        dir,
        shutdown: Some(tx),
        server: Some(server),
        settings,
        _db: db,
    }
}

/// The demo programme's event, once it is imported.
pub async fn demo_event(store: &Store) -> EventRecord {
    store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await
        .unwrap()
        .expect("the demo event is imported")
}

/// Sends a request and returns the body of the answer, whatever its status.
pub async fn body_of(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

/// A client as a browser of its own: its own cookies, redirects not followed.
pub fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

type Server = tokio::task::JoinHandle<anyhow::Result<()>>;

fn serve(ctx: Context, listener: tokio::net::TcpListener) -> (oneshot::Sender<()>, Server) {
    let app = Application::with_listener(ctx, listener);
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    (tx, server)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// Stops the server as a shutdown would (its port closed, its database let go of), keeping
    /// the database for `restart`. Requests still open after 10 s are cut.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(std::time::Duration::from_secs(10), &mut server)
                .await
                .is_err()
        {
            server.abort();
            let _ = server.await;
        }
    }

    /// Starts a new server on the same port and the same database after `stop`.
    pub async fn restart(&mut self) {
        assert!(self.server.is_none(), "stop the app before restarting it");
        let addr = self.settings.bind.clone();
        let mut listener = None;
        for _ in 0..100 {
            match tokio::net::TcpListener::bind(&addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        let listener = listener.unwrap_or_else(|| panic!("port {addr} did not come free"));
        let ctx = Context::build(self.settings.clone())
            .await
            .expect("context");
        let (tx, server) = serve(ctx.clone(), listener);
        self.ctx = ctx;
        self.shutdown = Some(tx);
        self.server = Some(server);
    }

    /// A second app instance on this app's database, as a second `serve` process sharing it
    /// would be: its own port, context, door state, group writers and rate limits. Drop it
    /// before this app, which owns the database.
    pub async fn another_instance(&self) -> TestApp {
        let db = FreshDb {
            url: self._db.url.clone(),
            schema: None,
        };
        start(tempfile::tempdir().unwrap(), db, |port| {
            let mut settings = self.settings.clone();
            settings.bind = format!("127.0.0.1:{port}");
            settings.public_url = format!("http://127.0.0.1:{port}");
            settings
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GET of `path` with this app's client (its cookies, no redirects followed).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The keys that badges of `event_id` are signed and checked with now.
    pub async fn badge_keys(&self, event_id: i64) -> std::sync::Arc<badgetrail::badges::EventKeys> {
        let keys = self.ctx.badges.keys_for(event_id, Timestamp::now()).await;
        keys.unwrap()
    }

    /// A GET of `path` by a paired kiosk holding `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        let request = self.client.get(self.url(path)).bearer_auth(token);
        request.send().await.unwrap()
    }

    /// A form posted to `path` with this app's client.
    pub async fn post_form<T: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        form: &T,
    ) -> reqwest::Response {
        let request = self.client.post(self.url(path)).form(form);
        request.send().await.unwrap()
    }

    /// JSON posted to `path` with this app's client.
    pub async fn post_json<T: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        body: &T,
    ) -> reqwest::Response {
        let request = self.client.post(self.url(path)).json(body);
        request.send().await.unwrap()
    }

    /// JSON posted to `path` by a paired kiosk holding `token`.
    pub async fn post_json_as<T: serde::Serialize + ?Sized>(
        &self,
        token: &str,
        path: &str,
        body: &T,
    ) -> reqwest::Response {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body);
        request.send().await.unwrap()
    }

    /// The body of a GET of `path` with this app's client, whatever the status.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Imports the demo programme and returns the event.
    pub async fn seed_event(&self) -> EventRecord {
        let p = demo::programme::cloud_summit();
        self.ctx
            .store
            .events()
            .import_programme(&p, jiff::Timestamp::now())
            .await
            .unwrap();
        demo_event(&self.ctx.store).await
    }

    /// The CSRF token this client's cookie holds, fetched from a form page.
    pub async fn csrf(&self, path: &str) -> String {
        extract_csrf(&self.get_text(path).await)
    }

    /// Creates a staff user and signs this client in as them.
    pub async fn login_as(&self, role: badgetrail::domain::user::Role) {
        let r = self.sign_in(role, "/admin").await;
        assert_eq!(r.status(), 303, "login as {role}");
    }

    /// Creates (or resets) the account `<role>-user` with the tests' password; its name.
    pub async fn role_user(&self, role: badgetrail::domain::user::Role) -> String {
        let name = format!("{}-user", role.as_str());
        badgetrail::accounts::upsert_user(
            &self.ctx.store,
            &name,
            &name,
            role,
            "correct horse battery",
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        name
    }

    /// Creates an account of `role` (named `<role>-user`) and signs in through the login
    /// form, asking to be sent to `next`; the answer is returned as it came.
    pub async fn sign_in(
        &self,
        role: badgetrail::domain::user::Role,
        next: &str,
    ) -> reqwest::Response {
        let name = self.role_user(role).await;
        let csrf = self.csrf("/login").await;
        self.post_form(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", &name),
                ("password", "correct horse battery"),
                ("next", next),
            ],
        )
        .await
    }

    /// The id of the seeded event's attendee registered with `email`.
    pub async fn attendee_id(&self, email: &str) -> i64 {
        let event = demo_event(&self.ctx.store).await;
        self.ctx
            .store
            .attendees()
            .attendee_id_by_email(event.id, email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} is registered"))
    }

    /// Everything stored about one attendee (record, consents, badges), as text to compare
    /// before and after.
    pub async fn stored_attendee(&self, id: i64) -> String {
        let store = &self.ctx.store;
        format!(
            "{:?}\n{:?}\n{:?}",
            store.attendees().attendee(id).await.unwrap(),
            store.attendees().attendee_consents(id).await.unwrap(),
            store.attendees().attendee_badges(id).await.unwrap(),
        )
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }
}

/// A second event with the demo's topics.
pub async fn data_days(app: &TestApp) -> EventRecord {
    let mut p = badgetrail::demo::programme::cloud_summit();
    p.event.slug = Slug::parse("data-days-2026").unwrap();
    p.event.name = "Data Days 2026".into();
    let store = &app.ctx.store;
    store
        .events()
        .import_programme(&p, Timestamp::now())
        .await
        .unwrap();
    store
        .events()
        .event_by_slug("data-days-2026")
        .await
        .unwrap()
        .unwrap()
}

/// A fresh database migrated only up to `version`, holding the sample event: what the code
/// of that schema left behind.
pub async fn old_database(
    db: Db,
    dir: &std::path::Path,
    version: i64,
) -> Option<(FreshDb, Store, badgetrail::store::EventRecord)> {
    let fresh = fresh_database(db, dir).await?;
    let store = Store::connect_without_migrating(&fresh.url, 2)
        .await
        .unwrap();
    store.migrate_up_to(version).await.unwrap();
    store
        .events()
        .import_programme(&demo::programme::cloud_summit(), Timestamp::now())
        .await
        .unwrap();
    let event = demo_event(&store).await;
    Some((fresh, store, event))
}

/// Runs SQL as the code of an earlier schema wrote it, straight on the database.
pub async fn raw(db: Db, url: &str, sql: String) {
    let sql = sqlx::AssertSqlSafe(sql);
    match db {
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// How many rows PostgreSQL's planner believes `attendees` holds (-1: never analyzed).
pub async fn believed_rows(url: &str) -> f32 {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let rows =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = to_regclass('attendees')")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}
