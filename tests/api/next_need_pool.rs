//! The likely next need across events: through the data pool, what a person showed at other
//! events joins what they show here, and the rules are drawn over everybody's interests at
//! every event; an erased registration counts no more.

use badgetrail::{
    domain::leads::insight::Insight,
    privacy::{ErasureRequester, erase_attendee},
    store::StoredLead,
};
use jiff::Timestamp;

use crate::{
    leads_cli::small_event,
    on_both_backends,
    support::{
        app::{Db, TestApp, data_days, spawn_app},
        campaign::register,
        command::run,
        stored_leads::finish_build,
    },
};

on_both_backends!(the_next_need_draws_on_other_events_through_the_data_pool);

/// Builds the sample event from the command line; (email, next need, its reason) per lead.
fn build_and_export(app: &TestApp) -> Vec<(String, String, String)> {
    let (ok, out, err) = run(app, &["leads", "build", "--event", "cloud-summit-2026"]);
    assert!(ok, "{out}{err}");
    let (ok, csv, err) = run(app, &["leads", "export", "--event", "cloud-summit-2026"]);
    assert!(ok, "{err}");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (email, need, reason) = (at("email"), at("next_need"), at("next_need_reason"));
    rows.records()
        .map(|r| r.unwrap())
        .map(|r| {
            (
                r[email].to_owned(),
                r[need].to_owned(),
                r[reason].to_owned(),
            )
        })
        .collect()
}

fn need_of<'a>(leads: &'a [(String, String, String)], email: &str) -> (&'a str, &'a str) {
    let (_, need, reason) = leads.iter().find(|(e, _, _)| e == email).unwrap();
    (need, reason)
}

fn lead(attendee_id: i64, genuine: &str) -> StoredLead {
    StoredLead {
        attendee_id,
        package: "{}".into(),
        genuine: genuine.into(),
        ..StoredLead::default()
    }
}

async fn the_next_need_draws_on_other_events_through_the_data_pool(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // Ada chose big data, Bob AI; Cy never came. Three people: no rule means anything.
    small_event(&app).await;
    let alone = build_and_export(&app);
    assert!(
        alone.iter().all(|(_, need, _)| need.is_empty()),
        "{alone:?}"
    );

    // Data Days, built earlier: six people into big data and object storage, six into AI
    // only, and Bob, who was into big data there.
    let days = data_days(&app).await;
    let names: Vec<(String, String)> = (0..12)
        .map(|i| (format!("Person {i}"), format!("p{i}@days.example")))
        .chain([("Bob =Builder".into(), "bob@shop.example".into())])
        .collect();
    let people: Vec<(&str, &str, bool)> = names
        .iter()
        .map(|(n, e)| (n.as_str(), e.as_str(), true))
        .collect();
    let ids = register(&app, &days, &people).await;
    let leads: Vec<StoredLead> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| match i {
            0..6 => lead(id, "big-data,object-storage"),
            6..12 => lead(id, "ai"),
            _ => lead(id, "big-data"),
        })
        .collect();
    finish_build(&app, &days, &leads, &Insight::default()).await;

    let across = build_and_export(&app);
    // Big data: Ada, Bob (at Data Days) and six more, six of whom chose object storage;
    // 14 people with an interest anywhere, six in object storage: lift 0.75 / (6/14) = 1.75.
    let (need, reason) = need_of(&across, "ada@bank.example");
    assert_eq!(need, "object-storage", "{reason}");
    assert_eq!(
        reason,
        "People interested in Big data and analytics are 1.8 times as likely as the average \
         attendee to be interested in Object storage (75% of them are, 6 people across 2 \
         events); this person showed interest in Big data and analytics but has not shown \
         interest in Object storage at any of them."
    );
    // Bob's interest in big data was shown at the other event: it leads on here.
    let (need, reason) = need_of(&across, "bob@shop.example");
    assert_eq!(need, "object-storage", "{reason}");
    assert!(
        reason.contains("showed interest in Big data and analytics"),
        "{reason}"
    );
    // Cy never came: tier X, no next need.
    assert_eq!(need_of(&across, "cy@away.example").0, "");

    // The six who chose object storage are erased: their interests count no more.
    for &id in &ids[..6] {
        erase_attendee(
            &app.ctx,
            id,
            Timestamp::now(),
            ErasureRequester::Staff("mia".into()),
        )
        .await
        .unwrap();
    }
    let after = build_and_export(&app);
    assert_eq!(need_of(&after, "ada@bank.example").0, "", "{after:?}");
    assert_eq!(need_of(&after, "bob@shop.example").0, "", "{after:?}");
}
