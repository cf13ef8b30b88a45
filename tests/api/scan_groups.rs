//! Scan ingestion with its in-memory door state and group decisions: partial retries,
//! changes made by another app instance, two instances racing for one badge, and devices
//! revoked while remembered.

use std::{collections::HashMap, sync::Arc};

use badgetrail::{demo, domain::attendee::Registration, door, registration, store::EventRecord};
use jiff::{Timestamp, ToSpan};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app, spawn_app_with},
        door::paired_device,
        forms::{register_badge, valid_form},
    },
};

on_both_backends!(
    a_partly_retried_batch_keeps_old_verdicts_and_decides_the_rest_afresh,
    changes_made_by_another_instance_apply_at_once,
    two_instances_racing_for_one_badge_accept_it_once_per_direction,
    a_batch_sent_through_both_instances_at_once_is_stored_once,
    a_remembered_device_that_was_revoked_stores_nothing,
);

/// During the opening keynote (K1, 09:00-09:45 Berlin time, Main Hall).
fn during_k1() -> Timestamp {
    "2026-05-12T09:10:00+02:00".parse().unwrap()
}

async fn paired(app: &TestApp, event: &EventRecord) -> String {
    paired_device(app, event, Some("Main Hall"), "Door", Timestamp::now())
        .await
        .token
}

async fn send(app: &TestApp, token: &str, scans: Value) -> (u16, Value) {
    let r = app
        .post_json_as(
            token,
            "/api/v1/scans",
            &json!({ "sent_at": Timestamp::now(), "scans": scans }),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn scan(nonce: &str, badge: &str, at: Timestamp) -> Value {
    json!({ "nonce": nonce, "badge": badge, "device_time": at, "direction": "entry" })
}

fn verdicts(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {body}"))
        .iter()
        .map(|r| match r["reason"].as_str() {
            Some(reason) => format!("{}:{reason}", r["decision"].as_str().unwrap()),
            None => r["decision"].as_str().unwrap().to_owned(),
        })
        .collect()
}

async fn a_partly_retried_batch_keeps_old_verdicts_and_decides_the_rest_afresh(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired(&app, &event).await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let t = during_k1();
    let (_, first) = send(
        &app,
        &token,
        json!([scan("a", &ada, t), scan("b", &ada, t + 8.minutes())]),
    )
    .await;
    assert_eq!(verdicts(&first), ["accepted", "duplicate"]);
    // The answer was lost: "b" comes again with a new scan "c", 15 minutes after "a" and 7
    // after "b". "b" was a double scan, so it must not make "c" one.
    let (status, second) = send(
        &app,
        &token,
        json!([
            scan("b", &ada, t + 8.minutes()),
            scan("c", &ada, t + 15.minutes())
        ]),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(verdicts(&second), ["duplicate", "accepted"]);
    // "c" was accepted, so a scan two minutes after it is a double, even in the same group
    // as a retry of "c" itself.
    let (_, third) = send(
        &app,
        &token,
        json!([
            scan("c", &ada, t + 15.minutes()),
            scan("d", &ada, t + 17.minutes()),
            scan("d", &ada, t + 17.minutes())
        ]),
    )
    .await;
    assert_eq!(verdicts(&third), ["accepted", "duplicate"]);
    let stored = app.ctx.store.door().event_scans(event.id).await.unwrap();
    let decided: Vec<&str> = stored.iter().map(|s| s.decision.as_str()).collect();
    assert_eq!(decided, ["accepted", "duplicate", "accepted", "duplicate"]);
}

async fn changes_made_by_another_instance_apply_at_once(db: Db) {
    let Some(a) = spawn_app(db).await else {
        return;
    };
    let url = a.ctx.settings.database_url.expose_secret().to_owned();
    let b = spawn_app_with(db, |s| s.database_url = url.clone().into())
        .await
        .unwrap();
    let event = a.seed_event().await;
    let token = paired(&a, &event).await;
    let ada = register_badge(&a, &valid_form("ada@example.com")).await;
    let grace = register_badge(&a, &valid_form("grace@example.com")).await;
    let t = during_k1();
    // Instance A now holds the event's door state in memory.
    let (_, body) = send(&a, &token, json!([scan("1", &grace, t)])).await;
    assert_eq!(verdicts(&body), ["accepted"]);

    // Instance B re-issues Grace's badge: A refuses the old one from the next request on.
    let grace_id = a
        .ctx
        .store
        .attendees()
        .badge_by_token(&grace)
        .await
        .unwrap()
        .unwrap()
        .1
        .id;
    let new_grace =
        badgetrail::registration::reissue_badge(&b.ctx, &event, grace_id, Timestamp::now())
            .await
            .unwrap()
            .token;
    let (_, body) = send(
        &a,
        &token,
        json!([
            scan("2", &grace, t + 20.minutes()),
            scan("3", &new_grace, t + 20.minutes())
        ]),
    )
    .await;
    assert_eq!(verdicts(&body), ["refused:revoked", "accepted"]);

    // B adds a signing key and issues Ada a badge with it: A knows the new key at once.
    b.ctx
        .badges
        .rotate(event.id, Timestamp::now())
        .await
        .unwrap();
    let ada_id = a
        .ctx
        .store
        .attendees()
        .badge_by_token(&ada)
        .await
        .unwrap()
        .unwrap()
        .1
        .id;
    let new_ada = badgetrail::registration::reissue_badge(&b.ctx, &event, ada_id, Timestamp::now())
        .await
        .unwrap()
        .token;
    let (_, body) = send(&a, &token, json!([scan("4", &new_ada, t)])).await;
    assert_eq!(verdicts(&body), ["accepted"]);

    // B retires the first key: badges it signed are refused by A from now on.
    b.ctx
        .badges
        .retire(event.id, 1, Timestamp::now())
        .await
        .unwrap();
    let (_, body) = send(&a, &token, json!([scan("5", &new_grace, t + 35.minutes())])).await;
    assert_eq!(verdicts(&body), ["refused:forged"]);
    let (_, body) = send(&a, &token, json!([scan("6", &new_ada, t + 35.minutes())])).await;
    assert_eq!(verdicts(&body), ["accepted"]);
    assert_eq!(
        a.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        6
    );
}

async fn a_remembered_device_that_was_revoked_stores_nothing(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let token = paired(&app, &event).await;
    let ada = register_badge(&app, &valid_form("ada@example.com")).await;
    let (status, _) = send(&app, &token, json!([scan("1", &ada, during_k1())])).await;
    assert_eq!(status, 200);
    let device = app.ctx.store.door().list_devices(event.id).await.unwrap()[0].clone();
    // Rotated: the remembered token is refused, and nothing it sends is stored.
    let fresh = door::rotate_token(&app.ctx, device.id)
        .await
        .unwrap()
        .unwrap();
    let (status, body) = send(&app, &token, json!([scan("2", &ada, during_k1())])).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = send(&app, &fresh, json!([scan("3", &ada, during_k1())])).await;
    assert_eq!(status, 200);
    // Revoked: the same.
    app.ctx
        .store
        .door()
        .revoke_device(device.id, Timestamp::now())
        .await
        .unwrap();
    let (status, body) = send(&app, &fresh, json!([scan("4", &ada, during_k1())])).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("revoked"));
    let stored = app.ctx.store.door().event_scans(event.id).await.unwrap();
    assert_eq!(stored.len(), 2, "only the scans of valid tokens are stored");
}

async fn two_instances_racing_for_one_badge_accept_it_once_per_direction(db: Db) {
    const BADGES: usize = 200;
    const AT_ONCE: usize = 25;
    let Some(a) = spawn_app(db).await else {
        return;
    };
    let b = a.another_instance().await;
    let event = a.seed_event().await;
    let p = demo::programme::cloud_summit();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<Registration> = demo::people::synthetic(BADGES, &topics, 7)
        .iter()
        .map(|i| Registration::parse(i, &topics).unwrap())
        .collect();
    let badges: Vec<String> = registration::record(
        &a.ctx,
        &event,
        &people,
        registration::Source::Demo,
        false,
        Timestamp::now(),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|o| o.token)
    .collect();
    // Two kiosks at the same door, one talking to each instance.
    let (to_a, to_b) = (paired(&a, &event).await, paired(&a, &event).await);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let apps = [a.clone(), b.clone()];
    let t = during_k1();
    // (badge, kiosk) -> [entry verdict, exit verdict]
    let mut got: HashMap<(usize, usize), Vec<String>> = HashMap::new();
    for wave in (0..BADGES).collect::<Vec<_>>().chunks(AT_ONCE) {
        let mut tasks = Vec::new();
        for &i in wave {
            // Both kiosks send the badge's entry and exit at the same moment.
            let start = Arc::new(tokio::sync::Barrier::new(2));
            for (k, token) in [&to_a, &to_b].into_iter().enumerate() {
                let (app, token, start) = (apps[k].clone(), token.clone(), start.clone());
                let badge = badges[i].clone();
                tasks.push(tokio::spawn(async move {
                    let mut exit = scan(&format!("x{i}"), &badge, t + 25.minutes());
                    exit["direction"] = json!("exit");
                    let batch = json!([scan(&format!("e{i}"), &badge, t), exit]);
                    start.wait().await;
                    let (status, body) = send(&app, &token, batch).await;
                    assert_eq!(status, 200, "{body}");
                    ((i, k), verdicts(&body))
                }));
            }
        }
        for task in tasks {
            let (key, v) = task.await.unwrap();
            got.insert(key, v);
        }
    }
    // Entry and exit verdicts of the two kiosks side by side: one accepted, one duplicate.
    let not_once = (0..BADGES)
        .flat_map(|i| got[&(i, 0)].iter().zip(&got[&(i, 1)]))
        .filter(|(x, y)| {
            let mut pair = [x.as_str(), y.as_str()];
            pair.sort_unstable();
            pair != ["accepted", "duplicate"]
        })
        .count();
    assert_eq!(
        not_once,
        0,
        "badges and directions not accepted exactly once, of {}",
        2 * BADGES
    );
    let stored = a.ctx.store.door().event_scans(event.id).await.unwrap();
    let accepted = stored.iter().filter(|s| s.decision == "accepted").count();
    assert_eq!((stored.len(), accepted), (4 * BADGES, 2 * BADGES));
}

async fn a_batch_sent_through_both_instances_at_once_is_stored_once(db: Db) {
    const BATCHES: usize = 40;
    let Some(a) = spawn_app(db).await else {
        return;
    };
    let b = a.another_instance().await;
    let event = a.seed_event().await;
    let token = paired(&a, &event).await;
    let ada = register_badge(&a, &valid_form("ada@example.com")).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let t = during_k1();
    // A kiosk whose answer was slow retries through the other instance (a load balancer's
    // choice) while the first request is still being written: one scan, one verdict.
    let mut tasks = Vec::new();
    for i in 0..BATCHES {
        let start = Arc::new(tokio::sync::Barrier::new(2));
        for app in [a.clone(), b.clone()] {
            let (token, ada, start) = (token.clone(), ada.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                let batch = json!([scan(&format!("n{i}"), &ada, t + (i as i64).minutes())]);
                start.wait().await;
                let (status, body) = send(&app, &token, batch).await;
                assert_eq!(status, 200, "{body}");
                verdicts(&body)
            }));
        }
    }
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    for pair in got.chunks(2) {
        assert_eq!(pair[0], pair[1], "both answers give the stored verdict");
    }
    assert_eq!(
        a.ctx
            .store
            .door()
            .event_scans(event.id)
            .await
            .unwrap()
            .len(),
        BATCHES
    );
}
