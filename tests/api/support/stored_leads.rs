//! Set-up of the lead page tests: attendees, door scans, owners and leads stored as a lead
//! build stores them (packages written here by hand, not by the builder).

use badgetrail::{
    domain::{
        attendee::Registration,
        door::scan::Direction,
        leads::insight,
        leads::package::{
            Contact, ContentPick, Factor, LeadPackage, Needs, Routing, SessionContribution, Tier,
            TopicInterest,
        },
    },
    door::{self, ReportedScan, ScanBatch},
    registration::{self, Source},
    store::{EventRecord, StoredLead},
};
use jiff::{Timestamp, ToSpan};

use crate::support::{app::TestApp, forms::registration_input, staff::sales_user};

pub const XSS_NAME: &str = "<script>alert('x')</script> Bob";

/// One lead of the fixture.
pub struct Person {
    pub name: &'static str,
    /// `None`: registered, no lead.
    pub tier: Option<Tier>,
    pub topic: Option<&'static str>,
    pub score: f64,
    pub engagement: f64,
    /// "sally", "sam" or nobody.
    pub owner: Option<&'static str>,
    /// Deadline relative to now, in hours.
    pub due_hours: Option<i64>,
    pub checked_in: bool,
    /// Topic slugs of the sessions attended, for the insight.
    pub attended: &'static [&'static str],
}

/// Nine people (indexes used by the tests):
/// 0 Ada   A big-data 91, sally, overdue, in      5 Fay  C big-data, declared only, not in
/// 1 Bob   A ai 85 (script name), sam, due later  6 Gil  X no topic, in
/// 2 Cy    B big-data 70, sally, due later        7 Hal  X no topic, no-show
/// 3 Dee   B ai 60, sally, overdue, in            8 Ivy  registered, in, no lead
/// 4 Eve   C video-cloud 40, not routed, in
pub const PEOPLE: &[Person] = &[
    p(
        "Ada Lovelace",
        Some(Tier::A),
        Some("big-data"),
        91.0,
        80.0,
        Some("sally"),
        Some(-48),
        true,
        &["big-data", "databases"],
    ),
    p(
        XSS_NAME,
        Some(Tier::A),
        Some("ai"),
        85.0,
        75.0,
        Some("sam"),
        Some(120),
        true,
        &["ai", "big-data"],
    ),
    p(
        "Cy Shannon",
        Some(Tier::B),
        Some("big-data"),
        70.0,
        60.0,
        Some("sally"),
        Some(100),
        true,
        &["big-data", "databases"],
    ),
    p(
        "Dee Hopper",
        Some(Tier::B),
        Some("ai"),
        60.0,
        50.0,
        Some("sally"),
        Some(-2),
        true,
        &["ai"],
    ),
    p(
        "Eve Turing",
        Some(Tier::C),
        Some("video-cloud"),
        40.0,
        30.0,
        None,
        None,
        true,
        &["video-cloud", "caching"],
    ),
    p(
        "Fay Noether",
        Some(Tier::C),
        Some("big-data"),
        35.0,
        0.0,
        None,
        None,
        false,
        &[],
    ),
    p(
        "Gil Knuth",
        Some(Tier::X),
        None,
        5.0,
        0.0,
        None,
        None,
        true,
        &[],
    ),
    p(
        "Hal Abelson",
        Some(Tier::X),
        None,
        0.0,
        0.0,
        None,
        None,
        false,
        &[],
    ),
    p("Ivy Liskov", None, None, 0.0, 0.0, None, None, true, &[]),
];

#[allow(clippy::too_many_arguments)]
const fn p(
    name: &'static str,
    tier: Option<Tier>,
    topic: Option<&'static str>,
    score: f64,
    engagement: f64,
    owner: Option<&'static str>,
    due_hours: Option<i64>,
    checked_in: bool,
    attended: &'static [&'static str],
) -> Person {
    Person {
        name,
        tier,
        topic,
        score,
        engagement,
        owner,
        due_hours,
        checked_in,
        attended,
    }
}

/// The fixture once stored.
pub struct Fixture {
    pub event: EventRecord,
    pub slug: String,
    /// Attendee ids, in `PEOPLE` order, then the fillers.
    pub ids: Vec<i64>,
    pub sally: i64,
    pub sam: i64,
    pub leads: Vec<StoredLead>,
    pub insight: insight::Insight,
}

fn registration(name: &str, email: &str, known: &[&str]) -> Registration {
    let input = registration_input(name, email, true);
    Registration::parse(&input, known).unwrap()
}

/// The detailed package of Ada; the others get a plain one.
fn package(person: &Person, id: i64, due_at: Option<Timestamp>) -> LeadPackage {
    let tier = person.tier.unwrap();
    let topics = person
        .topic
        .map(|slug| TopicInterest {
            slug: slug.into(),
            name: match slug {
                "big-data" => "Big data and analytics",
                "ai" => "AI and machine learning",
                _ => "Video cloud and streaming",
            }
            .into(),
            score: person.score - 3.0,
            minutes: if person.name.starts_with("Ada") {
                130
            } else {
                45
            },
            declared: person.engagement == 0.0,
            sessions: if person.name.starts_with("Ada") {
                vec!["T01".into(), "T02".into(), "W1".into()]
            } else {
                vec!["T03".into()]
            },
        })
        .into_iter()
        .collect();
    let ada = person.name.starts_with("Ada");
    LeadPackage {
        attendee_id: id,
        tier,
        score: person.score,
        fit: 70.0,
        engagement: person.engagement,
        stage_points: 65.0,
        contact: Contact {
            name: person.name.into(),
            // As long as real addresses get: it must wrap on a phone.
            email: format!(
                "attendee.number.{id}.of.the.lead.fixture@northwind-media-group.example"
            ),
            job_title: "CTO".into(),
            company: "Analytical Engines".into(),
            decision_role: Some(badgetrail::domain::attendee::DecisionRole::DecisionMaker),
            responsibilities: if ada {
                "cutting cost and raising efficiency".into()
            } else {
                String::new()
            },
            country: "United Kingdom".into(),
        },
        topics,
        sessions: if ada {
            vec![
                SessionContribution {
                    session: "T01".into(),
                    title: "Lakehouse architectures in practice".into(),
                    kind: "talk".into(),
                    minutes: 45,
                },
                SessionContribution {
                    session: "W1".into(),
                    title: "Hands-on: streaming pipelines".into(),
                    kind: "workshop".into(),
                    minutes: 85,
                },
            ]
        } else {
            vec![]
        },
        session_count: if ada { 3 } else { 1 },
        minutes: if ada { 130 } else { 45 },
        needs: Needs {
            industry: "Software and internet".into(),
            industry_key: Some(badgetrail::domain::attendee::Industry::Software),
            company_size: "51-200".into(),
            stage: Some(badgetrail::domain::attendee::PurchaseStage::LookForSuppliers),
            stage_label: "We are looking for suppliers".into(),
            declared_interests: vec!["ai".into()],
        },
        show: if ada {
            vec![
                ContentPick {
                    kind: "solution".into(),
                    title: "Lakehouse starter kit".into(),
                    url: "https://example.com/lakehouse".into(),
                    why: "big-data, software".into(),
                },
                ContentPick {
                    kind: "case".into(),
                    title: "<img src=x onerror=alert(2)> case".into(),
                    url: "javascript:alert(3)".into(),
                    why: "big-data".into(),
                },
            ]
        } else {
            vec![]
        },
        factors: vec![
            Factor {
                axis: "fit".into(),
                label: "Decision role".into(),
                value: "decision maker".into(),
                points: 30.0,
            },
            Factor {
                axis: "engagement".into(),
                label: "Minutes in big-data sessions".into(),
                value: "130".into(),
                points: 25.0,
            },
            Factor {
                axis: "stage".into(),
                label: "Purchase stage".into(),
                value: "look for suppliers".into(),
                points: 12.0,
            },
        ],
        explanation: format!(
            "Tier {}: decision maker (+30), 130 minutes of big data (+25).",
            tier.as_str()
        ),
        exclusion: (tier == Tier::X).then(|| "no-show".to_owned()),
        routing: person.owner.map(|o| Routing {
            owner: o.into(),
            rule: "region EMEA, industry software".into(),
            due_at: due_at.map(|d| d.to_string()).unwrap_or_default(),
        }),
        next_need: None,
        follow_up: None,
    }
}

/// `people`, then one finished lead build with the leads and their insight.
pub async fn fixture(app: &TestApp, fillers: usize) -> Fixture {
    let f = people(app, fillers).await;
    finish_build(app, &f.event, &f.leads, &f.insight).await;
    f
}

/// Registers `PEOPLE` plus `fillers` tier-C leads, scans the checked-in ones into K1 and
/// creates the owners; the leads and insight are returned, not stored.
pub async fn people(app: &TestApp, fillers: usize) -> Fixture {
    let event = app.seed_event().await;
    let slug = event.info.slug.to_string();
    let topics = app.ctx.store.events().event_topics(event.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let mut regs: Vec<Registration> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| registration(p.name, &format!("p{i}@example.com"), &known))
        .collect();
    regs.extend((0..fillers).map(|i| {
        registration(
            &format!("Filler {i:02}"),
            &format!("f{i}@example.com"),
            &known,
        )
    }));
    let outcomes = registration::record(
        &app.ctx,
        &event,
        &regs,
        Source::Import,
        false,
        Timestamp::now(),
    )
    .await
    .unwrap();
    let ids: Vec<i64> = outcomes.iter().map(|o| o.attendee_id).collect();

    // Checked in: an accepted entry scan into the opening keynote.
    let now = Timestamp::now();
    let device_id = app
        .ctx
        .store
        .door()
        .import_device(event.id, now)
        .await
        .unwrap();
    let device = app
        .ctx
        .store
        .door()
        .list_devices(event.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == device_id)
        .unwrap();
    let k1: Timestamp = "2026-05-12T09:10:00+02:00".parse().unwrap();
    let batch = ScanBatch {
        sent_at: now,
        app_version: "test".into(),
        queue_size: 0,
        scans: PEOPLE
            .iter()
            .zip(&outcomes)
            .filter(|(p, _)| p.checked_in)
            .map(|(_, o)| ReportedScan {
                nonce: format!("n{}", o.attendee_id),
                badge: o.token.clone(),
                device_time: k1,
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

    let sally = sales_user(app, "sally").await;
    let sam = sales_user(app, "sam").await;

    let mut leads = Vec::new();
    for (p, id) in PEOPLE.iter().zip(&ids) {
        let Some(tier) = p.tier else { continue };
        let due = p.due_hours.map(|h| now + (h * 3600).seconds());
        let pkg = package(p, *id, due);
        leads.push(StoredLead {
            attendee_id: *id,
            tier,
            top_topic: p.topic.map(str::to_owned),
            score: p.score,
            fit: pkg.fit,
            engagement: p.engagement,
            stage: Some(badgetrail::domain::attendee::PurchaseStage::LookForSuppliers),
            topic_scores: pkg.topic_scores(),
            explanation: pkg.explanation.clone(),
            package: serde_json::to_string(&pkg).unwrap(),
            owner_id: p.owner.map(|o| if o == "sally" { sally } else { sam }),
            due_at: due.map(|d| d.as_millisecond()),
            next_need: pkg.next_need.as_ref().map(|n| n.slug.clone()),
            genuine: pkg.genuine_interests().join(","),
        });
    }
    for (i, id) in ids[PEOPLE.len()..].iter().enumerate() {
        leads.push(StoredLead {
            attendee_id: *id,
            tier: Tier::C,
            top_topic: Some("security".into()),
            score: 20.0 + (i % 10) as f64,
            engagement: 10.0,
            package: "{}".into(),
            ..StoredLead::default()
        });
    }
    let names: Vec<(String, String)> = topics
        .iter()
        .map(|t| (t.slug.to_string(), t.name.clone()))
        .collect();
    let insight = insight::insight(&names, PEOPLE.iter().map(|p| p.attended), 1);
    Fixture {
        event,
        slug,
        ids,
        sally,
        sam,
        leads,
        insight,
    }
}

/// Stores `leads` and `insight` as one finished lead build.
pub async fn finish_build(
    app: &TestApp,
    event: &EventRecord,
    leads: &[StoredLead],
    insight: &insight::Insight,
) {
    let store = &app.ctx.store;
    let build = store
        .leads()
        .start_lead_build(event.id, "marketer-user", Timestamp::now())
        .await
        .unwrap();
    store
        .leads()
        .finish_lead_build(
            build,
            event.id,
            leads.to_vec(),
            r#"{"A":2}"#,
            Some(&serde_json::to_string(insight).unwrap()),
            Timestamp::now(),
        )
        .await
        .unwrap();
}

/// The outcomes the report, calibration and export tests count on: Ada contacted then won,
/// Cy not a fit, Bob a meeting booked, each recorded by the lead's owner.
pub async fn record_outcomes(app: &TestApp, f: &Fixture) {
    let now = Timestamp::now();
    for (who, owner, outcome) in [
        (f.ids[0], f.sally, "contacted"),
        (f.ids[0], f.sally, "won"),
        (f.ids[2], f.sally, "not_a_fit"),
        (f.ids[1], f.sam, "meeting_booked"),
    ] {
        badgetrail::leads::feedback::record(&app.ctx, &f.event, who, owner, outcome, "", now)
            .await
            .unwrap();
    }
}
