//! Campaigns to the data pool on both databases: a segment picks people across events (tag,
//! next action due, topic, role, stage, company, last contact, events attended), each person
//! once, with consent, suppression, sales outcomes and the frequency window applied across
//! every event and campaign; set on the campaign page or in the campaign file.

use badgetrail::domain::leads::package::Tier;
use badgetrail::{
    domain::{
        attendee::{Answers, Registration, RegistrationInput},
        campaigns::audience::Exclusion,
        campaigns::segment::{AudienceScope, Segment},
        door::scan::Direction,
        user::Role,
    },
    door::{self, ReportedScan, ScanBatch},
    edm,
    jobs::edm_send,
    registration::{self, Source},
    store::{BounceReport, CampaignRecord, CampaignSettings, EventRecord, StoredLead},
};
use jiff::{Timestamp, ToSpan};

use crate::support::{
    app::{Db, TestApp, data_days, spawn_app},
    campaign::campaign,
    forms::extract_csrf,
    staff::{get, sales_user, signed_in},
    stored_leads::finish_build,
};

crate::on_both_backends!(
    a_segment_picks_people_across_events_once_each,
    a_pool_campaign_sends_once_per_person_and_counts_for_the_frequency_window,
    marketers_set_the_segment_on_the_campaign_page,
);

/// Who registers: (name, email, company, role, stage, marketing consent).
type Person<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, bool);

/// Registers `people` (no badge email); their attendee ids and badge tokens.
async fn register(app: &TestApp, event: &EventRecord, people: &[Person<'_>]) -> Vec<(i64, String)> {
    let regs: Vec<Registration> = people
        .iter()
        .map(|(name, email, company, role, stage, consent)| {
            Registration::parse(
                &RegistrationInput {
                    email: (*email).into(),
                    name: (*name).into(),
                    answers: Answers {
                        company: (*company).into(),
                        job_title: "Engineer".into(),
                        decision_role: (*role).into(),
                        purchase_stage: (*stage).into(),
                        industry: "software".into(),
                        company_size: "51_200".into(),
                        country: "Germany".into(),
                    },
                    phone: String::new(),
                    interests: vec![],
                    marketing_consent: *consent,
                },
                &[],
            )
            .unwrap()
        })
        .collect();
    registration::record(
        &app.ctx,
        event,
        &regs,
        Source::Import,
        false,
        Timestamp::now(),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|o| (o.attendee_id, o.token))
    .collect()
}

/// Scans each badge into the opening keynote: they came to the event.
async fn scan_in(app: &TestApp, event: &EventRecord, badges: &[&str]) {
    let now = Timestamp::now();
    let store = &app.ctx.store;
    let device_id = store.door().import_device(event.id, now).await.unwrap();
    let device = store
        .door()
        .list_devices(event.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == device_id)
        .unwrap();
    let batch = ScanBatch {
        sent_at: now,
        app_version: "test".into(),
        queue_size: 0,
        scans: badges
            .iter()
            .enumerate()
            .map(|(i, badge)| ReportedScan {
                nonce: format!("{}-{i}", event.info.slug),
                badge: (*badge).to_owned(),
                device_time: "2026-05-12T09:10:00+02:00".parse().unwrap(),
                direction: Direction::Entry,
                room: Some("Main Hall".into()),
            })
            .collect(),
    };
    let verdicts = door::ingest(&app.ctx, &device, &batch, now).await.unwrap();
    assert!(
        verdicts.iter().all(|v| v.decision == "accepted"),
        "{verdicts:?}"
    );
}

/// A finished lead build of `event` with leads (attendee, tier, top topic) owned by `owner`.
async fn leads(app: &TestApp, event: &EventRecord, owner: i64, rows: &[(i64, &str, Option<&str>)]) {
    let leads: Vec<StoredLead> = rows
        .iter()
        .map(|(id, tier, topic)| StoredLead {
            attendee_id: *id,
            tier: Tier::parse(tier).unwrap(),
            top_topic: topic.map(str::to_owned),
            stage: Some(badgetrail::domain::attendee::PurchaseStage::LookForSuppliers),
            package: "{}".into(),
            owner_id: Some(owner),
            ..StoredLead::default()
        })
        .collect();
    finish_build(app, event, &leads, &Default::default()).await;
}

/// Two events and the people of the pool:
/// - Ada (acme.example, decision maker) came to both: big data at the summit, AI at Data
///   Days, where sales recorded "buying within a year" (tag nurture, next contact in 9
///   months);
/// - Bob (acme.example, user) came to the summit (big data); sales said "not a fit";
/// - Cy (gmail, decision maker) came to the summit (big data) with consent, registered for
///   Data Days with it too, then withdrew it there: his latest word is no;
/// - Dee (web.de, influencer) came to Data Days (AI); her address hard-bounced;
/// - Eve (other.example, decision maker) registered for the summit and did not come.
struct Pool {
    summit: EventRecord,
    days: EventRecord,
    /// Registration ids: ada at the summit, ada at Data Days, bob, cy at the summit, cy at
    /// Data Days, dee, eve.
    ada: (i64, i64),
    bob: i64,
    cy: (i64, i64),
    dee: i64,
    eve: i64,
}

async fn pool(app: &TestApp) -> Pool {
    let summit = app.seed_event().await;
    let days = data_days(app).await;
    let s = register(
        app,
        &summit,
        &[
            (
                "Ada",
                "ada@acme.example",
                "Acme",
                "decision_maker",
                "look_for_suppliers",
                true,
            ),
            (
                "Bob",
                "bob@acme.example",
                "Acme",
                "user",
                "choose_supplier",
                true,
            ),
            (
                "Cy",
                "cy@gmail.com",
                "Cy Ltd",
                "decision_maker",
                "look_for_suppliers",
                true,
            ),
            (
                "Eve",
                "eve@other.example",
                "Other",
                "decision_maker",
                "just_learning",
                true,
            ),
        ],
    )
    .await;
    let d = register(
        app,
        &days,
        &[
            (
                "Ada",
                "ADA@acme.example",
                "Acme",
                "decision_maker",
                "choose_supplier",
                true,
            ),
            (
                "Cy",
                "cy@gmail.com",
                "Cy Ltd",
                "decision_maker",
                "look_for_suppliers",
                true,
            ),
            (
                "Dee",
                "dee@web.de",
                "Dee Consulting",
                "influencer",
                "analyse_need",
                true,
            ),
        ],
    )
    .await;
    scan_in(app, &summit, &[&s[0].1, &s[1].1, &s[2].1]).await;
    scan_in(app, &days, &[&d[0].1, &d[2].1]).await;
    let sally = sales_user(app, "sally").await;
    leads(
        app,
        &summit,
        sally,
        &[
            (s[0].0, "A", Some("big-data")),
            (s[1].0, "C", Some("big-data")),
            (s[2].0, "A", Some("big-data")),
            (s[3].0, "X", None),
        ],
    )
    .await;
    leads(
        app,
        &days,
        sally,
        &[
            (d[0].0, "B", Some("ai")),
            (d[1].0, "X", None),
            (d[2].0, "C", Some("ai")),
        ],
    )
    .await;
    let now = Timestamp::now();
    // On his Data Days page, Cy withdraws the consent he gave there.
    assert!(
        app.ctx
            .store
            .attendees()
            .set_marketing_consent(d[1].0, false, "self_service", now)
            .await
            .unwrap()
    );
    badgetrail::leads::feedback::record(
        &app.ctx,
        &days,
        d[0].0,
        sally,
        "buying_within_year",
        "",
        now,
    )
    .await
    .unwrap();
    badgetrail::leads::feedback::record(&app.ctx, &summit, s[1].0, sally, "not_a_fit", "", now)
        .await
        .unwrap();
    app.ctx
        .store
        .campaigns()
        .record_bounce(
            &BounceReport {
                email: "dee@web.de",
                kind: "hard",
                status: "5.1.1",
                detail: "no such user",
                message_id: None,
            },
            3,
            86_400_000,
            now,
        )
        .await
        .unwrap();
    Pool {
        summit,
        days,
        ada: (s[0].0, d[0].0),
        bob: s[1].0,
        cy: (s[2].0, d[1].0),
        dee: d[2].0,
        eve: s[3].0,
    }
}

/// A general content block, so nobody is left out for want of content.
const GENERAL: &str = r#"
[campaign]
frequency_hours = 0

[[content]]
subject = "News for {{ first_name }}"
body = "Hello {{ first_name }}."
"#;

async fn set_segment(app: &TestApp, c: &CampaignRecord, segment: Segment) -> CampaignRecord {
    let store = &app.ctx.store;
    store
        .campaigns()
        .update_campaign_settings(
            c.id,
            &CampaignSettings {
                name: c.name.clone(),
                excluded_tiers: vec![],
                track_opens: false,
                track_clicks: false,
                frequency_hours: c.frequency_hours,
                scope: AudienceScope::Pool(segment.checked().unwrap()),
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    store.campaigns().campaign(c.id).await.unwrap().unwrap()
}

/// (recipients' attendee ids, exclusions by attendee) of the campaign's audience now.
async fn plan(app: &TestApp, c: &CampaignRecord) -> (Vec<i64>, Vec<(i64, Exclusion)>) {
    let view = edm::audience(&app.ctx, c, Timestamp::now()).await.unwrap();
    let mut ids: Vec<i64> = view.plan.recipients.iter().map(|r| r.attendee_id).collect();
    ids.sort();
    let mut excluded = view.plan.excluded;
    excluded.sort();
    (ids, excluded)
}

async fn a_segment_picks_people_across_events_once_each(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = pool(&app).await;
    let c = campaign(&app, &p.summit, "come-back", GENERAL).await;
    // Segment days are read in the time zone of the campaign's event.
    let tz = p.summit.info.tz().unwrap();
    let today = Timestamp::now().to_zoned(tz).date();
    let check = |segment: Segment, want: Vec<i64>, excluded: Vec<(i64, Exclusion)>| {
        let app = &app;
        let c = &c;
        async move {
            let c = set_segment(app, c, segment.clone()).await;
            let (got, out) = plan(app, &c).await;
            assert_eq!(got, want, "recipients of {segment:?}");
            assert_eq!(out, excluded, "exclusions of {segment:?}");
        }
    };

    // Everyone once, as their latest registration: Ada and Cy at Data Days. Cy's latest
    // consent (no, at Data Days) wins over his yes at the summit; Bob's outcome says no
    // email; Dee's address bounced.
    check(
        Segment::default(),
        vec![p.eve, p.ada.1],
        vec![
            (p.bob, Exclusion::SalesFeedback),
            (p.cy.1, Exclusion::NoConsent),
            (p.dee, Exclusion::Undeliverable),
        ],
    )
    .await;
    // Big data was Ada's top topic at the summit, not at Data Days: any event counts.
    check(
        Segment {
            topics: vec!["big-data".into()],
            ..Segment::default()
        },
        vec![p.ada.1],
        vec![
            (p.bob, Exclusion::SalesFeedback),
            (p.cy.1, Exclusion::NoConsent),
        ],
    )
    .await;
    // Role and stage of the latest registration: Ada chose a supplier at Data Days.
    check(
        Segment {
            roles: vec!["decision_maker".parse_role()],
            stages: vec!["look_for_suppliers".parse_stage()],
            ..Segment::default()
        },
        vec![],
        vec![(p.cy.1, Exclusion::NoConsent)],
    )
    .await;
    check(
        Segment {
            roles: vec!["decision_maker".parse_role()],
            min_events: Some(2),
            ..Segment::default()
        },
        vec![p.ada.1],
        vec![],
    )
    .await;
    check(
        Segment {
            events: vec!["data-days-2026".into()],
            ..Segment::default()
        },
        vec![p.ada.1],
        vec![(p.dee, Exclusion::Undeliverable)],
    )
    .await;
    // The company by its domain, or by its name typed any way.
    check(
        Segment {
            companies: vec!["ACME.example".into()],
            ..Segment::default()
        },
        vec![p.ada.1],
        vec![(p.bob, Exclusion::SalesFeedback)],
    )
    .await;
    check(
        Segment {
            companies: vec!["Cy Ltd.".into()],
            ..Segment::default()
        },
        vec![],
        vec![(p.cy.1, Exclusion::NoConsent)],
    )
    .await;
    // Tag and due date of the latest outcome: Ada is to be reached again in 9 months.
    let nurture = |days: i64| Segment {
        tags: vec!["nurture".into()],
        due_by: Some(today.checked_add(days.days()).unwrap()),
        ..Segment::default()
    };
    check(nurture(30), vec![], vec![]).await;
    check(nurture(400), vec![p.ada.1], vec![]).await;
    // Sales recorded outcomes on Ada and Bob today: "last contact before today" leaves
    // them out; before tomorrow, today's contact counts as before.
    check(
        Segment {
            last_contact_before: Some(today),
            ..Segment::default()
        },
        vec![p.eve],
        vec![
            (p.cy.1, Exclusion::NoConsent),
            (p.dee, Exclusion::Undeliverable),
        ],
    )
    .await;
    check(
        Segment {
            last_contact_before: Some(today.tomorrow().unwrap()),
            ..Segment::default()
        },
        vec![p.eve, p.ada.1],
        vec![
            (p.bob, Exclusion::SalesFeedback),
            (p.cy.1, Exclusion::NoConsent),
            (p.dee, Exclusion::Undeliverable),
        ],
    )
    .await;

    // An erased registration is gone from the pool; the person's other one stands in, and
    // the erased address counts as unsubscribed.
    let erased = badgetrail::privacy::erase_attendee(
        &app.ctx,
        p.ada.1,
        Timestamp::now(),
        badgetrail::privacy::ErasureRequester::Staff("mia".into()),
    )
    .await;
    assert!(erased.is_ok(), "{erased:?}");
    check(
        Segment {
            topics: vec!["big-data".into()],
            ..Segment::default()
        },
        vec![],
        vec![
            (p.ada.0, Exclusion::Unsubscribed),
            (p.bob, Exclusion::SalesFeedback),
            (p.cy.1, Exclusion::NoConsent),
        ],
    )
    .await;
    let _ = (p.cy.0, &p.days);
}

/// Parsing helpers that keep the segments above short.
trait Choices {
    fn parse_role(&self) -> badgetrail::domain::attendee::DecisionRole;
    fn parse_stage(&self) -> badgetrail::domain::attendee::PurchaseStage;
}

impl Choices for &str {
    fn parse_role(&self) -> badgetrail::domain::attendee::DecisionRole {
        badgetrail::domain::attendee::DecisionRole::parse(self).unwrap()
    }
    fn parse_stage(&self) -> badgetrail::domain::attendee::PurchaseStage {
        badgetrail::domain::attendee::PurchaseStage::parse(self).unwrap()
    }
}

async fn a_pool_campaign_sends_once_per_person_and_counts_for_the_frequency_window(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = pool(&app).await;
    // A pool campaign belongs to an event (its sender and name) and reaches the pool; its
    // content may use any event's topics.
    let file = r#"
[campaign]
audience = "pool"
frequency_hours = 72

[segment]
topics = ["big-data"]

[[content]]
topic = "big-data"
subject = "{{ first_name }}, big data a year on"
body = "Hello {{ first_name }}."

[[content]]
subject = "News"
body = "Hello."
"#;
    let first = campaign(&app, &p.days, "big-data-again", file).await;
    assert!(matches!(
        first.audience_scope().unwrap(),
        AudienceScope::Pool(_)
    ));
    let queued = edm::start(&app.ctx, &first, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(queued, 1, "Ada once, though she came to both events");
    while edm_send::run_once(&app.ctx).await.unwrap().sent > 0 {}
    let to_ada: Vec<String> = std::fs::read_dir(app.outbox())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.to_lowercase().contains("ada@acme.example"))
        .collect();
    assert_eq!(to_ada.len(), 1, "one message to Ada");
    assert!(to_ada[0].contains("big data a year on"), "{}", to_ada[0]);

    // A campaign of the other event, to its own attendees, within the window: Ada had
    // a marketing email a moment ago, from a campaign of Data Days.
    let second = campaign(
        &app,
        &p.summit,
        "summit-news",
        &GENERAL.replace("frequency_hours = 0", "frequency_hours = 72"),
    )
    .await;
    let (got, out) = plan(&app, &second).await;
    assert!(!got.contains(&p.ada.0), "{got:?}");
    assert!(
        out.contains(&(p.ada.0, Exclusion::RecentlyEmailed)),
        "{out:?}"
    );
    assert!(got.contains(&p.cy.0), "at the summit Cy said yes: {got:?}");

    // Consent is the person's latest word at any event, also when the message goes out:
    // Ada withdraws on her summit page after a pool campaign was queued for her Data Days
    // registration; the message is skipped.
    let third = campaign(&app, &p.summit, "everyone", GENERAL).await;
    let third = set_segment(&app, &third, Segment::default()).await;
    let queued = edm::start(&app.ctx, &third, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(queued, 2, "Ada and Eve");
    app.ctx
        .store
        .attendees()
        .set_marketing_consent(p.ada.0, false, "self_service", Timestamp::now())
        .await
        .unwrap();
    while edm_send::run_once(&app.ctx).await.unwrap().sent > 0 {}
    let progress = app
        .ctx
        .store
        .campaigns()
        .campaign_progress(third.id)
        .await
        .unwrap();
    assert_eq!((progress.sent, progress.skipped), (1, 1), "{progress:?}");

    // The pool campaign's file reads back with its segment.
    let text = edm::export_campaign_file(&app.ctx, &first).await.unwrap();
    assert!(text.contains("audience = \"pool\""), "{text}");
    assert!(
        text.contains("[segment]") && text.contains("topics = [\"big-data\"]"),
        "{text}"
    );
    // A topic no event has is refused, naming it.
    let bad = edm::import_campaign_file(
        &app.ctx,
        &p.days,
        "nowhere",
        &file.replace("topic = \"big-data\"", "topic = \"quantum\""),
        Timestamp::now(),
    )
    .await
    .unwrap_err();
    assert!(
        bad.to_string()
            .contains("'quantum' is not a topic of any event"),
        "{bad}"
    );
    let _ = (p.bob, p.dee, p.eve, p.cy.1, p.ada.1);
}

async fn marketers_set_the_segment_on_the_campaign_page(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = pool(&app).await;
    campaign(&app, &p.summit, "come-back", GENERAL).await;
    let page = format!("/admin/events/{}/campaigns/come-back", p.summit.info.slug);
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, &page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Who it reaches") && html.contains("everyone registered for"),
        "{html}"
    );
    let csrf = extract_csrf(&html);
    let post = |fields: Vec<(&'static str, String)>| {
        let marketer = &marketer;
        let app = &app;
        let page = &page;
        async move {
            marketer
                .post(app.url(&format!("{page}/audience")))
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let segment = |csrf: &str, min: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("audience", "pool".to_owned()),
            ("roles", "decision_maker".to_owned()),
            ("roles", "user".to_owned()),
            ("events", "cloud-summit-2026".to_owned()),
            ("tags", "".to_owned()),
            ("min_events", min.to_owned()),
        ]
    };
    // Without the form's token nothing changes; a bad number is refused with its reason.
    assert_eq!(post(segment("forged", "1")).await.status(), 403);
    let r = post(segment(&csrf, "two")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not a whole number"));
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(p.summit.id, "come-back")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.audience_scope().unwrap(), AudienceScope::Event);

    let r = post(segment(&csrf, "1")).await;
    assert_eq!(r.status(), 303);
    let (_, html) = get(&marketer, &app, &format!("{page}/audience")).await;
    assert!(html.contains("People of the data pool"), "{html}");
    assert!(
        html.contains("decision role decision maker or user"),
        "{html}"
    );
    assert!(html.contains("came to Cloud Summit 2026"), "{html}");
    // Ada (both events) and Bob (summit, not a fit) came to the summit as decision maker
    // or user; Cy too, but his latest consent is no. Ada is the one recipient.
    let (_, html) = get(&marketer, &app, &format!("{page}/send")).await;
    assert!(html.contains("Start sending to 1 recipient<"), "{html}");

    // Sales cannot change a campaign.
    let (sales, _) = signed_in(&app, "sid", Role::Sales).await;
    let (_, sales_html) = get(&sales, &app, "/sales/leads").await;
    let r = sales
        .post(app.url(&format!("{page}/audience")))
        .form(&[
            ("csrf", extract_csrf(&sales_html)),
            ("audience", "event".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let _ = (p.days, p.ada, p.bob, p.cy, p.dee, p.eve);
}
