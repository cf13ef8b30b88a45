//! The demo as a newcomer meets it: the sample event on today's date in the local time zone,
//! and a printed pairing code that pairs a kiosk whose scans count now; a second run keeps
//! the first day.

use badgetrail::{demo, store::ts};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};

use crate::support::app::{Db, demo_event, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_today_and_its_printed_pairing_code_pairs_a_kiosk_that_counts_scans() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let report = demo::prepare(&app.ctx, 30).await.unwrap();
    assert!(report.doors.is_some(), "the first run plays the door day");
    let store = &app.ctx.store;
    let event = demo_event(store).await;

    // The event's sessions all lie within today in the local time zone.
    let zone = demo::today::local_time_zone();
    assert_eq!(event.info.time_zone, zone);
    let tz = TimeZone::get(&zone).unwrap();
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    assert_eq!((event.info.starts_on, event.info.ends_on), (today, today));
    let midnight = today.to_zoned(tz.clone()).unwrap().timestamp();
    let next_midnight = today
        .tomorrow()
        .unwrap()
        .to_zoned(tz.clone())
        .unwrap()
        .timestamp();
    let sessions = store.door().kiosk_sessions(event.id).await.unwrap();
    assert!(!sessions.is_empty());
    for s in &sessions {
        assert!(
            midnight <= ts(s.starts_at) && ts(s.ends_at) <= next_midnight,
            "{} runs today: {} to {}",
            s.external_id,
            ts(s.starts_at),
            ts(s.ends_at)
        );
    }

    // The printed kiosk address and pairing code.
    let printed = demo::summary(&report, &app.ctx.settings);
    let url = format!("{}/kiosk", app.ctx.settings.public_url);
    let line = printed
        .lines()
        .find(|l| l.contains("pairing code"))
        .unwrap_or_else(|| panic!("a pairing code is printed:\n{printed}"));
    assert!(line.contains(&url), "{line}");
    let code = line
        .split("pairing code ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    assert!(
        printed.contains("now in the Main Hall"),
        "a session is on at the kiosk's door:\n{printed}"
    );

    // The code pairs a kiosk at the Main Hall door, and a badge scanned there now counts.
    let r = app
        .post_json("/api/v1/devices/pair", &json!({ "code": code }))
        .await;
    assert_eq!(r.status(), 200, "the printed code {code} pairs");
    let paired: Value = r.json().await.unwrap();
    assert_eq!(paired["room"], "Main Hall");
    let token = paired["token"].as_str().unwrap();
    let now = Timestamp::now();
    let answer: Value = app
        .post_json_as(
            token,
            "/api/v1/scans",
            &json!({
                "sent_at": now, "app_version": "test", "queue_size": 0,
                "scans": [{ "nonce": "newcomer-1", "badge": report.sample_badge,
                            "device_time": now, "direction": "entry", "room": "" }],
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let verdict = &answer["results"][0];
    // The simulated day may have scanned this attendee in minutes ago: then it is a double.
    assert!(
        verdict["decision"] == "accepted" || verdict["decision"] == "duplicate",
        "{answer}"
    );
    assert!(verdict["session_id"].is_i64(), "{answer}");

    // A second run keeps the first day's scans and their sessions, and prints a new code.
    let scans = store.door().event_scans(event.id).await.unwrap().len();
    let again = demo::prepare(&app.ctx, 30).await.unwrap();
    assert!(again.doors.is_none(), "the door day is played once");
    let times = |list: &[badgetrail::store::KioskSession]| -> Vec<(i64, i64, i64)> {
        list.iter()
            .map(|s| (s.id, s.starts_at, s.ends_at))
            .collect()
    };
    assert_eq!(
        times(&store.door().kiosk_sessions(event.id).await.unwrap()),
        times(&sessions)
    );
    assert_eq!(
        store.door().event_scans(event.id).await.unwrap().len(),
        scans
    );
    assert!(again.leads.leads > 0);
    assert_ne!(again.kiosk.device.pairing_code, code);
    let printed = demo::summary(&again, &app.ctx.settings);
    assert!(
        printed.contains(&again.kiosk.device.pairing_code),
        "{printed}"
    );
}
