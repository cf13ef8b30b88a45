//! Headless Chromium driven over WebDriver: starting it (or saying it cannot run), signing a
//! browser in, and reading the heading of the page a form led to.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use badgetrail::domain::user::Role;
use fantoccini::{Client, ClientBuilder, Locator};

use super::app::{TestApp, cannot_run};

/// A chromedriver process and a browser session; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The `h1` of the page once the browser is on a path ending in `suffix`: right after a form
/// is submitted, the old page and its heading can still be there for a moment.
pub async fn heading_on(c: &Client, suffix: &str) -> String {
    for _ in 0..200 {
        if c.current_url().await.unwrap().path().ends_with(suffix) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = c.current_url().await.unwrap().path().to_owned();
    assert!(path.ends_with(suffix), "still on {path}, not on …{suffix}");
    let heading = c.wait().for_element(Locator::Css("h1")).await.unwrap();
    heading.text().await.unwrap()
}

/// Where the browser is; chromedriver is found on the PATH.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Starts headless Chromium, or returns `None` when it or chromedriver is not installed and
/// skips are allowed (`app::cannot_run`).
pub async fn browser(extra_args: &[&str]) -> Option<Browser> {
    let install = "./scripts/test installs it (apt-get install chromium chromium-driver)";
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        cannot_run("chromedriver is not installed", install);
        return None;
    }
    if !std::path::Path::new(CHROMIUM).exists() {
        cannot_run(&format!("Chromium is not installed at {CHROMIUM}"), install);
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1000,1600".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    args.extend(extra_args.iter().map(|s| (*s).to_owned()));
    let caps = serde_json::json!({
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
    });
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("WebDriver session");
    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

/// Signs a browser in through the login form as a new `<role>-user`, asking for `next`.
pub async fn browser_login(c: &Client, app: &TestApp, role: Role, next: &str) {
    let name = app.role_user(role).await;
    submit_login(c, app, &name, next).await;
}

/// Fills in and submits the login form for an existing account whose password is
/// "correct horse battery".
pub async fn submit_login(c: &Client, app: &TestApp, username: &str, next: &str) {
    c.goto(&app.url(&format!("/login?next={next}")))
        .await
        .unwrap();
    type_into(c, Locator::Id("username"), username).await;
    type_into(c, Locator::Id("password"), "correct horse battery").await;
    click(c, Locator::Css("button[type=submit]")).await;
}

/// Clicks the element `at`.
pub async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

/// Types `text` into the element `at`.
pub async fn type_into(c: &Client, at: Locator<'_>, text: &str) {
    c.find(at).await.unwrap().send_keys(text).await.unwrap();
}
