//! Where live leads are kept. A person erased has no live lead, not even one scored before
//! the erasure and stored after it (both databases). On SQLite they live in a file of their
//! own beside the database: the door's writes and theirs never wait for each other, and the
//! rows an older version kept in the database move over at the next start, without those of
//! people erased meanwhile.

use badgetrail::{
    domain::leads::package::Tier,
    privacy::{self, ErasureRequester},
    store::Store,
};
use jiff::{SignedDuration, Timestamp};
use sqlx::{Connection, SqliteConnection};

use crate::{
    live_leads::{live_after, scan},
    on_both_backends,
    support::{
        app::{Db, TestApp, old_database, raw, spawn_app},
        door::{paired_kiosk, register_as, seed_event_now_with},
    },
};

on_both_backends!(an_erased_person_keeps_no_live_lead_even_one_scored_before);

/// An app whose Main Hall keynote is on now, with a kiosk at its door.
async fn door_open(db: Db) -> Option<(TestApp, String)> {
    let app = spawn_app(db).await?;
    let event = seed_event_now_with(&app, |p| {
        for s in &mut p.sessions {
            s.starts_at -= SignedDuration::from_mins(10);
            s.ends_at -= SignedDuration::from_mins(10);
        }
    })
    .await;
    let door = paired_kiosk(&app, &event, Some("Main Hall"), "Door").await;
    Some((app, door))
}

async fn an_erased_person_keeps_no_live_lead_even_one_scored_before(db: Db) {
    let Some((app, door)) = door_open(db).await else {
        return;
    };
    let (ada, ada_id) = register_as(&app, "ada@acme.example", "Ada Lovelace").await;
    let (bob, bob_id) = register_as(&app, "bob@other.example", "Bob Stranger").await;
    scan(&app, &door, "n1", &ada, "entry").await;
    scan(&app, &door, "n2", &bob, "entry").await;
    let ada_live = live_after(&app, ada_id, 0).await;
    let bob_live = live_after(&app, bob_id, 0).await;

    privacy::erase_attendee(
        &app.ctx,
        ada_id,
        Timestamp::now(),
        ErasureRequester::Attendee,
    )
    .await
    .unwrap();
    let leads = app.ctx.store.leads();
    assert_eq!(leads.live_lead(ada_id).await.unwrap(), None);

    // The worker read and scored both before the erasure and stores them after it: Bob's
    // newer row is stored, Ada's is not.
    let mut rows = [ada_live, bob_live];
    for r in &mut rows {
        r.scan_seen += 1;
        r.updated_at += 1;
    }
    leads.write_live_leads(&rows).await.unwrap();
    assert_eq!(leads.live_lead(ada_id).await.unwrap(), None);
    assert_eq!(
        leads.live_lead(bob_id).await.unwrap().as_ref(),
        Some(&rows[1])
    );
}

/// A connection holding the write lock of an SQLite file until it is dropped.
async fn hold_write_lock(file: &std::path::Path) -> SqliteConnection {
    let mut c = SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut c)
        .await
        .unwrap();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_live_rows_and_door_scans_never_wait_for_each_other() {
    let (app, door) = door_open(Db::Sqlite).await.unwrap();
    let file = app.dir.path().join("badgetrail.db");
    let (ada, ada_id) = register_as(&app, "ada@acme.example", "Ada Lovelace").await;
    let (bob, bob_id) = register_as(&app, "bob@other.example", "Bob Stranger").await;
    scan(&app, &door, "n1", &ada, "entry").await;
    let ada_live = live_after(&app, ada_id, 0).await;

    // The database's write lock taken by someone else: live rows are still stored (were
    // they in the same file, the write would wait for the lock, then fail).
    let held = hold_write_lock(&file).await;
    let mut newer = ada_live.clone();
    newer.scan_seen += 1;
    let leads = app.ctx.store.leads();
    leads.write_live_leads(&[newer.clone()]).await.unwrap();
    assert_eq!(leads.live_lead(ada_id).await.unwrap(), Some(newer));
    drop(held);

    // The live file's write lock taken: the door still accepts and stores a scan, and the
    // live lead follows once the lock is let go.
    let live_file = app.dir.path().join("badgetrail.db-live");
    assert!(live_file.exists(), "{}", live_file.display());
    let held = hold_write_lock(&live_file).await;
    scan(&app, &door, "n2", &bob, "entry").await;
    drop(held);
    live_after(&app, bob_id, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_live_rows_an_older_version_kept_move_to_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    // 25: the last version that kept live leads in the database itself.
    let (fresh, store, event) = old_database(Db::Sqlite, dir.path(), 25).await.unwrap();
    for (email, erased) in [("ada@example.com", "NULL"), ("eve@example.com", "1")] {
        raw(
            Db::Sqlite,
            &fresh.url,
            format!(
                "INSERT INTO attendees (event_id, email, name, company, job_title, decision_role,
                 purchase_stage, industry, company_size, country, marketing_consent, source,
                 badge_serial, registered_at, updated_at, erased_at)
                 VALUES ({}, '{email}', 'A', 'Acme', 'CTO', 'decision_maker', 'evaluating',
                 'finance', '1000_plus', 'Germany', TRUE, 'import', 1, 0, 0, {erased})",
                event.id
            ),
        )
        .await;
    }
    let id = |email: &'static str| {
        let store = store.clone();
        async move {
            store
                .attendees()
                .attendee_id_by_email(event.id, email)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (ada, eve) = (id("ada@example.com").await, id("eve@example.com").await);
    for who in [ada, eve] {
        raw(
            Db::Sqlite,
            &fresh.url,
            format!(
                "INSERT INTO live_leads (attendee_id, event_id, tier, score, top_topic,
                   topic_scores, explanation, scan_seen, updated_at)
                 VALUES ({who}, {}, 'B', 61.5, 'data', 'data:61.5', 'Came for data.', 7, 9)",
                event.id
            ),
        )
        .await;
    }
    store.close().await;

    let store = Store::connect(&fresh.url, 2).await.unwrap();
    let kept = store.leads().live_lead(ada).await.unwrap().unwrap();
    assert_eq!(
        (kept.tier, kept.score, kept.topic_scores.as_str()),
        (Tier::B, 61.5, "data:61.5")
    );
    assert_eq!(
        (kept.top_topic.as_deref(), kept.scan_seen),
        (Some("data"), 7)
    );
    assert_eq!(store.leads().live_lead(eve).await.unwrap(), None);
    store.close().await;
    let mut main = SqliteConnection::connect(&fresh.url).await.unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'live_leads'")
            .fetch_one(&mut main)
            .await
            .unwrap();
    assert_eq!(left, 0, "the database no longer holds live leads");
}
