//! Handing leads to a CRM on both backends: `leads export --preset salesforce|hubspot` through
//! the binary (owner, lead status, rating or lifecycle stage, the explanation), and the signed
//! outcome webhook that posts what sales record, observed by a real local HTTP listener.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, routing::post};
use badgetrail::{domain::user::Role, formats::crm_export, leads::webhook::signature};
use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::support::{
    app::{Db, body_of, spawn_app, spawn_app_with},
    command::run_with,
    forms::extract_csrf,
    staff::signed_in,
    stored_leads::{fixture, record_outcomes},
};

crate::on_both_backends!(
    the_crm_presets_carry_owner_status_and_explanation,
    an_outcome_sales_record_is_posted_signed_to_the_outcome_webhook,
);

/// Ada won (after "contacted"), Bob booked a meeting, Cy is not a fit; Dee has no feedback.
/// The rows of a CSV as (header -> cell) lookups, checking the header line first.
fn read(csv: &str, columns: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(headers, columns, "{csv}");
    r.records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

async fn the_crm_presets_carry_owner_status_and_explanation(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    record_outcomes(&app, &f).await;
    let email = |i: usize| {
        format!(
            "attendee.number.{}.of.the.lead.fixture@northwind-media-group.example",
            f.ids[i]
        )
    };
    let explanation =
        |tier: &str| format!("Tier {tier}: decision maker (+30), 130 minutes of big data (+25).");

    let (ok, csv, err) = run_with(
        &app,
        &[
            "leads",
            "export",
            "--event",
            &f.slug,
            "--preset",
            "salesforce",
            "--lead-source",
            "Trade Show",
        ],
        &[],
    );
    assert!(ok, "{err}");
    let rows = read(&csv, &crm_export::SALESFORCE_COLUMNS);
    assert_eq!(rows.len(), 8, "one row per lead");
    let ada = &rows[0];
    for (column, value) in [
        ("First Name", "Ada"),
        ("Last Name", "Lovelace"),
        ("Email", email(0).as_str()),
        ("Company", "Analytical Engines"),
        ("Title", "CTO"),
        ("Country", "United Kingdom"),
        ("Lead Source", "Trade Show"),
        // Won: Salesforce converts the lead itself; the description says it was won.
        ("Lead Status", "Working - Contacted"),
        ("Rating", "Hot"),
        (
            "Description",
            format!("{} Latest outcome: Won.", explanation("A")).as_str(),
        ),
        // Without a mapping, the owner's full name as Salesforce shows it.
        ("Record Owner", "sally display"),
    ] {
        assert_eq!(ada[column], value, "Ada's {column}");
    }
    let column = |name: &str| rows.iter().map(|r| r[name].clone()).collect::<Vec<_>>();
    assert_eq!(
        column("Lead Status"),
        [
            "Working - Contacted",
            "Working - Contacted",
            "Closed - Not Converted",
            "Open - Not Contacted",
            "Open - Not Contacted",
            "Open - Not Contacted",
            "Open - Not Contacted",
            "Open - Not Contacted"
        ]
    );
    assert_eq!(
        column("Rating"),
        ["Hot", "Hot", "Warm", "Warm", "Cold", "Cold", "", ""]
    );
    assert_eq!(
        column("Record Owner"),
        [
            "sally display",
            "sam display",
            "sally display",
            "sally display",
            "",
            "",
            "",
            ""
        ]
    );
    assert_eq!(rows[1]["First Name"], "<script>alert('x')</script>");
    assert_eq!(rows[1]["Last Name"], "Bob");
    assert_eq!(
        rows[3]["Description"],
        explanation("B"),
        "no feedback, no outcome"
    );

    // HubSpot wants owners' email addresses: sam has one mapped, sally none.
    let out = app.dir.path().join("hubspot.csv");
    let (ok, _, err) = run_with(
        &app,
        &[
            "leads",
            "export",
            "--event",
            &f.slug,
            "--preset",
            "hubspot",
            "--output",
            out.to_str().unwrap(),
        ],
        &[("BADGETRAIL_LEADS__CRM_OWNERS__SAM", "sam@example.com")],
    );
    assert!(ok, "{err}");
    assert!(err.contains("wrote 8 leads"), "{err}");
    assert!(
        err.contains("3 routed leads have no CRM owner"),
        "sally's three leads: {err}"
    );
    let csv = std::fs::read_to_string(out).unwrap();
    let rows = read(&csv, &crm_export::HUBSPOT_COLUMNS);
    let column = |name: &str| rows.iter().map(|r| r[name].clone()).collect::<Vec<_>>();
    assert_eq!(
        column("Lifecycle Stage"),
        [
            "Customer",
            "Opportunity",
            "Other",
            "Sales Qualified Lead",
            "Marketing Qualified Lead",
            "Marketing Qualified Lead",
            "Other",
            "Other"
        ]
    );
    assert_eq!(
        column("Lead Status"),
        [
            "Connected",
            "In Progress",
            "Unqualified",
            "New",
            "",
            "",
            "",
            ""
        ]
    );
    assert_eq!(
        column("Contact owner"),
        ["", "sam@example.com", "", "", "", "", "", ""]
    );
    assert_eq!(rows[0]["Email"], email(0));
    assert_eq!(rows[0]["Company Name"], "Analytical Engines");
    assert_eq!(rows[0]["Job Title"], "CTO");
    assert_eq!(rows[0]["Country/Region"], "United Kingdom");
    assert_eq!(
        rows[1]["Message"],
        format!("{} Latest outcome: Meeting booked.", explanation("A"))
    );

    // A preset is a CSV of its own: asking for JSON as well is refused.
    let (ok, _, err) = run_with(
        &app,
        &[
            "leads", "export", "--event", &f.slug, "--preset", "hubspot", "--format", "json",
        ],
        &[],
    );
    assert!(!ok, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}

/// What the receiver saw: headers and body of each request, in order.
type Seen = (HeaderMap, Bytes);

/// The next request the receiver saw; the webhook posts from a task of its own, so this waits
/// (up to 10 s) for it to arrive rather than sleeping a guessed time.
async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the webhook was called")
        .unwrap()
}

async fn an_outcome_sales_record_is_posted_signed_to_the_outcome_webhook(db: Db) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/outcomes", listener.local_addr().unwrap());
    let router = Router::new().route(
        "/outcomes",
        post({
            let calls = calls.clone();
            move |headers: HeaderMap, body: Bytes| async move {
                // Counted before the test can see the request, so the count it reads after
                // receiving one includes it.
                let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
                tx.send((headers, body)).unwrap();
                // The first request fails as a busy receiver would: the retry must follow.
                if first {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let Some(app) = spawn_app_with(db, |s| {
        s.leads.outcome_webhook_url = Some(url);
        s.leads.webhook_secret = Some("hook-secret".to_owned().into());
    })
    .await
    else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (sally, _) = signed_in(&app, "sally", Role::Sales).await;
    let (ada, bob, dee) = (f.ids[0], f.ids[1], f.ids[3]);
    let record = |attendee: i64, outcome: &'static str, note: &'static str| {
        let sally = sally.clone();
        let app = &app;
        let slug = f.slug.clone();
        async move {
            let page = format!("/sales/leads/{slug}/{ada}");
            let html = body_of(sally.get(app.url(&page))).await;
            let csrf = extract_csrf(&html);
            sally
                .post(app.url(&format!("/sales/leads/{slug}/{attendee}/feedback")))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("outcome", outcome),
                    ("note", note),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(record(ada, "won", "Signed: 40 seats").await, 303);
    let (headers, body) = next(&mut rx).await;
    let (headers_again, body_again) = next(&mut rx).await;
    assert_eq!(body, body_again, "the retry sends the very same body");
    assert_eq!(
        headers_again["x-badgetrail-signature"],
        headers["x-badgetrail-signature"]
    );
    assert_eq!(
        headers["x-badgetrail-signature"].to_str().unwrap(),
        signature(b"hook-secret", &body)
    );
    assert_eq!(headers["x-badgetrail-attendee"], ada.to_string().as_str());
    assert_eq!(headers["content-type"], "application/json");
    let stored = app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let at = Timestamp::from_millisecond(stored[0].at)
        .unwrap()
        .to_string();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "event": f.slug,
            "attendee_id": ada,
            "feedback_id": stored[0].id,
            "outcome": "won",
            "next_owner": "sales",
            "next_at": stored[0].next.due_at.unwrap().to_string(),
            "email_allowed": true,
            "outcome_label": "Won",
            "note": "Signed: 40 seats",
            "recorded_by": "sally",
            "at": at,
        }),
        "exactly these fields: nothing personal beyond the attendee id"
    );
    assert!(at.parse::<Timestamp>().is_ok(), "RFC 3339: {at}");

    // Feedback the store refuses (Bob's lead is sam's) is not posted; the next one is.
    assert_eq!(record(bob, "contacted", "").await, 404);
    assert_eq!(record(dee, "need_unclear", "Call back in May").await, 303);
    let (headers, body) = next(&mut rx).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["attendee_id"], dee, "{v}");
    assert_eq!(v["outcome"], "need_unclear");
    assert_eq!(v["outcome_label"], "Need unclear");
    assert_eq!(
        headers["x-badgetrail-signature"].to_str().unwrap(),
        signature(b"hook-secret", &body)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
