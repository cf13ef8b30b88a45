//! Live leads and hot-lead alerts while the event runs: a scan at the door updates the
//! person's lead without a build, the live state equals what the build concludes from the
//! same scans, and a watch rule alerts the owner once per window by page, email and a signed
//! webhook.

use std::{collections::HashMap, time::Duration};

use badgetrail::{
    domain::{leads::package::Tier, user::Role},
    leads::{self, live_updates, watch_file},
    store::LiveLeadRow,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app, spawn_app_with},
        door::{paired_kiosk, register_as, seed_event_now_with},
        forms::{escaped, extract_csrf},
        lead_build::{event_with_day, opts},
        staff::{get, signed_in},
        webhook::webhook,
    },
};

on_both_backends!(
    the_live_state_equals_the_build_for_the_same_scans,
    a_scan_at_the_door_updates_the_lead_and_alerts_the_owner_once,
    watch_rules_are_saved_whole_or_not_at_all_by_the_right_people,
    two_instances_claiming_one_alert_at_once_record_it_once,
    two_instances_leasing_alerts_at_once_never_lease_one_twice,
);

async fn the_live_state_equals_the_build_for_the_same_scans(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // The simulated door day: late and out-of-order kiosks, double scans, wrong doors.
    let (event, _) = event_with_day(&app, 300, 5).await;
    let updated = live_updates::catch_up_all(&app.ctx).await.unwrap();
    assert!(updated > 250, "{updated} live leads");
    // Nothing is left behind once caught up.
    assert_eq!(live_updates::catch_up_all(&app.ctx).await.unwrap(), 0);
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let built = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let live: HashMap<i64, LiveLeadRow> = app
        .ctx
        .store
        .leads()
        .live_leads(event.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.attendee_id, l))
        .collect();
    // The explanation is written from the same scans when asked for, not stored.
    let ids: Vec<i64> = live.keys().copied().collect();
    let explained = live_updates::explain(&app.ctx, event.id, &ids)
        .await
        .unwrap();
    assert_eq!(explained.len(), live.len());
    let mut compared = 0;
    for b in &built {
        let p = b.lead.package().unwrap();
        let Some(l) = live.get(&b.lead.attendee_id) else {
            assert_eq!(p.session_count, 0, "a lead with sessions has no live state");
            continue;
        };
        compared += 1;
        assert_eq!(l.tier, b.lead.tier, "attendee {}", l.attendee_id);
        assert_eq!(l.score, b.lead.score, "attendee {}", l.attendee_id);
        assert_eq!(l.top_topic, b.lead.top_topic, "attendee {}", l.attendee_id);
        assert_eq!(
            l.topic_scores, b.lead.topic_scores,
            "attendee {}",
            l.attendee_id
        );
        assert_eq!(
            explained.get(&l.attendee_id),
            Some(&b.lead.explanation),
            "attendee {}",
            l.attendee_id
        );
    }
    assert_eq!(compared, live.len());
    assert!(compared > 250, "{compared} compared");

    // The package page of a lead whose live tier moved shows the live explanation, written
    // from the person's scans when the page is read.
    let b = built
        .iter()
        .find(|b| live.contains_key(&b.lead.attendee_id) && b.lead.tier != Tier::X)
        .expect("a lead with live state");
    let id = b.lead.attendee_id;
    let mut moved = live[&id].clone();
    moved.tier = if b.lead.tier == Tier::A {
        Tier::C
    } else {
        Tier::A
    };
    moved.scan_seen += 1;
    let store = &app.ctx.store;
    store
        .leads()
        .write_live_leads(&[moved.clone()])
        .await
        .unwrap();
    app.login_as(Role::Marketer).await;
    let html = app
        .get_text(&format!("/admin/events/{}/leads/{id}", event.info.slug))
        .await;
    let card = live_card(&html);
    assert!(
        card.contains(&format!(
            "The last build said tier {}.",
            b.lead.tier.as_str()
        )),
        "{html}"
    );
    assert!(
        card.contains(&escaped(&b.lead.explanation)),
        "{}\n{html}",
        b.lead.explanation
    );

    // A scoring file edited into something unreadable costs the live state its explanation,
    // not the page its lead.
    let own = app
        .ctx
        .settings
        .leads
        .config_dir
        .join(event.info.slug.as_str());
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("scoring.toml"), "[tiers\n").unwrap();
    let r = app
        .get(&format!("/admin/events/{}/leads/{id}", event.info.slug))
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let card = live_card(&html);
    assert!(card.contains("The last build said tier"), "{html}");
    assert!(!card.contains(&escaped(&b.lead.explanation)), "{html}");
}

/// The package page's live card.
fn live_card(html: &str) -> &str {
    let start = html.find("id=\"live-lead\"").expect("a live card");
    let len = html[start..].find("</div>").expect("the card's end");
    &html[start..start + len]
}

/// Sends one scan made `ago` before now (a kiosk that held it while offline) now.
pub(crate) async fn scan_at(
    app: &TestApp,
    token: &str,
    nonce: &str,
    badge: &str,
    direction: &str,
    ago: jiff::SignedDuration,
) {
    let now = Timestamp::now();
    let at = now - ago;
    let r = app
        .post_json_as(
            token,
            "/api/v1/scans",
            &json!({ "sent_at": now, "app_version": "test", "queue_size": 0, "scans": [
            { "nonce": nonce, "badge": badge, "device_time": at, "direction": direction }
        ] }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["decision"], "accepted", "{body}");
}

pub(crate) async fn scan(app: &TestApp, token: &str, nonce: &str, badge: &str, direction: &str) {
    scan_at(
        app,
        token,
        nonce,
        badge,
        direction,
        jiff::SignedDuration::ZERO,
    )
    .await;
}

/// Waits (at most 10 s) for the attendee's live lead to reflect at least `scans` scans.
pub(crate) async fn live_after(app: &TestApp, attendee: i64, newer_than: i64) -> LiveLeadRow {
    for _ in 0..200 {
        if let Some(l) = app.ctx.store.leads().live_lead(attendee).await.unwrap()
            && l.scan_seen > newer_than
        {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the live lead of {attendee} was not updated");
}

async fn a_scan_at_the_door_updates_the_lead_and_alerts_the_owner_once(db: Db) {
    let (hook, url) = webhook("/alerts").await;
    let Some(app) = spawn_app_with(db, |s| {
        s.leads.alert_webhook_url = Some(url);
        s.leads.webhook_secret = Some("alert-secret".to_owned().into());
    })
    .await
    else {
        return;
    };
    // K1 in the Main Hall started twenty minutes ago.
    let event = seed_event_now_with(&app, |p| {
        for s in &mut p.sessions {
            s.starts_at -= jiff::SignedDuration::from_mins(10);
            s.ends_at -= jiff::SignedDuration::from_mins(10);
        }
    })
    .await;
    let sales = app.role_user(Role::Sales).await;
    app.ctx
        .store
        .leads()
        .set_user_email(&sales, Some("sally@example.com"))
        .await
        .unwrap();
    let (ada, ada_id) = register_as(&app, "ada@acme.example", "Ada Lovelace").await;
    let (bob, bob_id) = register_as(&app, "bob@other.example", "Bob Stranger").await;
    let saved = watch_file::save(
        &app.ctx,
        &event,
        &format!(
            "window_minutes = 60\nfresh_minutes = 30\n[[watch]]\nname = \"Acme in the building\"\nwhen = [\"enters\"]\naccounts = [\"acme.example\"]\nnotify = [\"{sales}\"]\n"
        ),
        "test",
    )
    .await
    .unwrap();
    assert!(saved.is_ok(), "{saved:?}");

    let door = paired_kiosk(&app, &event, Some("Main Hall"), "Door").await;
    let mins = jiff::SignedDuration::from_mins;
    scan_at(&app, &door, "n1", &ada, "entry", mins(16)).await;
    scan(&app, &door, "n2", &bob, "entry").await;
    let first = live_after(&app, ada_id, 0).await;
    assert!(first.topic_scores.contains(':'), "{first:?}");
    live_after(&app, bob_id, 0).await;

    // One alert: Ada's company is watched, Bob's is not.
    let alerts = app
        .ctx
        .store
        .leads()
        .hot_alerts(None, Some(event.id), 0, 10)
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a.attendee_id, a.trigger.as_str()), (ada_id, "enters"));
    assert_eq!(a.room.as_deref(), Some("Main Hall"));
    assert!(
        a.reason.contains("target account acme.example"),
        "{}",
        a.reason
    );
    assert!(!a.reason.contains("Ada"), "no name in the stored reason");

    // Emailed to the salesperson and posted, signed, once.
    delivered(&app, event.id).await;
    let a = &app
        .ctx
        .store
        .leads()
        .hot_alerts(None, Some(event.id), 0, 10)
        .await
        .unwrap()[0];
    assert_eq!(
        (a.email_state.as_str(), a.webhook_state.as_str()),
        ("sent", "posted")
    );
    let mails = outbox_to(&app, "sally@example.com");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]
            .contains("Subject: Hot lead: Ada Lovelace (Analytical Engines) is in Main Hall now"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("Main Hall"));
    let posted = hook.bodies.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    let (headers, body) = &posted[0];
    let expected = leads::webhook::signature(b"alert-secret", body);
    assert_eq!(
        headers["x-badgetrail-signature"].to_str().unwrap(),
        expected
    );
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["attendee_id"], ada_id);
    assert_eq!(sent["room"], "Main Hall");
    assert_eq!(sent["trigger"], "enters");

    // Ada leaves and comes back within the window: her lead follows, nobody is told again.
    scan_at(&app, &door, "n3", &ada, "exit", mins(10)).await;
    scan(&app, &door, "n4", &ada, "entry").await;
    let later = live_after(&app, ada_id, first.scan_seen).await;
    assert!(later.scan_seen > first.scan_seen);
    let alerts = app
        .ctx
        .store
        .leads()
        .hot_alerts(None, Some(event.id), 0, 10)
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1, "one alert per person per rule per window");
    delivered(&app, event.id).await;
    assert_eq!(outbox_to(&app, "sally@example.com").len(), 1);
    assert_eq!(hook.bodies.lock().unwrap().len(), 1);

    // The salesperson's "hot now" page shows who, where and why; another's shows nothing.
    let (sally, _) = signed_in(&app, &sales, Role::Sales).await;
    let (status, html) = get(&sally, &app, "/sales/hot").await;
    assert_eq!(status, 200);
    assert!(html.contains("Ada Lovelace (Analytical Engines)"), "{html}");
    assert!(html.contains("is in Main Hall now"));
    assert!(html.contains("target account acme.example"));
    assert!(!html.contains("Bob Stranger"));
    let (other, _) = signed_in(&app, "sam", Role::Sales).await;
    let (_, html) = get(&other, &app, "/sales/hot").await;
    assert!(html.contains("id=\"no-alerts\""), "{html}");
    // Door staff have no business there.
    let (staff, _) = signed_in(&app, "dora", Role::Staff).await;
    let (status, _) = get(&staff, &app, "/sales/hot").await;
    assert_eq!(status, 403);
    // Erasing Ada takes her alerts and live lead with her.
    badgetrail::privacy::erase_attendee(
        &app.ctx,
        ada_id,
        Timestamp::now(),
        badgetrail::privacy::ErasureRequester::Staff("test".into()),
    )
    .await
    .unwrap();
    assert!(
        app.ctx
            .store
            .leads()
            .live_lead(ada_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.ctx
            .store
            .leads()
            .hot_alerts(None, Some(event.id), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Delivers what is pending and waits (at most 10 s) until no alert of the event is still
/// to email or post: the worker may have leased one a moment before.
async fn delivered(app: &TestApp, event_id: i64) {
    for _ in 0..200 {
        leads::alerts::deliver_pending(&app.ctx).await;
        let alerts = app
            .ctx
            .store
            .leads()
            .hot_alerts(None, Some(event_id), 0, 100)
            .await
            .unwrap();
        if alerts
            .iter()
            .all(|a| a.email_state != "pending" && a.webhook_state != "pending")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("alerts still pending");
}

/// Every message in the outbox to `to`.
fn outbox_to(app: &TestApp, to: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.outbox()) else {
        return Vec::new();
    };
    dir.filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter(|m| m.contains(&format!("To: {to}")) || m.contains(&format!("<{to}>")))
        .collect()
}

async fn watch_rules_are_saved_whole_or_not_at_all_by_the_right_people(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let path = format!("/admin/events/{}/leads/watch", event.info.slug);
    app.login_as(Role::Marketer).await;
    let (status, html) = get(&app.client, &app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"no-rules\""));
    let csrf = extract_csrf(&html);
    let good = "[[watch]]\nname = \"AI buyers\"\nroles = [\"buyer\"]\ntopics = [\"ai\"]\n";
    let r = app
        .post_form(&path, &[("csrf", csrf.as_str()), ("rules", good)])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = get(&app.client, &app, &format!("{path}?done=saved")).await;
    assert!(html.contains("AI buyers"), "{html}");
    assert!(html.contains("with the role buyer"));
    // A wrong line: 422 with its line, and the saved rules stay.
    let bad = "[[watch]]\nname = \"x\"\ntopics = [\"no-such-topic\"]\n";
    let r = app
        .post_form(&path, &[("csrf", csrf.as_str()), ("rules", bad)])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<li>rule &#39;x&#39;: no topic &#39;no-such-topic&#39; at this event</li>"),
        "{html}"
    );
    let bad_toml = "[[watch]]\nname = \"x\"\ncolour = \"red\"\n";
    let r = app
        .post_form(&path, &[("csrf", csrf.as_str()), ("rules", bad_toml)])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("line 3"));
    let (text, rules) = watch_file::current(&app.ctx, &event).await.unwrap();
    assert_eq!(text, good);
    assert_eq!(rules.rules.len(), 1);
    // Without the form's token nothing changes.
    let r = app
        .post_form(&path, &[("csrf", "forged"), ("rules", "")])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(watch_file::current(&app.ctx, &event).await.unwrap().0, good);
    // Sales may read alerts, not change who is watched.
    let (sales, _) = signed_in(&app, "sid", Role::Sales).await;
    let (status, _) = get(&sales, &app, &path).await;
    assert_eq!(status, 403);
}

async fn two_instances_claiming_one_alert_at_once_record_it_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let other = app.another_instance().await;
    let event = app.seed_event().await;
    let mut people = Vec::new();
    for i in 0..20 {
        let (_, id) = register_as(&app, &format!("p{i}@example.com"), &format!("P {i}")).await;
        people.push(id);
    }
    let now = Timestamp::now().as_millisecond();
    let alert = |attendee_id| everyone_entered(attendee_id, now, "none");
    // Each person's alert is claimed by both instances at the same moment.
    for &id in &people {
        let (one, two) = ([alert(id)], [alert(id)]);
        let (a, b) = tokio::join!(
            app.ctx.store.leads().claim_alerts(event.id, &one, now),
            other.ctx.store.leads().claim_alerts(event.id, &two, now),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 1, "attendee {id}: {a:?} {b:?}");
    }
    let stored = app
        .ctx
        .store
        .leads()
        .hot_alerts(None, Some(event.id), 0, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), people.len());
    // Within the window nobody claims it again; after it, once more.
    assert!(
        app.ctx
            .store
            .leads()
            .claim_alerts(event.id, &[alert(people[0])], now + 1)
            .await
            .unwrap()
            .is_empty()
    );
    let later = badgetrail::store::NewAlert {
        window_start: now + 1,
        ..alert(people[0])
    };
    assert_eq!(
        other
            .ctx
            .store
            .leads()
            .claim_alerts(event.id, &[later], now + 61_000)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn two_instances_leasing_alerts_at_once_never_lease_one_twice(db: Db) {
    // Without the live worker, nothing but the two calls below delivers alerts.
    let Some(app) = spawn_app_with(db, |s| s.leads.live_updates = false).await else {
        return;
    };
    let other = app.another_instance().await;
    let event = app.seed_event().await;
    let now = Timestamp::now().as_millisecond();
    for i in 0..10 {
        let (_, id) = register_as(&app, &format!("p{i}@example.com"), &format!("P {i}")).await;
        // Nobody to email: the webhook post is what is still to do.
        let pending = everyone_entered(id, now, "pending");
        let claimed = app
            .ctx
            .store
            .leads()
            .claim_alerts(event.id, &[pending], now)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        // Both instances ask for the pending alerts at the same moment, one at a time, so
        // each may read the alert before the other has leased it.
        let (a, b) = tokio::join!(
            app.ctx
                .store
                .leads()
                .lease_pending_alerts(now, now + 60_000, 1),
            other
                .ctx
                .store
                .leads()
                .lease_pending_alerts(now, now + 60_000, 1),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            a.len() + b.len(),
            1,
            "alert {}: leased by both or by neither",
            claimed[0]
        );
        let leased = a.first().or(b.first()).unwrap();
        app.ctx
            .store
            .leads()
            .finish_alert(leased.id, "none", "posted")
            .await
            .unwrap();
    }
}

/// The alert of a rule watching everyone, for a person who entered a minute ago, with no
/// one to email.
fn everyone_entered(
    attendee_id: i64,
    now: i64,
    webhook_state: &'static str,
) -> badgetrail::store::NewAlert {
    badgetrail::store::NewAlert {
        attendee_id,
        rule: "everyone".into(),
        trigger: "enters",
        recipients: vec![None],
        session_id: None,
        reason: "entered".into(),
        window_start: now - 60_000,
        email_state: "none",
        webhook_state,
    }
}
