//! Every staff page a browser check opens, seeded with enough data to fill them (`seed`), and
//! the browser window's size and full-page screenshots for those checks.

use badgetrail::{domain::door::scan::Direction, door, jobs};
use fantoccini::Client;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    app::TestApp,
    campaign::{CAMPAIGN_FILE, campaign},
    stored_leads::fixture,
};
use crate::support::door::paired_device;

/// A phone held upright (an iPhone 14's CSS pixels) and a laptop window.
pub const PHONE: (u32, u32) = (390, 844);

pub const DESKTOP: (u32, u32) = (1280, 800);

/// One staff page to open: what to call it in a failure, and its path.
pub struct Page {
    pub name: &'static str,
    pub path: String,
}

pub fn page(name: &'static str, path: impl Into<String>) -> Page {
    Page {
        name,
        path: path.into(),
    }
}

/// The lead pages' people and finished build (more than a page of leads and attendees), a
/// paired door with a refused scan, a campaign that was sent and one still in draft. Returns
/// the pages an admin opens and those a salesperson opens.
pub async fn seed(app: &TestApp) -> (Vec<Page>, Vec<Page>) {
    let f = fixture(app, 60).await;
    let now = Timestamp::now();
    // Next year's edition, so the dashboard shows one event large and the other as a card.
    let mut next = badgetrail::demo::programme::cloud_summit();
    next.event.slug = badgetrail::domain::slug::Slug::parse("cloud-summit-2027").unwrap();
    next.event.name = "Cloud Summit 2027".into();
    let year = jiff::SignedDuration::from_hours(364 * 24);
    for s in &mut next.sessions {
        s.starts_at += year;
        s.ends_at += year;
    }
    next.event.starts_on = next
        .event
        .starts_on
        .checked_add(jiff::Span::new().days(364))
        .unwrap();
    next.event.ends_on = next
        .event
        .ends_on
        .checked_add(jiff::Span::new().days(364))
        .unwrap();
    app.ctx
        .store
        .events()
        .import_programme(&next, now)
        .await
        .unwrap();
    let paired = paired_device(app, &f.event, Some("Main Hall"), "North door", now).await;
    let batch = door::ScanBatch {
        sent_at: now,
        app_version: "kiosk 1.4.2".into(),
        queue_size: 3,
        scans: vec![door::ReportedScan {
            nonce: "refused-1".into(),
            badge: "not-a-badge".into(),
            device_time: now,
            direction: Direction::Entry,
            room: None,
        }],
    };
    door::ingest_paired(&app.ctx, &paired, &batch, now)
        .await
        .unwrap();
    let sent = campaign(app, &f.event, "after-the-summit", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &sent, now).await.unwrap();
    jobs::edm_send::run_once(&app.ctx).await.unwrap();
    campaign(app, &f.event, "spring-webinar", CAMPAIGN_FILE).await;
    campaign(
        app,
        &f.event,
        "come-back",
        badgetrail::demo::follow_up::POOL_CAMPAIGN_FILE,
    )
    .await;

    let ada = f.ids[0];
    // An outcome with a long note, so the due list and the history have a row.
    let long_note = "Asked for a follow-up once their budget round for the data platform closes in the spring; wants the case study.";
    let six_weeks_ago = now - jiff::SignedDuration::from_hours(6 * 7 * 24);
    badgetrail::leads::feedback::record(
        &app.ctx,
        &f.event,
        ada,
        f.sally,
        "need_unclear",
        long_note,
        six_weeks_ago,
    )
    .await
    .unwrap();
    // Live leads, watch rules, and a hot-lead alert about Ada for sally.
    badgetrail::leads::live_updates::catch_up_all(&app.ctx)
        .await
        .unwrap();
    let watch = "[[watch]]\nname = \"Decision makers in the building\"\nroles = [\"decision_maker\", \"buyer\"]\ntopics = [\"big-data\", \"ai\"]\n";
    badgetrail::leads::watch_file::save(&app.ctx, &f.event, watch, "test")
        .await
        .unwrap()
        .unwrap();
    let session = app
        .ctx
        .store
        .door()
        .kiosk_sessions(f.event.id)
        .await
        .unwrap()[0]
        .id;
    let alert = badgetrail::store::NewAlert {
        attendee_id: ada,
        rule: "Decision makers in the building".into(),
        trigger: "enters",
        recipients: vec![Some(f.sally)],
        session_id: Some(session),
        reason: "entered \"Opening keynote: the next decade of cloud\"; role: decision maker; interested in big-data (watched: Decision makers in the building)".into(),
        window_start: now.as_millisecond(),
        email_state: "none",
        webhook_state: "none",
    };
    app.ctx
        .store
        .leads()
        .claim_alerts(f.event.id, &[alert], now.as_millisecond())
        .await
        .unwrap();
    let event = format!("/admin/events/{}", f.slug);
    let (person, company) = app.ctx.store.data_pool().pool_links(ada).await.unwrap();
    let (person, company) = (person.unwrap(), company.unwrap().0);
    let admin = vec![
        page("events", "/admin"),
        page("event attendees", event.clone()),
        page("event attendees, page 2", format!("{event}?page=1")),
        page("attendee", format!("{event}/attendees/{ada}")),
        page("badge print sheet", format!("{event}/badges/print")),
        page("door devices", format!("{event}/devices")),
        page("live operations", format!("{event}/live")),
        page("leads", format!("{event}/leads")),
        page("lead package", format!("{event}/leads/{ada}")),
        page("lead report", format!("{event}/leads/report")),
        page("cross-topic insight", format!("{event}/leads/insight")),
        page(
            "scoring calibration across events",
            "/admin/leads/calibration",
        ),
        page("campaigns", format!("{event}/campaigns")),
        page(
            "sent campaign",
            format!("{event}/campaigns/after-the-summit"),
        ),
        page(
            "draft campaign",
            format!("{event}/campaigns/spring-webinar"),
        ),
        page(
            "draft campaign to the data pool",
            format!("{event}/campaigns/come-back"),
        ),
        page(
            "campaign preview",
            format!("{event}/campaigns/after-the-summit/preview?who={ada}"),
        ),
        page(
            "sent campaign's audience",
            format!("{event}/campaigns/after-the-summit/audience"),
        ),
        page(
            "sent campaign's content",
            format!("{event}/campaigns/after-the-summit/content"),
        ),
        page(
            "sent campaign's sending",
            format!("{event}/campaigns/after-the-summit/send"),
        ),
        page(
            "sent campaign's report",
            format!("{event}/campaigns/after-the-summit/report"),
        ),
        page(
            "draft campaign's audience",
            format!("{event}/campaigns/spring-webinar/audience"),
        ),
        page(
            "draft campaign's content",
            format!("{event}/campaigns/spring-webinar/content"),
        ),
        page(
            "draft campaign's preview",
            format!("{event}/campaigns/spring-webinar/preview"),
        ),
        page(
            "draft campaign's sending",
            format!("{event}/campaigns/spring-webinar/send"),
        ),
        page(
            "pool campaign's audience",
            format!("{event}/campaigns/come-back/audience"),
        ),
        page(
            "event attendees, sorted",
            format!("{event}?sort=checked_in&dir=desc"),
        ),
        page(
            "leads, sorted",
            format!("{event}/leads?sort=deadline&dir=asc"),
        ),
        page("due list", "/due?within=366"),
        page("person", format!("/admin/people/{person}")),
        page("company", format!("/admin/companies/{company}")),
        page("accounts", format!("{event}/accounts")),
        page("new event", "/admin/events/new"),
        page("event settings", format!("{event}/settings")),
        page("programme", format!("{event}/programme")),
        page("attendee import", format!("{event}/attendees/import")),
        page("staff accounts", "/admin/users"),
        page("watch rules", format!("{event}/leads/watch")),
        page("hot now, every alert", "/sales/hot"),
        page("not found, in the staff layout", format!("{event}/nothing")),
    ];
    let sales = vec![
        page("my leads", "/sales/leads"),
        page("my leads, sorted", "/sales/leads?sort=score&dir=desc"),
        page("my lead", format!("/sales/leads/{}/{ada}", f.slug)),
        page("my due list", "/due"),
        page("hot now", "/sales/hot"),
    ];
    (admin, sales)
}

/// Sizes the window so that the page gets exactly `width` by `height` CSS pixels.
pub async fn set_viewport(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.unwrap();
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap();
    let (w, h) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
    if (w, h) != (u64::from(width), u64::from(height)) {
        c.set_window_size(2 * width - w as u32, 2 * height - h as u32)
            .await
            .unwrap();
    }
}

/// A screenshot of the whole page, not only the part in the window, as PNG.
pub async fn screenshot(c: &Client, path: &std::path::Path) {
    // The page is laid out again at its full height, which drops the vertical scroll bar: clip
    // to the window's width, not to the width the content had beside that bar.
    let size = c
        .execute(
            "return [window.innerWidth, document.documentElement.scrollHeight];",
            vec![],
        )
        .await
        .unwrap();
    let shot = c
        .issue_cmd(Cdp {
            cmd: "Page.captureScreenshot",
            params: json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1 },
            }),
        })
        .await
        .unwrap();
    let png = data_encoding::BASE64
        .decode(shot["data"].as_str().unwrap().as_bytes())
        .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, png).unwrap();
}

/// A Chrome DevTools Protocol command, through chromedriver's extension.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}
