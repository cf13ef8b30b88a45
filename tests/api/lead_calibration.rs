//! The scoring's calibration on both backends: the section of an event's report, its CSV, and
//! the page and CSV across events, against numbers worked out by hand; who may see them.

use badgetrail::domain::leads::package::Tier;
use badgetrail::{
    domain::{
        attendee::{Answers, PurchaseStage, Registration, RegistrationInput},
        user::Role,
    },
    registration::{self, Source},
    store::StoredLead,
};
use jiff::Timestamp;

use crate::support::{
    app::{Db, TestApp, data_days, spawn_app},
    staff::{get, signed_in},
    stored_leads::{finish_build, people, record_outcomes},
};

crate::on_both_backends!(
    the_calibration_matches_hand_computed_numbers,
    only_marketers_and_admins_see_the_calibration,
);

fn user_choosing_a_supplier(name: &str, email: &str, known: &[&str]) -> Registration {
    Registration::parse(
        &RegistrationInput {
            email: email.into(),
            name: name.into(),
            answers: Answers {
                company: "Data Corp".into(),
                job_title: "Data engineer".into(),
                decision_role: "user".into(),
                purchase_stage: "choose_supplier".into(),
                industry: "software".into(),
                company_size: "51_200".into(),
                country: "France".into(),
            },
            phone: String::new(),
            interests: vec![],
            marketing_consent: true,
        },
        known,
    )
    .unwrap()
}

/// Event one is `stored_leads::PEOPLE` (every one a decision maker), with Bob and Dee just
/// learning and everybody else looking for suppliers; Ada won (after "contacted"), Bob booked
/// a meeting, Cy is not a fit. Event two: two users choosing a supplier, an A lead on big data
/// that sally won and a C lead on AI without feedback.
async fn two_events(app: &TestApp) -> (String, Vec<i64>) {
    let mut f = people(app, 0).await;
    for l in &mut f.leads {
        if l.attendee_id == f.ids[1] || l.attendee_id == f.ids[3] {
            l.stage = Some(PurchaseStage::JustLearning);
        }
    }
    finish_build(app, &f.event, &f.leads, &f.insight).await;
    let store = &app.ctx.store;
    let now = Timestamp::now();
    record_outcomes(app, &f).await;

    let other = data_days(app).await;
    let topics = store.events().event_topics(other.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let regs = [
        user_choosing_a_supplier("Una User", "una@data.example", &known),
        user_choosing_a_supplier("Vic User", "vic@data.example", &known),
    ];
    let out = registration::record(&app.ctx, &other, &regs, Source::Import, false, now)
        .await
        .unwrap();
    let (una, vic) = (out[0].attendee_id, out[1].attendee_id);
    let leads = [
        StoredLead {
            attendee_id: una,
            tier: Tier::A,
            top_topic: Some("big-data".into()),
            stage: Some(PurchaseStage::ChooseSupplier),
            package: "{}".into(),
            owner_id: Some(f.sally),
            ..StoredLead::default()
        },
        StoredLead {
            attendee_id: vic,
            tier: Tier::C,
            top_topic: Some("ai".into()),
            stage: Some(PurchaseStage::ChooseSupplier),
            package: "{}".into(),
            ..StoredLead::default()
        },
    ];
    finish_build(app, &other, &leads, &f.insight).await;
    badgetrail::leads::feedback::record(&app.ctx, &other, una, f.sally, "won", "", now)
        .await
        .unwrap();
    (f.slug, f.ids)
}

const EVENT_CSV: &str = "\
dimension,key,label,leads,with_outcome,outcome_share,accepted,acceptance,won,conversion,won_of_outcomes
all,all,All leads,8,3,37.5,2,66.7,1,12.5,33.3
tier,A,A (hand to sales now),2,2,100.0,2,100.0,1,50.0,50.0
tier,B,B (nurture plus telesales),2,1,50.0,0,0.0,0,0.0,0.0
tier,C,C (email nurture only),2,0,0.0,0,,0,0.0,
tier,X,X (excluded),2,0,0.0,0,,0,0.0,
top_topic,big-data,Big data and analytics,3,2,66.7,1,50.0,1,33.3,50.0
top_topic,ai,AI and machine learning,2,1,50.0,1,100.0,0,0.0,0.0
top_topic,video-cloud,Video cloud and streaming,1,0,0.0,0,,0,0.0,
top_topic,,(no topic),2,0,0.0,0,,0,0.0,
decision_role,decision_maker,decision maker,8,3,37.5,2,66.7,1,12.5,33.3
stage,look_for_suppliers,looking for suppliers,6,2,33.3,1,50.0,1,16.7,50.0
stage,just_learning,\"just learning, no project\",2,1,50.0,1,100.0,0,0.0,0.0
";

const ALL_EVENTS_CSV: &str = "\
dimension,key,label,leads,with_outcome,outcome_share,accepted,acceptance,won,conversion,won_of_outcomes
all,all,All leads,10,4,40.0,3,75.0,2,20.0,50.0
tier,A,A (hand to sales now),3,3,100.0,3,100.0,2,66.7,66.7
tier,B,B (nurture plus telesales),2,1,50.0,0,0.0,0,0.0,0.0
tier,C,C (email nurture only),3,0,0.0,0,,0,0.0,
tier,X,X (excluded),2,0,0.0,0,,0,0.0,
top_topic,big-data,Big data and analytics,4,3,75.0,2,66.7,2,50.0,66.7
top_topic,ai,AI and machine learning,3,1,33.3,1,100.0,0,0.0,0.0
top_topic,video-cloud,Video cloud and streaming,1,0,0.0,0,,0,0.0,
top_topic,,(no topic),2,0,0.0,0,,0,0.0,
decision_role,user,user,2,1,50.0,1,100.0,1,50.0,100.0
decision_role,decision_maker,decision maker,8,3,37.5,2,66.7,1,12.5,33.3
stage,look_for_suppliers,looking for suppliers,6,2,33.3,1,50.0,1,16.7,50.0
stage,choose_supplier,choosing a supplier,2,1,50.0,1,100.0,1,50.0,100.0
stage,just_learning,\"just learning, no project\",2,1,50.0,1,100.0,0,0.0,0.0
";

/// The cells of a table row as the page prints them, after its label.
fn row(label: &str, cells: &[&str]) -> String {
    let mut s = format!("<tr><th scope=\"row\">{label}</th>");
    for c in cells {
        s.push_str(&format!("<td class=\"num\">{c}</td>"));
    }
    s.push_str("</tr>");
    s
}

async fn the_calibration_matches_hand_computed_numbers(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (slug, _) = two_events(&app).await;
    app.login_as(Role::Marketer).await;

    let r = app
        .get(&format!("/admin/events/{slug}/leads/calibration.csv"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"{slug}-calibration.csv\"")
    );
    assert_eq!(r.text().await.unwrap(), EVENT_CSV);

    // The event's report carries the same numbers, for that event only.
    let (status, html) = get(
        &app.client,
        &app,
        &format!("/admin/events/{slug}/leads/report"),
    )
    .await;
    assert_eq!(status, 200);
    for expected in [
        "id=\"calibration-tier\"".to_owned(),
        row(
            "A (hand to sales now)",
            &["2", "2", "100.0%", "2", "100.0%", "1", "50.0%", "50.0%"],
        ),
        row(
            "C (email nurture only)",
            &["2", "0", "0.0%", "0", "n/a", "0", "0.0%", "n/a"],
        ),
        row(
            "Big data and analytics",
            &["3", "2", "66.7%", "1", "50.0%", "1", "33.3%", "50.0%"],
        ),
        row(
            "decision maker",
            &["8", "3", "37.5%", "2", "66.7%", "1", "12.5%", "33.3%"],
        ),
        row(
            "just learning, no project",
            &["2", "1", "50.0%", "1", "100.0%", "0", "0.0%", "0.0%"],
        ),
        "8 leads, 3 with an outcome (37.5%); acceptance 66.7%, conversion 12.5%.".to_owned(),
        format!("href=\"/admin/events/{slug}/leads/calibration.csv\""),
    ] {
        assert!(html.contains(&expected), "missing {expected:?} in {html}");
    }
    assert!(
        !html.contains(">user</th>"),
        "the other event's users stay out"
    );

    // Across events: both events' leads together.
    let (status, html) = get(&app.client, &app, "/admin/leads/calibration").await;
    assert_eq!(status, 200, "{html}");
    for expected in [
        "Every lead of every event (2)".to_owned(),
        row(
            "user",
            &["2", "1", "50.0%", "1", "100.0%", "1", "50.0%", "100.0%"],
        ),
        row(
            "A (hand to sales now)",
            &["3", "3", "100.0%", "3", "100.0%", "2", "66.7%", "66.7%"],
        ),
        row(
            "choosing a supplier",
            &["2", "1", "50.0%", "1", "100.0%", "1", "50.0%", "100.0%"],
        ),
    ] {
        assert!(html.contains(&expected), "missing {expected:?} in {html}");
    }
    let r = app.get("/admin/leads/calibration.csv").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), ALL_EVENTS_CSV);

    // The staff start page links it for marketers.
    let (_, html) = get(&app.client, &app, "/admin").await;
    assert!(html.contains("href=\"/admin/leads/calibration\""), "{html}");
}

async fn only_marketers_and_admins_see_the_calibration(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (slug, _) = two_events(&app).await;
    let paths = [
        format!("/admin/events/{slug}/leads/calibration.csv"),
        "/admin/leads/calibration".to_owned(),
        "/admin/leads/calibration.csv".to_owned(),
    ];
    let (staff, _) = signed_in(&app, "stan", Role::Staff).await;
    let (sales, _) = signed_in(&app, "sally", Role::Sales).await;
    let (admin, _) = signed_in(&app, "ann", Role::Admin).await;
    for path in &paths {
        assert_eq!(get(&staff, &app, path).await.0, 403, "staff: {path}");
        assert_eq!(get(&sales, &app, path).await.0, 403, "sales: {path}");
        assert_eq!(get(&admin, &app, path).await.0, 200, "admin: {path}");
    }
    let (_, html) = get(&staff, &app, "/admin").await;
    assert!(
        !html.contains("/admin/leads/calibration"),
        "no link staff cannot follow"
    );
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in &paths {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "signed out: {path}");
    }
    assert_eq!(
        get(
            &admin,
            &app,
            "/admin/events/no-such-event/leads/calibration.csv"
        )
        .await
        .0,
        404
    );
}
