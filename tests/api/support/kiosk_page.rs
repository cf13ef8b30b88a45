//! The kiosk in a browser: pairing it, typing a badge as a handheld scanner does, waiting on
//! what the page shows, and cutting its network; a kiosk paired in the page at an event that
//! runs now (`paired_kiosk_page`).

use std::time::Duration;

use badgetrail::store::EventRecord;
use fantoccini::{Client, Locator, key::Key};
use serde_json::Value;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    browser::{Browser, browser},
    door::{new_device, register, seed_event_now},
};

/// Polls `script` (a function body returning a value) until `done` holds, for at most `secs`.
pub async fn eventually(
    c: &Client,
    secs: u64,
    script: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..secs * 10 {
        last = c.execute(script, vec![]).await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for `{script}`; last value {last}");
}

pub const RESULT: &str = "const r = document.getElementById('result'); \
    return { state: r.dataset.state, source: r.dataset.source, nonce: r.dataset.nonce, text: r.innerText };";

pub const QUEUED: &str = "return document.getElementById('queue-count').textContent;";

pub fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap_or_default()
}

/// Opens the kiosk and pairs it with `code`; returns once the scanning screen shows.
pub async fn pair_kiosk(c: &Client, app: &TestApp, code: &str) {
    c.goto(&app.url("/kiosk")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#pairing:not([hidden]) #pair-code"))
        .await
        .unwrap()
        .send_keys(&format!("{code}{}", Key::Enter))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#scanning:not([hidden])"))
        .await
        .unwrap();
    // The device state (rooms, sessions) arrives right after pairing.
    eventually(
        c,
        15,
        "const d = window.kiosk.device(); return !!(d && d.refreshed_at);",
        |v| v == &Value::Bool(true),
    )
    .await;
}

/// Types a badge into the wedge input as a handheld scanner does, then waits for the
/// result panel to show this scan.
pub async fn wedge_scan(c: &Client, badge: &str) -> Value {
    let before = c.execute(RESULT, vec![]).await.unwrap();
    let wedge = c.active_element().await.unwrap();
    assert_eq!(wedge.attr("id").await.unwrap().as_deref(), Some("wedge"));
    wedge
        .send_keys(&format!("{badge}{}", Key::Enter))
        .await
        .unwrap();
    let old = field(&before, "nonce").to_owned();
    eventually(c, 15, RESULT, |v| {
        field(v, "nonce") != old && field(v, "state") != "idle"
    })
    .await
}

/// Chromium's network emulation (a chromedriver extension): `offline` cuts the page off.
#[derive(Debug)]
pub struct NetworkConditions {
    pub offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, UrlParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({ "network_conditions": {
            "offline": self.offline, "latency": 0,
            "download_throughput": -1, "upload_throughput": -1,
        }});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// `url::ParseError`, named through reqwest's re-export of `Url`.
type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Cuts the page's network (emulated) or gives it back, and tells the page.
pub async fn set_offline(c: &Client, offline: bool) {
    c.issue_cmd(NetworkConditions { offline }).await.unwrap();
    if !offline {
        c.execute("window.dispatchEvent(new Event('online'));", vec![])
            .await
            .unwrap();
    }
}

/// A kiosk open in headless Chromium and paired in the page with a new device, at an event
/// whose first session runs now, with attendees registered.
pub struct PairedKiosk {
    pub app: TestApp,
    pub event: EventRecord,
    /// Badge tokens and attendee ids (`register`).
    pub people: Vec<(String, i64)>,
    pub browser: Browser,
}

/// Spawns an SQLite app, seeds the event on now (`seed_event_now`), registers `people`
/// attendees, creates a device named `name` for `room` and pairs it in a fresh Chromium;
/// `None` where the app or the browser cannot run (`cannot_run`).
pub async fn paired_kiosk_page(
    people: usize,
    room: Option<&str>,
    name: &str,
) -> Option<PairedKiosk> {
    let app = spawn_app(Db::Sqlite).await?;
    let event = seed_event_now(&app).await;
    let people = register(&app, people).await;
    let device = new_device(&app, &event, room, name).await;
    let browser = browser(&[]).await?;
    pair_kiosk(&browser.client, &app, &device.pairing_code).await;
    Some(PairedKiosk {
        app,
        event,
        people,
        browser,
    })
}
