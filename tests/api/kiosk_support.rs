//! What the kiosk browser tests share: pairing in the page, waiting on the page, cutting the
//! network, and an event whose first session runs now.

use std::time::Duration;

use badgetrail::{demo, domain::programme::Programme, store::EventRecord, store::ScanRow};
use fantoccini::{Client, Locator, key::Key};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::Value;

use crate::helpers::{TestApp, register_badge, valid_form};

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

/// Waits until the event has at least `n` stored scans, for at most `secs`.
pub async fn stored_scans(app: &TestApp, event_id: i64, n: usize, secs: u64) -> Vec<ScanRow> {
    let mut stored = Vec::new();
    for _ in 0..secs * 10 {
        stored = app.ctx.store.door().event_scans(event_id).await.unwrap();
        if stored.len() >= n {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stored
}

/// Registers `n` attendees; their badge tokens and attendee ids.
pub async fn register(app: &TestApp, n: usize) -> Vec<(String, i64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let token = register_badge(app, &valid_form(&format!("guest{i}@example.com"))).await;
        let (_, attendee) = app
            .ctx
            .store
            .attendees()
            .badge_by_token(&token)
            .await
            .unwrap()
            .unwrap();
        out.push((token, attendee.id));
    }
    out
}

/// Registers one attendee under `name`; their badge token and attendee id.
pub async fn register_as(app: &TestApp, email: &str, name: &str) -> (String, i64) {
    let mut form = valid_form(email);
    for (k, v) in &mut form {
        if *k == "name" {
            *v = name.to_owned();
        }
    }
    let token = register_badge(app, &form).await;
    let (_, attendee) = app
        .ctx
        .store
        .attendees()
        .badge_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    (token, attendee.id)
}

/// The demo programme moved in time so that its first session (K1, Main Hall) started ten
/// minutes ago; the event.
pub async fn seed_event_now(app: &TestApp) -> EventRecord {
    seed_event_now_with(app, |_| {}).await
}

/// `seed_event_now`, with the moved programme changed by `adjust` before it is imported.
pub async fn seed_event_now_with(
    app: &TestApp,
    adjust: impl FnOnce(&mut Programme),
) -> EventRecord {
    let mut p = demo::programme::cloud_summit();
    let first = p.sessions.iter().map(|s| s.starts_at).min().unwrap();
    let shift = Timestamp::now().duration_since(first) - jiff::SignedDuration::from_mins(10);
    for s in &mut p.sessions {
        s.starts_at = s.starts_at.checked_add(shift).unwrap();
        s.ends_at = s.ends_at.checked_add(shift).unwrap();
    }
    adjust(&mut p);
    let tz = TimeZone::get(&p.event.time_zone).unwrap();
    let day = |t: Timestamp| t.to_zoned(tz.clone()).date();
    p.event.starts_on = day(p.sessions.iter().map(|s| s.starts_at).min().unwrap());
    p.event.ends_on = day(p.sessions.iter().map(|s| s.ends_at).max().unwrap());
    app.ctx
        .store
        .events()
        .import_programme(&p, Timestamp::now())
        .await
        .unwrap();
    app.ctx
        .store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await
        .unwrap()
        .unwrap()
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
