//! People own their data: the export holds everything, erasure leaves no trace of the
//! person while counts stay, an erased address is not mailed again, retention erases on time.

use badgetrail::{
    domain::{retention::event_end, user::Role},
    jobs,
    privacy::{self, ErasureRequester},
    registration::{self, Source},
};
use jiff::{SignedDuration, Timestamp};

use crate::support::{
    app::{Db, TestApp, spawn_app},
    campaign::{self, campaign, eml_files},
    person_history::{
        EMAIL, NAME, OTHER_EMAIL, OTHER_NAME, PHONE, dump_database, every_tier_campaign, fixture,
        outbox_texts, trace_of_person,
    },
};

crate::on_both_backends!(
    the_export_holds_registration_consents_scans_trail_emails_and_the_lead_explanation,
    erasure_by_staff_leaves_no_trace_of_the_person_anywhere_and_keeps_the_counts,
    an_erased_address_imported_again_gets_no_badge_or_follow_up_email,
    retention_dry_run_changes_nothing_and_the_real_run_erases_the_people_due,
);

async fn the_export_holds_registration_consents_scans_trail_emails_and_the_lead_explanation(
    db: Db,
) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app).await;
    let data = privacy::export_attendee(&app.ctx, f.person).await.unwrap();
    assert_eq!(data["format"], privacy::EXPORT_FORMAT);
    let reg = &data["registration"];
    assert_eq!(reg["email"], EMAIL);
    assert_eq!(reg["name"], NAME);
    assert_eq!(reg["phone"], PHONE);
    assert_eq!(reg["decision_role"], "decision_maker");
    let mut interests: Vec<&str> = reg["interests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    interests.sort_unstable();
    assert_eq!(interests, ["ai", "big-data"]);
    let consents = data["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0]["granted"], true);
    assert!(!consents[0]["wording"].as_str().unwrap().is_empty());
    assert!(data["badges"][0]["token"].as_str().unwrap().len() > 10);
    assert_eq!(data["scans"][0]["decision"], "accepted");
    assert_eq!(
        data["trail"].as_array().unwrap().len(),
        1,
        "{}",
        data["trail"]
    );
    assert_eq!(data["emails"]["badge"][0]["state"], "sent");
    let sends = data["emails"]["campaigns"].as_array().unwrap();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["campaign_name"], "After the summit");
    assert_eq!(sends[0]["state"], "sent");
    let kinds: Vec<&str> = data["emails"]["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["open", "click"]);
    let lead = &data["lead"];
    assert!(["A", "B", "C", "X"].contains(&lead["tier"].as_str().unwrap()));
    assert!(!lead["explanation"].as_str().unwrap().is_empty(), "{lead}");
    assert!(lead["package"].is_object(), "{lead}");
    // Nobody else's data is in it.
    assert!(!data.to_string().contains(OTHER_EMAIL));
}

async fn erasure_by_staff_leaves_no_trace_of_the_person_anywhere_and_keeps_the_counts(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app).await;
    let store = &app.ctx.store;
    let attendance = store.leads().event_attendance(f.event.id).await.unwrap();
    let rooms = occupancy(&app, f.event.id, f.during).await;
    assert!(
        attendance.checked_in == 2 && rooms.contains("present: 2"),
        "{rooms}"
    );
    assert!(dump_database(&app).await.contains(EMAIL));
    assert!(outbox_texts(&app).iter().any(|t| t.contains(EMAIL)));

    app.login_as(Role::Admin).await;
    let page = format!(
        "/admin/events/{}/attendees/{}",
        f.event.info.slug.as_str(),
        f.person
    );
    let html = app.get_text(&page).await;
    assert!(html.contains("Erase this person"), "{html}");
    let csrf = app.csrf(&page).await;
    let erase = app.url(&format!("{page}/erase"));
    let unconfirmed = app
        .client
        .post(&erase)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unconfirmed.status(), 400);
    assert!(
        store
            .attendees()
            .attendee(f.person)
            .await
            .unwrap()
            .unwrap()
            .erased_at
            .is_none()
    );
    let without_token = app
        .client
        .post(&erase)
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_ne!(without_token.status(), 303);
    let erased = app
        .client
        .post(&erase)
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 303);
    // Mail about the person that arrives afterwards stores nothing of them again.
    let ledger_row = store
        .campaigns()
        .campaign_ledger(f.campaign)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.attendee_id == f.person)
        .unwrap();
    store
        .campaigns()
        .record_engagement(
            ledger_row.id,
            Some("https://example.com/book"),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let bounce = crate::support::campaign::dsn(EMAIL, "failed", "5.1.1");
    badgetrail::edm::read_inbound(&app.ctx, bounce.as_bytes(), Timestamp::now())
        .await
        .unwrap();

    let dump = dump_database(&app).await;
    assert_eq!(trace_of_person(&dump), None, "{dump}");
    assert!(dump.contains(OTHER_EMAIL), "the dump reads every table");
    let texts = outbox_texts(&app);
    assert!(texts.iter().all(|t| trace_of_person(t).is_none()));
    assert!(texts.iter().any(|t| t.contains(OTHER_EMAIL)));
    let html = app.get_text(&page).await;
    assert_eq!(trace_of_person(&html), None, "{html}");
    assert!(html.contains("data was erased"), "{html}");
    let list = format!("/admin/events/{}", f.event.info.slug.as_str());
    let html = app.get_text(&list).await;
    assert_eq!(trace_of_person(&html), None);
    assert!(html.contains(OTHER_NAME));
    let export = privacy::export_attendee(&app.ctx, f.person).await.unwrap();
    assert_eq!(trace_of_person(&export.to_string()), None, "{export}");

    assert_eq!(
        store.leads().event_attendance(f.event.id).await.unwrap(),
        attendance
    );
    assert_eq!(occupancy(&app, f.event.id, f.during).await, rooms);
    assert!(
        store
            .leads()
            .lead(f.event.id, f.person)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .leads()
            .lead(f.event.id, f.other)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .campaigns()
            .attendee_engagement(f.person)
            .await
            .unwrap(),
        Default::default()
    );
    // A lead build afterwards does not bring the person back.
    badgetrail::leads::build(
        &app.ctx,
        &f.event,
        &crate::support::lead_build::opts(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(
        store
            .leads()
            .lead(f.event.id, f.person)
            .await
            .unwrap()
            .is_none()
    );

    // The badge no longer opens any door.
    let late = badgetrail::door::ScanBatch {
        sent_at: Timestamp::now(),
        app_version: "test".into(),
        queue_size: 0,
        scans: vec![badgetrail::door::ReportedScan {
            nonce: "after-erasure".into(),
            badge: f.badge.clone(),
            device_time: f.during,
            direction: badgetrail::domain::door::scan::Direction::Entry,
            room: None,
        }],
    };
    let verdicts = badgetrail::door::ingest_paired(&app.ctx, &f.door, &late, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(verdicts[0].decision, "refused", "{verdicts:?}");

    let again = privacy::erase_attendee(
        &app.ctx,
        f.person,
        Timestamp::now(),
        ErasureRequester::Attendee,
    )
    .await
    .unwrap();
    assert!(again.already_erased);
    assert_eq!(again.removed, Default::default());
}

/// Room occupancy as the live page shows it, at `at`.
async fn occupancy(app: &TestApp, event_id: i64, at: Timestamp) -> String {
    let live = badgetrail::live::read(&app.ctx, event_id, at)
        .await
        .unwrap();
    format!(
        "{:?}",
        live.rooms.iter().map(|r| r.occupancy).collect::<Vec<_>>()
    )
}

async fn an_erased_address_imported_again_gets_no_badge_or_follow_up_email(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let people = [(NAME, EMAIL, true), (OTHER_NAME, OTHER_EMAIL, true)];
    let ids = campaign::register(&app, &event, &people).await;
    let report = privacy::erase_attendee(
        &app.ctx,
        ids[0],
        Timestamp::now(),
        ErasureRequester::Staff("admin".into()),
    )
    .await
    .unwrap();
    assert_eq!(report.removed.registrations, 1);
    assert!(report.removed.consents_kept_as_proof >= 1);

    let csv = format!(
        "email,name,company,job_title,decision_role,purchase_stage,industry,company_size,country,phone,interests,marketing_consent\n\
         {EMAIL},{NAME},Analytical Engines,CTO,decision_maker,look_for_suppliers,software,51_200,United Kingdom,,ai,yes\n\
         {OTHER_EMAIL},{OTHER_NAME},Analytical Engines,CTO,decision_maker,look_for_suppliers,software,51_200,United Kingdom,,ai,yes\n"
    );
    let topics = app.ctx.store.events().event_topics(event.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let parsed = badgetrail::formats::parse_attendees_csv(csv.as_bytes(), &known).unwrap();
    let again = registration::record(
        &app.ctx,
        &event,
        &parsed.rows,
        Source::Import,
        true,
        Timestamp::now(),
    )
    .await
    .unwrap();
    assert!(again[0].created, "a new registration, not the erased one");
    let badges = jobs::badge_mail::run_once(&app.ctx).await.unwrap();
    assert_eq!(badges.sent, 1, "only the other person gets a badge email");

    let c = campaign(&app, &event, "after", &every_tier_campaign()).await;
    let view = badgetrail::edm::audience(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    assert!(
        view.plan.excluded.contains(&(
            again[0].attendee_id,
            badgetrail::domain::campaigns::audience::Exclusion::Unsubscribed
        )),
        "{:?}",
        view.plan
    );
    badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    jobs::edm_send::run_once(&app.ctx).await.unwrap();
    let sent: Vec<String> = eml_files(&app.outbox())
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        sent.len(),
        2,
        "the other person's badge and follow-up emails"
    );
    assert!(
        sent.iter()
            .all(|m| m.contains(OTHER_EMAIL) && !m.contains(EMAIL))
    );
}

async fn retention_dry_run_changes_nothing_and_the_real_run_erases_the_people_due(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = campaign::register(
        &app,
        &event,
        &[(NAME, EMAIL, false), (OTHER_NAME, OTHER_EMAIL, true)],
    )
    .await;
    let (no_consent, consented) = (ids[0], ids[1]);
    let store = &app.ctx.store;
    let tz = event.info.tz().unwrap();
    let ended = event_end(event.info.ends_on, &tz);
    let days = |n: i64| ended + SignedDuration::from_hours(24 * n);

    let early = jobs::retention::run_once(&app.ctx, days(179))
        .await
        .unwrap();
    assert_eq!(early.erased, 0);

    let dry = privacy::retention::run(&app.ctx, days(181), true)
        .await
        .unwrap();
    let line = dry
        .events
        .iter()
        .find(|l| l.event == event.info.slug.as_str())
        .unwrap();
    assert_eq!((line.consented, line.other), (0, 1));
    assert_eq!(dry.erased, 0);
    let before = dump_database(&app).await;
    assert!(before.contains(EMAIL));
    for id in [no_consent, consented] {
        assert!(
            store
                .attendees()
                .attendee(id)
                .await
                .unwrap()
                .unwrap()
                .erased_at
                .is_none()
        );
    }

    let run = jobs::retention::run_once(&app.ctx, days(181))
        .await
        .unwrap();
    assert_eq!(run.erased, 1);
    let erased = store
        .attendees()
        .attendee(no_consent)
        .await
        .unwrap()
        .unwrap();
    assert!(erased.erased_at.is_some() && erased.name.is_empty());
    let kept = store
        .attendees()
        .attendee(consented)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.erased_at, kept.name.as_str()), (None, OTHER_NAME));
    assert_eq!(trace_of_person(&dump_database(&app).await), None);

    let later = jobs::retention::run_once(&app.ctx, days(731))
        .await
        .unwrap();
    assert_eq!(later.erased, 1);
    assert!(
        store
            .attendees()
            .attendee(consented)
            .await
            .unwrap()
            .unwrap()
            .erased_at
            .is_some()
    );
    assert!(!dump_database(&app).await.contains(OTHER_EMAIL));
}
