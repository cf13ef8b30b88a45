//! Scan ingestion over the kiosk API: pairing, every decision, retries, skew and bad input.

use badgetrail::{demo::programme::SLUG, door};
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, body_of, spawn_app},
        door::{new_device, paired_kiosk, register_as},
        forms::{register_badge, valid_form},
    },
};

on_both_backends!(
    pairing_gives_a_token_once,
    every_decision_is_made_and_kept,
    admitted_badges_come_back_with_the_first_name,
    a_retried_batch_is_stored_once,
    clock_skew_is_corrected,
    revoked_and_rotated_device_tokens_are_refused,
    bad_input_gets_clear_errors,
    staff_create_and_revoke_kiosks_in_the_ui,
    trails_come_from_scans_in_json_csv_and_page,
    photos_are_decoded_with_limits,
    concurrent_requests_and_racing_retries_are_stored_once,
);

/// A session of the demo programme: K1 runs 09:00-09:45 Berlin time in the Main Hall.
fn during_k1() -> Timestamp {
    "2026-05-12T09:10:00+02:00".parse().unwrap()
}

async fn send(app: &TestApp, token: &str, sent_at: Timestamp, scans: Value) -> (u16, Value) {
    let r = app
        .post_json_as(
            token,
            "/api/v1/scans",
            &json!({ "sent_at": sent_at, "app_version": "test", "queue_size": 0, "scans": scans }),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn scan(nonce: &str, badge: &str, at: Timestamp, direction: &str, room: &str) -> Value {
    json!({ "nonce": nonce, "badge": badge, "device_time": at, "direction": direction, "room": room })
}

fn decisions(body: &Value) -> Vec<(String, Option<String>)> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["decision"].as_str().unwrap().to_owned(),
                r["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn pairing_gives_a_token_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let d = new_device(&app, &event, Some("Room A"), "Room A door").await;
    let pair = |code: String| {
        let app = &app;
        async move {
            app.post_json("/api/v1/devices/pair", &json!({ "code": code }))
                .await
        }
    };
    assert_eq!(pair("WRONGCODE1".into()).await.status(), 404);
    let r = pair(d.pairing_code.to_lowercase()).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["room"], "Room A");
    assert_eq!(body["event_slug"], SLUG);
    assert_eq!(body["public_keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        pair(d.pairing_code.clone()).await.status(),
        404,
        "a code works once"
    );
}

async fn every_decision_is_made_and_kept(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, None, "Door 1").await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let grace = register_badge(&app, &valid_form("grace@example.com")).await;
    // Grace's badge is replaced: her first badge is revoked.
    let attendee = app
        .ctx
        .store
        .attendees()
        .badge_by_token(&grace)
        .await
        .unwrap()
        .unwrap()
        .1;
    badgetrail::registration::reissue_badge(&app.ctx, &event, attendee.id, Timestamp::now())
        .await
        .unwrap();
    let mut forged: Vec<char> = ada.chars().collect();
    forged[60] = if forged[60] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();

    let t = during_k1();
    let (status, body) = send(
        &app,
        &token,
        Timestamp::now(),
        json!([
            scan("n1", &ada, t, "entry", "Main Hall"),
            scan("n2", &ada, t + 2.minutes(), "entry", "Main Hall"),
            scan("n3", &ada, t + 20.minutes(), "exit", "Main Hall"),
            scan("n4", &forged, t, "entry", "Main Hall"),
            scan("n5", &grace, t, "entry", "Main Hall"),
            scan("n6", &ada, t, "entry", "Broom Cupboard"),
            scan(
                "n7",
                &ada,
                "2026-05-12T07:00:00+02:00".parse::<Timestamp>().unwrap(),
                "entry",
                "Main Hall"
            ),
            scan("n8", "hello world", t, "entry", "Main Hall"),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let got = decisions(&body);
    let want: Vec<(&str, Option<&str>)> = vec![
        ("accepted", None),
        ("duplicate", None),
        ("accepted", None),
        ("refused", Some("forged")),
        ("refused", Some("revoked")),
        ("refused", Some("unknown_room")),
        ("refused", Some("outside_session")),
        ("refused", Some("malformed")),
    ];
    let got_ref: Vec<(&str, Option<&str>)> = got
        .iter()
        .map(|(d, r)| (d.as_str(), r.as_deref()))
        .collect();
    assert_eq!(got_ref, want);
    let stored = app.ctx.store.door().event_scans(event.id).await.unwrap();
    assert_eq!(stored.len(), 8, "refused scans are kept too");
}

async fn admitted_badges_come_back_with_the_first_name(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let (zoe, _) = register_as(&app, "zoe@example.com", "<b>Zoë</b>   Example").await;
    let (ada, ada_id) = register_as(&app, "ada@example.com", "Ada Lovelace").await;
    badgetrail::registration::reissue_badge(&app.ctx, &event, ada_id, Timestamp::now())
        .await
        .unwrap();
    let t = during_k1();
    let batch = json!([
        scan("z1", &zoe, t, "entry", ""),
        scan("z2", &zoe, t + 2.minutes(), "entry", ""),
        scan(
            "z3",
            &zoe,
            "2026-05-12T07:00:00+02:00".parse::<Timestamp>().unwrap(),
            "entry",
            ""
        ),
        scan("a1", &ada, t, "entry", ""),
    ]);
    let names = |body: &Value| -> Vec<(String, Value)> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["decision"].as_str().unwrap().to_owned(),
                    r["first_name"].clone(),
                )
            })
            .collect()
    };
    let want = vec![
        ("accepted".to_owned(), json!("<b>Zoë</b>")),
        ("duplicate".to_owned(), json!("<b>Zoë</b>")),
        ("refused".to_owned(), Value::Null),
        ("refused".to_owned(), Value::Null),
    ];
    let (status, body) = send(&app, &token, Timestamp::now(), batch.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), want, "{body}");
    assert_eq!(body["results"][3]["reason"], "revoked");
    // A retry gets the first verdicts, greeted the same way.
    let (_, again) = send(&app, &token, Timestamp::now(), batch).await;
    assert_eq!(names(&again), want, "{again}");
}

async fn a_retried_batch_is_stored_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let batch = json!([
        scan("r1", &ada, during_k1(), "entry", ""),
        scan("r2", &ada, during_k1() + 30.minutes(), "exit", "")
    ]);
    let (_, first) = send(&app, &token, Timestamp::now(), batch.clone()).await;
    let (_, again) = send(&app, &token, Timestamp::now(), batch).await;
    assert_eq!(decisions(&first), decisions(&again));
    assert_eq!(decisions(&first)[0].0, "accepted");
    assert_eq!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn clock_skew_is_corrected(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    // The device's clock is three hours behind: its times would fall before any session.
    let behind = 3.hours();
    let (_, body) = send(
        &app,
        &token,
        Timestamp::now() - behind,
        json!([scan("s1", &ada, during_k1() - behind, "entry", "")]),
    )
    .await;
    assert_eq!(decisions(&body)[0].0, "accepted", "{body}");
    let stored = app.ctx.store.door().event_scans(event.id).await.unwrap();
    let corrected = stored[0].scanned_at;
    assert!(
        (corrected - during_k1().as_millisecond()).abs() < 60_000,
        "{corrected}"
    );
    let devices = app.ctx.store.door().list_devices(event.id).await.unwrap();
    let skew = devices[0].clock_skew_ms.unwrap();
    assert!((skew - 3 * 3_600_000).abs() < 60_000, "skew {skew}");
}

async fn revoked_and_rotated_device_tokens_are_refused(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let device = app.ctx.store.door().list_devices(event.id).await.unwrap()[0].clone();
    let fresh = door::rotate_token(&app.ctx, device.id)
        .await
        .unwrap()
        .unwrap();
    let (status, _) = send(&app, &token, Timestamp::now(), json!([])).await;
    assert_eq!(status, 401, "the old token stops at once");
    let (status, _) = send(&app, &fresh, Timestamp::now(), json!([])).await;
    assert_eq!(status, 200);
    app.ctx
        .store
        .door()
        .revoke_device(device.id, Timestamp::now())
        .await
        .unwrap();
    let (status, body) = send(&app, &fresh, Timestamp::now(), json!([])).await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("revoked"));
}

async fn bad_input_gets_clear_errors(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let post = |body: String| {
        let (app, token) = (&app, &token);
        async move {
            app.client
                .post(app.url("/api/v1/scans"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
        }
    };
    let r = post("{not json".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = post(json!({"sent_at": "yesterday", "scans": []}).to_string())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    let many: Vec<Value> = (0..1001)
        .map(|i| scan(&format!("m{i}"), "X", during_k1(), "entry", ""))
        .collect();
    let (status, body) = send(&app, &token, Timestamp::now(), Value::Array(many)).await;
    assert_eq!(status, 413, "{body}");

    // 100,000 scans (about 10 MB) and a 100 MB body are refused by size, unread.
    for n in [100_000usize, 0] {
        let body = if n > 0 {
            let scans: Vec<Value> = (0..n)
                .map(|i| scan(&format!("b{i}"), "X", during_k1(), "entry", ""))
                .collect();
            json!({"sent_at": Timestamp::now(), "scans": scans}).to_string()
        } else {
            format!(
                "{{\"sent_at\":\"{}\",\"scans\":[],\"pad\":\"{}\"}}",
                Timestamp::now(),
                "x".repeat(100 << 20)
            )
        };
        match post(body).await {
            Ok(r) => assert_eq!(r.status(), 413),
            Err(e) => assert!(e.is_request(), "{e}"),
        }
    }
    // Oversized and garbage badge texts are refused per scan, and kept (cut to size).
    let (status, body) = send(
        &app,
        &token,
        Timestamp::now(),
        json!([
            scan("g1", &"Z".repeat(5000), during_k1(), "entry", ""),
            scan("g2", "\u{0}<script>", during_k1(), "entry", "")
        ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        decisions(&body),
        vec![("refused".to_owned(), Some("malformed".to_owned())); 2]
    );
    assert_eq!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn staff_create_and_revoke_kiosks_in_the_ui(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    app.login_as(badgetrail::domain::user::Role::Staff).await;
    let path = format!("/admin/events/{SLUG}/devices");
    let csrf = app.csrf(&path).await;
    let html = body_of(app.client.post(app.url(&path)).form(&[
        ("csrf", csrf.as_str()),
        ("name", "Hall <b>door</b>"),
        ("room", "Main Hall"),
    ]))
    .await;
    assert!(!html.contains("<b>door</b>"));
    let marker = "id=\"pairing-code\">";
    let at = html.find(marker).expect("pairing code shown") + marker.len();
    let code = &html[at..at + 10];
    let r = app
        .post_json("/api/v1/devices/pair", &json!({ "code": code }))
        .await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = send(&app, &token, Timestamp::now(), json!([])).await;
    assert_eq!(status, 200);

    let device = app.ctx.store.door().list_devices(event.id).await.unwrap()[0].clone();
    let html = app.get_text(&path).await;
    assert!(html.contains("active") && html.contains("Main Hall"));
    let r = app
        .post_form(
            &format!("{path}/{}/revoke", device.id),
            &[("csrf", csrf.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, _) = send(&app, &token, Timestamp::now(), json!([])).await;
    assert_eq!(status, 403, "a revoked device is refused at once");
}

async fn trails_come_from_scans_in_json_csv_and_page(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, None, "Door 1").await;
    let mut form = valid_form("ada@example.com");
    form[0].1 = "=HYPERLINK(\"http://evil.example\")".into();
    let ada = register_badge(&app, &form).await;
    let k1 = during_k1();
    // Sent out of order, as an offline kiosk would: K1 09:10 in, T01 at 11:05 in (Room A),
    // out of T01 at 11:30; the trail must not depend on arrival order.
    let (status, body) = send(
        &app,
        &token,
        Timestamp::now(),
        json!([
            scan(
                "t3",
                &ada,
                "2026-05-12T11:30:00+02:00".parse::<Timestamp>().unwrap(),
                "exit",
                "Room A"
            ),
            scan("t1", &ada, k1, "entry", "Main Hall"),
            scan(
                "t2",
                &ada,
                "2026-05-12T11:05:00+02:00".parse::<Timestamp>().unwrap(),
                "entry",
                "Room A"
            ),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.login_as(badgetrail::domain::user::Role::Marketer).await;
    let attendee = app
        .ctx
        .store
        .attendees()
        .badge_by_token(&ada)
        .await
        .unwrap()
        .unwrap()
        .1;
    let trail: Value = app
        .get(&format!(
            "/admin/events/{SLUG}/attendees/{}/trail.json",
            attendee.id
        ))
        .await
        .json()
        .await
        .unwrap();
    let visits: Vec<(String, u64, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["session_id"].as_str().unwrap().to_owned(),
                v["minutes"].as_u64().unwrap(),
                v["exit"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        visits,
        [
            ("K1".to_owned(), 35, "session_end".to_owned()),
            ("T01".to_owned(), 25, "exit_scan".to_owned())
        ]
    );
    let csv = app
        .get_text(&format!("/admin/events/{SLUG}/trails.csv"))
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("email,name,session_id"));
    assert!(
        lines[1].contains("\"'=HYPERLINK("),
        "formula neutralised: {}",
        lines[1]
    );
    let page = app
        .get_text(&format!("/admin/events/{SLUG}/attendees/{}", attendee.id))
        .await;
    assert!(
        page.contains("60 minutes") && page.contains("Lakehouse architectures"),
        "{page}"
    );
}

async fn photos_are_decoded_with_limits(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let png = badgetrail::qr::render_png(&ada).unwrap();
    let post = |body: Vec<u8>, auth: bool| {
        let (app, token) = (&app, &token);
        async move {
            let mut rq = app.client.post(app.url("/api/v1/decode")).body(body);
            if auth {
                rq = rq.bearer_auth(token);
            }
            rq.send().await
        }
    };
    let r = post(png.clone(), false).await.unwrap();
    assert_eq!(r.status(), 401, "devices only");
    let r = post(png, true).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["codes"], json!([ada]));
    let r = post(b"definitely not an image".to_vec(), true)
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // An image bomb: a tiny PNG whose header claims 100000 x 100000 pixels.
    let mut bomb = badgetrail::qr::render_png("X").unwrap();
    bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    let r = post(bomb, true).await.unwrap();
    assert_eq!(r.status(), 413);
    match post(vec![0u8; 9 << 20], true).await {
        Ok(r) => assert_eq!(r.status(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
}

async fn concurrent_requests_and_racing_retries_are_stored_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(paired_kiosk(&app, &event, Some("Main Hall"), "Door 1").await);
    }
    let app = std::sync::Arc::new(app);
    // Four kiosks each send the same batch three times at once (a retry racing the original):
    // requests share transactions, and each nonce must still be stored once per kiosk.
    let mut tasks = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        for _ in 0..3 {
            let (app, token, ada) = (app.clone(), token.clone(), ada.clone());
            tasks.push(tokio::spawn(async move {
                let batch = json!([scan(
                    &format!("k{k}"),
                    &ada,
                    during_k1() + (k as i64).minutes(),
                    "entry",
                    ""
                )]);
                let (status, body) = send(&app, &token, Timestamp::now(), batch).await;
                assert_eq!(status, 200, "{body}");
                decisions(&body)[0].0.clone()
            }));
        }
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    assert_eq!(
        app.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        4
    );
    // The first kiosk's scan is accepted; the others fall within the duplicate window.
    assert_eq!(
        got.iter().filter(|d| *d == "accepted").count(),
        3,
        "{got:?}"
    );
}
