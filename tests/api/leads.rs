//! The lead builder end to end on both databases: a simulated day at the doors, trails,
//! recovery of each attendee's main topic, reruns, late scans, concurrent builds, dry runs
//! with a changed scoring file, routing and the webhook.

use std::collections::HashMap;

use badgetrail::{
    domain::leads::package::{LeadPackage, Tier},
    leads,
};

use crate::support::{
    app::{Db, spawn_app, spawn_app_with},
    door::paired_device,
    lead_build::{event_with_day, opts, package_of, sales_owners, write_file},
    webhook::webhook,
};

crate::on_both_backends!(
    the_main_topic_is_recovered_from_trails,
    reruns_are_stable_and_late_scans_update_results,
    concurrent_builds_leave_one_consistent_result,
    a_dry_run_reports_tier_moves_and_stores_nothing,
    leads_are_routed_with_deadlines_and_posted_to_the_webhook,
    stored_leads_keep_every_character_of_their_text,
);

fn packages(rows: &[badgetrail::store::LeadRow]) -> Vec<LeadPackage> {
    rows.iter().map(|r| r.lead.package().unwrap()).collect()
}

async fn the_main_topic_is_recovered_from_trails(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, truth) = event_with_day(&app, 300, 11).await;
    // Trails alone: declared interests are given no weight for this measurement.
    write_file(
        &app,
        "scoring",
        "[interest]\ndeclared_prior = 0\nmain_ticked_odds = 1\n",
    );
    let report = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    assert_eq!(report.leads, 300);
    assert!(
        report.sources[0].ends_with("cloud-summit-2026/scoring.toml"),
        "{:?}",
        report.sources
    );
    let leads = packages(&app.ctx.store.leads().event_leads(event.id).await.unwrap());
    let came: Vec<&LeadPackage> = leads.iter().filter(|l| l.session_count > 0).collect();
    let right = came
        .iter()
        .filter(|l| l.top_topic().map(|t| &t.slug) == truth.get(&l.attendee_id))
        .count();
    let accuracy = right as f64 / came.len() as f64;
    println!(
        "recovery ({db:?}): main topic recovered from trails alone for {right} of {} attendees who came: {:.1}%",
        came.len(),
        accuracy * 100.0
    );
    assert!(accuracy >= 0.85, "only {:.1}% recovered", accuracy * 100.0);
    // With the default rules the interests ticked at registration count too.
    std::fs::remove_file(
        app.ctx
            .settings
            .leads
            .config_dir
            .join("cloud-summit-2026/scoring.toml"),
    )
    .unwrap();
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let leads = packages(&app.ctx.store.leads().event_leads(event.id).await.unwrap());
    let with_declared = leads
        .iter()
        .filter(|l| {
            l.session_count > 0 && l.top_topic().map(|t| &t.slug) == truth.get(&l.attendee_id)
        })
        .count();
    println!(
        "recovery ({db:?}): with declared interests counted as well: {with_declared} of {}: {:.1}%",
        came.len(),
        with_declared as f64 * 100.0 / came.len() as f64
    );
    // Some leads have a likely next need: a topic they did not choose, with its reason.
    let with_need: Vec<&LeadPackage> = leads.iter().filter(|l| l.next_need.is_some()).collect();
    assert!(
        with_need.len() > 10,
        "{} leads with a next need",
        with_need.len()
    );
    for l in &with_need {
        let need = l.next_need.as_ref().unwrap();
        assert!(l.topics.iter().all(|t| t.slug != need.slug), "{need:?}");
        assert!(l.topics.iter().any(|t| t.slug == need.because), "{need:?}");
        assert!(need.lift >= 1.2 && need.people >= 5, "{need:?}");
        assert!(
            need.reason.starts_with("People interested in "),
            "{}",
            need.reason
        );
        assert_ne!(l.tier, Tier::X);
    }
    // Every lead explains itself; no-shows are excluded.
    for l in &leads {
        assert!(
            l.explanation
                .starts_with(&format!("Tier {}", l.tier.as_str())),
            "{}",
            l.explanation
        );
        if l.session_count == 0 {
            assert_eq!(l.tier, Tier::X);
        }
    }
}

async fn reruns_are_stable_and_late_scans_update_results(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 150, 5).await;
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let first = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let second_report = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    assert_eq!(second_report.moved, 0);
    let second = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    assert_eq!(
        packages(&first),
        packages(&second),
        "same inputs, same leads"
    );

    // A no-show's late scans (an offline kiosk syncing after the event) make them a lead.
    let no_show = packages(&second)
        .into_iter()
        .find(|l| l.session_count == 0)
        .expect("the simulated day has no-shows");
    let token = app
        .ctx
        .store
        .attendees()
        .attendee_badges(no_show.attendee_id)
        .await
        .unwrap()[0]
        .token
        .clone();
    let p = badgetrail::demo::programme::cloud_summit();
    let workshop = p.sessions.iter().find(|s| s.id == "W01").unwrap();
    let paired = paired_device(
        &app,
        &event,
        Some(&workshop.room),
        "late kiosk",
        jiff::Timestamp::now(),
    )
    .await;
    let scan = |nonce: &str, at, direction| badgetrail::door::ReportedScan {
        nonce: nonce.into(),
        badge: token.clone(),
        device_time: at,
        direction,
        room: None,
    };
    use badgetrail::domain::door::scan::Direction;
    let batch = badgetrail::door::ScanBatch {
        sent_at: jiff::Timestamp::now(),
        app_version: "test".into(),
        queue_size: 0,
        scans: vec![
            scan("late-1", workshop.starts_at, Direction::Entry),
            scan("late-2", workshop.ends_at, Direction::Exit),
        ],
    };
    let verdicts =
        badgetrail::door::ingest_paired(&app.ctx, &paired, &batch, jiff::Timestamp::now())
            .await
            .unwrap();
    assert!(
        verdicts.iter().all(|v| v.decision == "accepted"),
        "{verdicts:?}"
    );
    let third = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    assert!(third.moved >= 1);
    let after = package_of(&app, event.id, no_show.attendee_id).await;
    assert_ne!(after.tier, Tier::X, "{}", after.explanation);
    assert_eq!(after.session_count, 1);
    assert_eq!(after.sessions[0].session, "W01");
}

async fn concurrent_builds_leave_one_consistent_result(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 200, 8).await;
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let (ctx, event) = (app.ctx.clone(), event.clone());
            tokio::spawn(leads::build_in_background(ctx, event, opts()))
        })
        .collect();
    let mut results = Vec::new();
    for r in runs {
        results.push(r.await.unwrap());
    }
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(ok >= 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(format!("{r:#}").contains("already running"), "{r:#}");
    }
    let rows = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    assert_eq!(rows.len(), 200, "one lead per attendee, none twice");
    let latest = app
        .ctx
        .store
        .leads()
        .latest_lead_build(event.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.state, "done");
    assert!(rows.iter().all(|r| r.lead.package.len() > 2));
    // And a build after them starts normally.
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
}

async fn a_dry_run_reports_tier_moves_and_stores_nothing(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 200, 3).await;
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let before = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let builds = app
        .ctx
        .store
        .leads()
        .latest_lead_build(event.id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let stricter = app.dir.path().join("stricter.toml");
    std::fs::write(&stricter, "[tiers.a]\nscore = 95\n").unwrap();
    let dry = leads::build(
        &app.ctx,
        &event,
        &leads::BuildOptions {
            dry_run: true,
            files: leads::FileChoice {
                scoring: Some(stricter),
                ..Default::default()
            },
            ..opts()
        },
        &|_| {},
    )
    .await
    .unwrap();
    let was_a = before.iter().filter(|r| r.lead.tier == "A").count();
    assert!(was_a > 0);
    assert_eq!(
        dry.tiers.get("A").copied().unwrap_or(0),
        0,
        "nobody reaches 95"
    );
    assert_eq!(dry.moved, was_a, "every A lead moves down");
    assert_eq!(
        dry.moves
            .counts
            .get(&(Some(Tier::A), Tier::B))
            .copied()
            .unwrap_or(0)
            + dry
                .moves
                .counts
                .get(&(Some(Tier::A), Tier::C))
                .copied()
                .unwrap_or(0),
        was_a
    );
    assert!(
        dry.moves
            .moved
            .iter()
            .all(|(_, from, _)| *from == Some(Tier::A))
    );
    assert_eq!(
        app.ctx.store.leads().event_leads(event.id).await.unwrap(),
        before,
        "nothing stored"
    );
    assert_eq!(
        app.ctx
            .store
            .leads()
            .latest_lead_build(event.id)
            .await
            .unwrap()
            .unwrap()
            .id,
        builds
    );
    // A broken scoring file is refused with its line, and changes nothing either.
    write_file(&app, "scoring", "[tiers.a]\nscroe = 1\n");
    let e = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("scoring.toml:2"), "{e:#}");
    assert_eq!(
        app.ctx.store.leads().event_leads(event.id).await.unwrap(),
        before
    );
}

async fn leads_are_routed_with_deadlines_and_posted_to_the_webhook(db: Db) {
    let (hook, hook_url) = webhook("/hook").await;
    let Some(app) = spawn_app_with(db, |s| {
        s.leads.webhook_url = Some(hook_url);
        s.leads.webhook_secret = Some("hook-secret".to_owned().into());
    })
    .await
    else {
        return;
    };
    sales_owners(&app).await;
    let (event, _) = event_with_day(&app, 200, 21).await;
    write_file(
        &app,
        "routing",
        include_str!("../../examples/cloud-summit-routing.toml"),
    );
    let report = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let rows = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let routed: Vec<_> = rows.iter().filter(|r| r.lead.owner_id.is_some()).collect();
    assert_eq!(routed.len(), report.routed);
    assert_eq!(
        routed.len(),
        rows.iter()
            .filter(|r| r.lead.tier == "A" || r.lead.tier == "B")
            .count()
    );
    for r in &rows {
        let p: LeadPackage = r.lead.package().unwrap();
        let dach = [
            "Germany",
            "Austria",
            "Switzerland",
            "Netherlands",
            "Belgium",
            "Luxembourg",
        ]
        .contains(&p.contact.country.as_str());
        match (&p.routing, r.owner.as_deref()) {
            (Some(route), Some(owner)) => {
                assert_eq!(route.owner, owner);
                if dach {
                    assert_eq!(owner, "sales", "{}", route.rule);
                }
                assert!(r.lead.due_at.unwrap() > jiff::Timestamp::now().as_millisecond());
            }
            (None, None) => assert!(matches!(p.tier, Tier::C | Tier::X)),
            other => panic!("routing and owner disagree: {other:?}"),
        }
    }
    // The webhook got every routed lead once, signed.
    let bodies = hook.bodies.lock().unwrap().clone();
    assert_eq!(report.webhook_posted, routed.len());
    assert_eq!(bodies.len(), routed.len());
    let mut seen = HashMap::new();
    for (headers, body) in &bodies {
        let sig = headers
            .get("x-badgetrail-signature")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            sig,
            badgetrail::leads::webhook::signature(b"hook-secret", body)
        );
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["event"], "cloud-summit-2026");
        *seen
            .entry(v["lead"]["attendee_id"].as_i64().unwrap())
            .or_insert(0) += 1;
    }
    assert!(seen.values().all(|n| *n == 1));
    // A rebuild with nothing new posts nothing and keeps owners and deadlines.
    let again = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    assert_eq!(again.webhook_posted, 0);
    let rows_again = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    for (a, b) in rows.iter().zip(&rows_again) {
        assert_eq!(
            (a.lead.owner_id, a.lead.due_at),
            (b.lead.owner_id, b.lead.due_at)
        );
    }
    // A routing file naming an unknown owner is refused before anything is written.
    write_file(&app, "routing", "fallback = 'nobody-here'\n");
    let e = leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("nobody-here"), "{e:#}");
}

crate::on_both_backends!(the_build_button_builds_in_the_background_with_progress);

async fn the_build_button_builds_in_the_background_with_progress(db: Db) {
    use badgetrail::domain::user::Role;
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 120, 4).await;
    let path = "/admin/events/cloud-summit-2026/leads";
    app.login_as(Role::Marketer).await;
    let page = app.get_text(path).await;
    assert!(page.contains("no lead build has run yet"), "{page}");
    assert!(page.contains(">Build leads</button>"));
    // No CSRF token, no build.
    let r = app
        .post_form(&format!("{path}/build"), &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), 403);
    assert!(
        app.ctx
            .store
            .leads()
            .latest_lead_build(event.id)
            .await
            .unwrap()
            .is_none()
    );
    let csrf = app.csrf(path).await;
    let r = app
        .post_form(&format!("{path}/build"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 303);
    let mut status = serde_json::Value::Null;
    for _ in 0..200 {
        status = app
            .get(&format!("{path}/build.json"))
            .await
            .json()
            .await
            .unwrap();
        if status["state"] == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["total"], 120);
    assert_eq!(status["done"], 120);
    assert_eq!(status["started_by"], "marketer-user");
    assert_eq!(
        app.ctx
            .store
            .leads()
            .event_leads(event.id)
            .await
            .unwrap()
            .len(),
        120
    );
    let page = app.get_text(path).await;
    assert!(
        page.contains("built ") && page.contains(">Rebuild leads</button>"),
        "{page}"
    );
    assert!(
        !page.contains("http-equiv=\"refresh\""),
        "no refresh once done"
    );
    // Sales may not build.
    app.login_as(Role::Sales).await;
    let csrf = app.csrf("/sales/leads").await;
    let r = app
        .post_form(&format!("{path}/build"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 403);
}

crate::on_both_backends!(follow_up_opens_and_clicks_raise_engagement_on_the_next_build);

async fn follow_up_opens_and_clicks_raise_engagement_on_the_next_build(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 80, 9).await;
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let sent = badgetrail::demo::follow_up::send_follow_up(&app.ctx, &event)
        .await
        .unwrap();
    assert!(sent.sent > 0, "{sent:?}");
    let campaign = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, badgetrail::demo::follow_up::CAMPAIGN_SLUG)
        .await
        .unwrap()
        .unwrap();
    let row = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(campaign.id)
        .await
        .unwrap()[0]
        .clone();
    let before: LeadPackage = package_of(&app, event.id, row.attendee_id).await;
    let now = jiff::Timestamp::now();
    app.ctx
        .store
        .campaigns()
        .record_engagement(row.id, None, now)
        .await
        .unwrap();
    app.ctx
        .store
        .campaigns()
        .record_engagement(row.id, Some("https://cloud.example/x"), now)
        .await
        .unwrap();
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let after: LeadPackage = package_of(&app, event.id, row.attendee_id).await;
    let email: Vec<&str> = after
        .factors
        .iter()
        .filter(|f| f.label == "follow-up email")
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(email, ["link clicked", "opened"]);
    let expected = (before.engagement + 5.0).min(100.0);
    assert!(
        (after.engagement - expected).abs() < 0.15,
        "{} -> {}",
        before.engagement,
        after.engagement
    );
}

crate::on_both_backends!(a_dead_or_wrong_webhook_never_holds_the_build_up);

async fn a_dead_or_wrong_webhook_never_holds_the_build_up(db: Db) {
    // A port nobody listens on: bind, note the port, close.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for url in [
        format!("http://127.0.0.1:{closed}/hook"),
        "ftp://example.com/x".to_owned(),
    ] {
        let Some(app) = spawn_app_with(db, |s| s.leads.webhook_url = Some(url.clone())).await
        else {
            return;
        };
        sales_owners(&app).await;
        let (event, _) = event_with_day(&app, 150, 13).await;
        write_file(
            &app,
            "routing",
            include_str!("../../examples/cloud-summit-routing.toml"),
        );
        let report = leads::build(&app.ctx, &event, &opts(), &|_| {})
            .await
            .unwrap();
        assert!(
            report.routed > leads::webhook::GIVE_UP_AFTER,
            "{url}: {report:?}"
        );
        assert_eq!(
            (report.webhook_posted, report.webhook_failed),
            (0, report.routed),
            "{url}"
        );
        // The leads themselves are stored whatever the webhook did.
        assert_eq!(
            app.ctx
                .store
                .leads()
                .event_leads(event.id)
                .await
                .unwrap()
                .len(),
            150
        );
    }
}

/// The bulk write (multi-row INSERT on SQLite, a CSV `COPY` on PostgreSQL) hands back exactly
/// what it was given: quotes, commas, line breaks, backslashes, tabs, non-ASCII text, an
/// empty stage, absent owner and deadline.
async fn stored_leads_keep_every_character_of_their_text(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (event, _) = event_with_day(&app, 4, 3).await;
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let rows = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let awkward = "\"quoted\", comma,\nnew line\r\n\\N back\\slash\ttab; é 𝄞 <b>&amp;";
    let wanted: Vec<badgetrail::store::StoredLead> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| badgetrail::store::StoredLead {
            attendee_id: r.lead.attendee_id,
            tier: Tier::B,
            top_topic: (i % 2 == 0).then(|| "ai".to_owned()),
            score: 12.345_678_9 + i as f64,
            fit: 0.1,
            engagement: 1e-7,
            stage: None,
            topic_scores: format!("ai:{i};caching:1.5"),
            explanation: format!("{awkward} {i}"),
            package: serde_json::json!({ "note": awkward, "i": i }).to_string(),
            owner_id: None,
            due_at: (i % 2 == 1).then_some(1_700_000_000_123),
            next_need: (i % 3 == 0).then(|| format!("{awkward} {i}")),
            genuine: format!("{awkward} {i}"),
        })
        .collect();
    let now = jiff::Timestamp::now();
    let store = &app.ctx.store;
    let build = store
        .leads()
        .start_lead_build(event.id, "test", now)
        .await
        .unwrap();
    let mut w = store
        .leads()
        .begin_lead_write(build, event.id, now)
        .await
        .unwrap();
    w.write(wanted[..1].to_vec()).await.unwrap();
    w.write(wanted[1..].to_vec()).await.unwrap();
    w.write(Vec::new()).await.unwrap();
    w.finish("{}", None).await.unwrap();
    let stored = || async {
        let rows = store.leads().event_leads(event.id).await.unwrap();
        rows.into_iter().map(|r| r.lead).collect::<Vec<_>>()
    };
    assert_eq!(stored().await, wanted);

    // A lead for nobody, owned by no account, or a second lead for one attendee fails the
    // whole write and keeps the leads.
    let duplicate = wanted[1].attendee_id;
    for (attendee_id, owner_id) in [
        (i64::MAX - 7, None),
        (wanted[0].attendee_id, Some(-3)),
        (duplicate, None),
    ] {
        let build = store
            .leads()
            .start_lead_build(event.id, "test", now)
            .await
            .unwrap();
        let mut w = store
            .leads()
            .begin_lead_write(build, event.id, now)
            .await
            .unwrap();
        let bad = badgetrail::store::StoredLead {
            attendee_id,
            owner_id,
            ..wanted[0].clone()
        };
        w.write(wanted[1..].to_vec()).await.unwrap();
        // SQLite's own foreign keys may refuse the row already; PostgreSQL's check is at the end.
        let refused = match w.write(vec![bad]).await {
            Err(e) => {
                drop(w);
                e.to_string()
            }
            Ok(()) => w.finish("{}", None).await.unwrap_err().to_string(),
        };
        assert!(
            refused.contains("FOREIGN KEY")
                || refused.contains("does not exist")
                || refused.contains("duplicate"),
            "{refused}"
        );
        store
            .leads()
            .fail_lead_build(build, &refused, jiff::Timestamp::now())
            .await
            .unwrap();
        assert_eq!(stored().await, wanted, "the previous leads stay");
    }

    // A build's leads are exactly what it wrote: a lead it did not write is gone.
    let build = store
        .leads()
        .start_lead_build(event.id, "test", now)
        .await
        .unwrap();
    let mut w = store
        .leads()
        .begin_lead_write(build, event.id, now)
        .await
        .unwrap();
    w.write(wanted[1..].to_vec()).await.unwrap();
    w.finish("{}", None).await.unwrap();
    assert_eq!(
        stored().await,
        wanted[1..],
        "only the leads of the last build"
    );
}
