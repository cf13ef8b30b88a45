//! A PostgreSQL server whose autovacuum is off gathers no planner statistics as
//! registrations arrive one by one over the web; the server's own pass analyzes the tables
//! that changed enough, one instance at a time. SQLite has no statistics to keep.

use std::time::Duration;

use badgetrail::jobs::statistics;
use secrecy::ExposeSecret;

use crate::support::{
    app::{Db, TestApp, believed_rows, raw, spawn_app},
    door::register,
};

/// How many rows the planner believes `attendees` holds (-1: never analyzed).
async fn believed_attendees(app: &TestApp) -> f32 {
    believed_rows(app.ctx.settings.database_url.expose_secret()).await
}

/// Waits until the server has counted every change the registrations made to `attendees`.
/// A PostgreSQL backend reports its counts of changed rows when it goes idle, but at most
/// once a second; what it holds back it reports after ten idle seconds. Registration
/// inserts an attendee and then links it to a person and a company (two updates), so counts
/// arriving after a pass could make the table stale again by themselves: the test waits
/// until `inserted` attendees are counted and the counts stay the same for longer than that.
async fn changes_counted(url: &str, inserted: i64) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut last = (-1, std::time::Instant::now());
    for _ in 0..300 {
        let (ins, all): (i64, i64) = sqlx::query_as(
            "SELECT n_tup_ins, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND relname = 'attendees'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if all != last.0 {
            last = (all, std::time::Instant::now());
        } else if ins >= inserted && last.1.elapsed() > Duration::from_secs(11) {
            pool.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the server's counts of changes to attendees did not settle within a minute");
}

/// Runs the pass of both instances at once until one of them analyzes `attendees` (the
/// database's counts of changed rows reach its statistics a moment after each commit);
/// what each pass analyzed.
async fn passes_until_attendees(a: &TestApp, b: &TestApp) -> (Vec<String>, Vec<String>) {
    for _ in 0..300 {
        let (x, y) = tokio::join!(statistics::run_once(&a.ctx), statistics::run_once(&b.ctx));
        let (x, y) = (x.unwrap(), y.unwrap());
        if x.iter().chain(&y).any(|t| t == "attendees") {
            return (x, y);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no pass analyzed attendees within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_over_the_web_get_fresh_statistics_without_autovacuum() {
    let Some(app) = spawn_app(Db::Postgres).await else {
        return;
    };
    let url = app.ctx.settings.database_url.expose_secret().to_owned();
    // Whatever the server's setting, its autovacuum leaves this table alone: only the
    // pass can analyze it.
    raw(
        Db::Postgres,
        &url,
        "ALTER TABLE attendees SET (autovacuum_enabled = false)".into(),
    )
    .await;
    app.seed_event().await;
    let other = app.another_instance().await;
    assert!(
        believed_attendees(&app).await < 1.0,
        "a new database has no statistics for attendees"
    );

    register(&app, 80).await;
    changes_counted(&url, 80).await;
    let (mine, theirs) = passes_until_attendees(&app, &other).await;
    let both = [&mine, &theirs];
    assert_eq!(
        both.iter()
            .filter(|p| p.iter().any(|t| t == "attendees"))
            .count(),
        1,
        "one instance analyzes the table, not both: {mine:?} {theirs:?}"
    );
    let believed = believed_attendees(&app).await;
    assert!(
        believed >= 80.0,
        "the planner believes attendees holds {believed} rows"
    );

    // Fresh now: the next pass leaves the table alone until enough of it changes again
    // (autovacuum's own rule: 50 rows plus a tenth of the table).
    let again = statistics::run_once(&app.ctx).await.unwrap();
    assert!(!again.iter().any(|t| t == "attendees"), "{again:?}");
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_database_has_no_statistics_to_refresh() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    app.seed_event().await;
    register(&app, 3).await;
    assert!(statistics::run_once(&app.ctx).await.unwrap().is_empty());
    assert_eq!(
        app.ctx.store.server_refreshes_statistics().await.unwrap(),
        None
    );
}
