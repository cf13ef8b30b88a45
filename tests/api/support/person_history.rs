//! Set-up for the privacy tests: a person with a full history, and whole-database dumps.

use badgetrail::{demo, domain::door::scan::Direction, door, jobs, leads, store::EventRecord};
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret;
use sqlx::Row;

use crate::support::{
    app::TestApp,
    campaign::{CAMPAIGN_FILE, campaign},
    door::paired_device,
    forms::{post_registration, valid_form},
    lead_build::opts,
};

pub const EMAIL: &str = "zelda.quinterra@example.com";
pub const NAME: &str = "Zelda Quinterra";
pub const PHONE: &str = "+44 20 7946 0958";
pub const OTHER_EMAIL: &str = "bob.marchetti@example.com";
pub const OTHER_NAME: &str = "Bob Marchetti";

/// The sample campaign, sent to every tier.
pub fn every_tier_campaign() -> String {
    CAMPAIGN_FILE.replace("excluded_tiers = [\"X\"]", "excluded_tiers = []")
}

/// An event where the person (and one other) registered on the web, got their badge email,
/// were scanned into a workshop, became leads, got a follow-up email and opened it.
pub struct Fixture {
    pub event: EventRecord,
    pub person: i64,
    pub other: i64,
    pub campaign: i64,
    /// The workshop door, and the person's badge token as it was.
    pub door: door::Paired,
    pub badge: String,
    /// A moment inside the workshop both were scanned into.
    pub during: Timestamp,
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let event = app.seed_event().await;
    let mut form = valid_form(EMAIL);
    set(&mut form, "name", NAME);
    set(&mut form, "phone", PHONE);
    assert_eq!(post_registration(app, &form).await.status(), 303);
    let mut form = valid_form(OTHER_EMAIL);
    set(&mut form, "name", OTHER_NAME);
    assert_eq!(post_registration(app, &form).await.status(), 303);
    let store = &app.ctx.store;
    let person = store
        .attendees()
        .attendee_id_by_email(event.id, EMAIL)
        .await
        .unwrap()
        .unwrap();
    let other = store
        .attendees()
        .attendee_id_by_email(event.id, OTHER_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let mail = jobs::badge_mail::run_once(&app.ctx).await.unwrap();
    assert_eq!(mail.sent, 2);

    let p = demo::programme::cloud_summit();
    let workshop = p.sessions.iter().find(|s| s.id == "W01").unwrap();
    let now = Timestamp::now();
    let paired = paired_device(app, &event, Some(&workshop.room), "door", now).await;
    let mut scans = Vec::new();
    let badge = store
        .attendees()
        .attendee(person)
        .await
        .unwrap()
        .unwrap()
        .token;
    for id in [person, other] {
        let token = store.attendees().attendee(id).await.unwrap().unwrap().token;
        scans.push(door::ReportedScan {
            nonce: format!("in-{id}"),
            badge: token,
            device_time: workshop.starts_at + SignedDuration::from_mins(5),
            direction: Direction::Entry,
            room: None,
        });
    }
    let batch = door::ScanBatch {
        sent_at: now,
        app_version: "test".into(),
        queue_size: 0,
        scans,
    };
    let verdicts = door::ingest_paired(&app.ctx, &paired, &batch, now)
        .await
        .unwrap();
    assert!(
        verdicts.iter().all(|v| v.decision == "accepted"),
        "{verdicts:?}"
    );

    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let c = campaign(app, &event, "after", &every_tier_campaign()).await;
    let queued = badgetrail::edm::start(&app.ctx, &c, now).await.unwrap();
    assert_eq!(queued, 2);
    jobs::edm_send::run_once(&app.ctx).await.unwrap();
    let ledger = store.campaigns().campaign_ledger(c.id).await.unwrap();
    let send = ledger.iter().find(|r| r.attendee_id == person).unwrap();
    assert_eq!(send.state, "sent");
    store
        .campaigns()
        .record_engagement(send.id, None, now)
        .await
        .unwrap();
    store
        .campaigns()
        .record_engagement(send.id, Some("https://example.com/book"), now)
        .await
        .unwrap();
    Fixture {
        event,
        person,
        other,
        campaign: c.id,
        door: paired,
        badge,
        during: workshop.starts_at + SignedDuration::from_mins(30),
    }
}

fn set(form: &mut [(&'static str, String)], field: &str, value: &str) {
    for (k, v) in form.iter_mut() {
        if *k == field {
            *v = value.to_owned();
        }
    }
}

/// Every row of every table of the app's database, as text, one line per row.
pub async fn dump_database(app: &TestApp) -> String {
    let url = app.ctx.settings.database_url.expose_secret().to_owned();
    let mut out = String::new();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(tables.len() > 20, "{tables:?}");
        for t in tables {
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{t}')"
            )))
            .fetch_all(&pool)
            .await
            .unwrap();
            let row = columns
                .iter()
                .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            // Key columns are blobs, not UTF-8: read bytes and show them lossily.
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(({row}) AS BLOB) FROM \"{t}\""
            )))
            .fetch_all(&pool)
            .await
            .unwrap();
            for r in rows {
                let bytes: Vec<u8> = r.get(0);
                out.push_str(&format!("{t}: {}\n", String::from_utf8_lossy(&bytes)));
            }
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(tables.len() > 20, "{tables:?}");
        for t in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT t::text FROM \"{t}\" t"
            )))
            .fetch_all(&pool)
            .await
            .unwrap();
            for r in rows {
                out.push_str(&format!("{t}: {r}\n"));
            }
        }
        pool.close().await;
    }
    out
}

/// The text of every file in the outbox.
pub fn outbox_texts(app: &TestApp) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.outbox()) else {
        return Vec::new();
    };
    dir.map(|e| String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned())
        .collect()
}

/// The person's address, name or phone, if `text` holds any of them (any case).
pub fn trace_of_person(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    [EMAIL, NAME, PHONE]
        .into_iter()
        .find(|needle| lower.contains(&needle.to_lowercase()))
}
