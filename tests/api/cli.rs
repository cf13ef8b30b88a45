//! The `badgetrail` command: event import/export round trips, all-or-nothing imports, users.

use std::path::Path;

use crate::support::{
    app::{Db, FreshDb, believed_rows, fresh_database},
    command::{badgetrail, output},
};

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

/// Runs the binary against `db_url` with everything else local to `dir`.
fn run(dir: &Path, db_url: &str, args: &[&str]) -> (bool, String, String) {
    output(
        badgetrail(dir, db_url)
            .args(args)
            .env("BADGETRAIL_NEW_PASSWORD", "correct horse battery"),
    )
}

/// A fresh database (and a folder for everything else) holding the example programme, as
/// several tests start.
async fn example_event(db: Db) -> Option<(tempfile::TempDir, FreshDb)> {
    let dir = tempfile::tempdir().unwrap();
    let fresh = fresh_database(db, dir.path()).await?;
    import_example_event(dir.path(), &fresh.url);
    Some((dir, fresh))
}

/// Imports the example programme.
fn import_example_event(dir: &Path, url: &str) {
    let file = examples().join("cloud-summit.toml");
    let (ok, out, err) = run(dir, url, &["event", "import", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
}

crate::on_both_backends!(
    event_import_export_round_trips,
    a_file_with_a_bad_row_changes_nothing,
    attendees_import_is_all_or_nothing,
    user_add_creates_an_account_that_can_sign_in,
    scans_import_decides_each_row_and_is_idempotent,
    attendees_export_data_and_erase_find_the_person_by_address,
);

async fn event_import_export_round_trips(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let url = fresh.url.clone();
    let file = examples().join("cloud-summit.toml");
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &["event", "import", file.to_str().unwrap()],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("created event cloud-summit-2026"), "{out}");

    for ext in ["toml", "yaml", "csv"] {
        let target = dir.path().join(format!("export.{ext}"));
        let (ok, _, err) = run(
            dir.path(),
            &url,
            &[
                "event",
                "export",
                "cloud-summit-2026",
                "--out",
                target.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
    }
    // Re-importing the export updates in place and changes nothing.
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "event",
            "import",
            dir.path().join("export.yaml").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("updated event cloud-summit-2026"), "{out}");
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "event",
            "export",
            "cloud-summit-2026",
            "--out",
            dir.path().join("again.toml").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("export.toml")).unwrap(),
        std::fs::read_to_string(dir.path().join("again.toml")).unwrap()
    );
    // A sessions CSV re-imported into the event is accepted too.
    let csv = dir.path().join("export.csv");
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "event",
            "import",
            csv.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(ok, "{err}");
}

async fn a_file_with_a_bad_row_changes_nothing(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let url = fresh.url.clone();
    let file = examples().join("cloud-summit.toml");
    assert!(
        run(
            dir.path(),
            &url,
            &["event", "import", file.to_str().unwrap()]
        )
        .0
    );
    let good = std::fs::read_to_string(examples().join("cloud-summit-sessions.csv")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replace("2026-05-12T13:45", "not-a-time");
    lines.push("NEW-1,A new talk,No Such Room,2026-05-12T10:00,2026-05-12T11:00,talk,ai,".into());
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "event",
            "import",
            bad.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(!ok);
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("No Such Room"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let (_, out, _) = run(dir.path(), &url, &["event", "export", "cloud-summit-2026"]);
    assert!(!out.contains("NEW-1"));
}

async fn attendees_import_is_all_or_nothing(db: Db) {
    let Some((dir, fresh)) = example_event(db).await else {
        return;
    };
    let url = fresh.url.clone();
    let good = std::fs::read_to_string(examples().join("attendees.csv")).unwrap();
    let rows = good.lines().count() - 1;

    let mut broken = good.clone();
    broken
        .push_str("not-an-email,Bad Row,Co,Title,user,analyse_need,software,1_10,Germany,,ai,no\n");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, &broken).unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "import",
            bad.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains(&format!("line {}", rows + 2)) && err.contains("email"),
        "{err}"
    );

    let latin1 = dir.path().join("latin1.csv");
    let mut bytes = good.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"jose@example.com,Jos\xe9,Co,T,user,analyse_need,software,1_10,Spain,,ai,no\n",
    );
    std::fs::write(&latin1, bytes).unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "import",
            latin1.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(!ok);
    assert!(err.contains("UTF-8"), "{err}");

    let extra = dir.path().join("extra.csv");
    let with_extra: Vec<String> = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},shoe_size")
            } else {
                format!("{l},44")
            }
        })
        .collect();
    std::fs::write(&extra, with_extra.join("\n")).unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "import",
            extra.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("shoe_size"), "unknown column reported: {err}");
    assert!(
        out.contains(&format!("imported {rows} attendees ({rows} new")),
        "{out}"
    );

    let (ok, out, err) = run(dir.path(), &url, &["send-mail"]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("sent {rows}")), "{out}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count(),
        rows
    );
}

async fn user_add_creates_an_account_that_can_sign_in(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let url = fresh.url.clone();
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &["user", "add", "Maria", "--role", "marketer"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("created user maria with role marketer"),
        "{out}"
    );
    let (ok, _, err) = run(dir.path(), &url, &["user", "add", "x", "--role", "king"]);
    assert!(!ok);
    assert!(err.contains("unknown role"), "{err}");
    let store = badgetrail::store::Store::connect(&url, 1).await.unwrap();
    let user = badgetrail::accounts::check_login(&store, "maria", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(user.unwrap().role, "marketer");
    let (_, out, _) = run(dir.path(), &url, &["config"]);
    assert!(!out.contains("correct horse battery"));
}

async fn scans_import_decides_each_row_and_is_idempotent(db: Db) {
    let Some((dir, fresh)) = example_event(db).await else {
        return;
    };
    let url = fresh.url.clone();
    let attendees = examples().join("attendees.csv");
    assert!(
        run(
            dir.path(),
            &url,
            &[
                "attendees",
                "import",
                attendees.to_str().unwrap(),
                "--event",
                "cloud-summit-2026",
                "--no-email"
            ]
        )
        .0
    );
    let store = badgetrail::store::Store::connect(&url, 1).await.unwrap();
    let event = store
        .events()
        .event_by_slug("cloud-summit-2026")
        .await
        .unwrap()
        .unwrap();
    let (people, _) = store
        .attendees()
        .list_attendees(event.id, "", 2, 0)
        .await
        .unwrap();
    let (a, b) = (&people[0].token, &people[1].token);

    let bad = dir.path().join("bad-scans.csv");
    std::fs::write(
        &bad,
        format!("nonce,badge,room,scanned_at,direction\nx1,{a},Hall A,not-a-time,entry\n"),
    )
    .unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "scans",
            "import",
            bad.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("scanned_at"),
        "{err}"
    );
    assert!(
        store.door().event_scans(event.id).await.unwrap().is_empty(),
        "nothing half-applied"
    );

    let good = dir.path().join("scans.csv");
    std::fs::write(
        &good,
        format!(
            "nonce,badge,room,scanned_at,direction\n\
             s1,{a},Hall A,2026-05-12T09:05,entry\n\
             s2,{a},Hall A,2026-05-12T09:06,entry\n\
             s3,{b},Hall A,2026-05-12T09:07,entry\n\
             s4,{b},Nowhere,2026-05-12T09:07,entry\n\
             s5,FORGED,Hall A,2026-05-12T09:07,entry\n"
        ),
    )
    .unwrap();
    for _ in 0..2 {
        let (ok, out, err) = run(
            dir.path(),
            &url,
            &[
                "scans",
                "import",
                good.to_str().unwrap(),
                "--event",
                "cloud-summit-2026",
            ],
        );
        assert!(ok, "{err}");
        assert!(out.contains("accepted: 2"), "{out}");
        assert!(out.contains("duplicate: 1"), "{out}");
        assert!(out.contains("refused (unknown_room): 1"), "{out}");
        assert!(out.contains("refused (malformed): 1"), "{out}");
    }
    assert_eq!(
        store.door().event_scans(event.id).await.unwrap().len(),
        5,
        "a re-import stores nothing twice"
    );
}

async fn attendees_export_data_and_erase_find_the_person_by_address(db: Db) {
    let Some((dir, fresh)) = example_event(db).await else {
        return;
    };
    let url = fresh.url.clone();
    let csv = examples().join("attendees.csv");
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "import",
            csv.to_str().unwrap(),
            "--event",
            "cloud-summit-2026",
        ],
    );
    assert!(ok, "{out}{err}");
    let address = "Ada.Lovelace@analytical.example";
    let export = dir.path().join("ada.json");
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "export-data",
            "--event",
            "cloud-summit-2026",
            address,
            "--out",
            export.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}{err}");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(data["registration"]["name"], "Ada Lovelace");

    let (ok, out, err) = run(dir.path(), &url, &["retention", "run", "--dry-run"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("cloud-summit-2026") && out.contains("nothing was changed"),
        "{out}"
    );

    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "erase",
            "--event",
            "cloud-summit-2026",
            address,
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("\"registrations\": 1"), "{out}");
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "attendees",
            "export-data",
            "--event",
            "cloud-summit-2026",
            address,
        ],
    );
    assert!(!ok, "the address is gone");
    assert!(err.contains("nobody registered"), "{err}");
}

/// A file of `rows` distinct people for `attendees import`.
fn many_people(dir: &Path, rows: usize) -> std::path::PathBuf {
    let mut csv = String::from(
        "email,name,company,job_title,decision_role,purchase_stage,industry,company_size,country,phone,interests,marketing_consent\n",
    );
    for i in 0..rows {
        let company = i % 70;
        csv.push_str(&format!(
            "p{i}@c{company}.example,Person {i},Company {company},Engineer,initiator,analyse_need,software,51_200,Germany,,ai;big-data,yes\n"
        ));
    }
    let file = dir.join("many.csv");
    std::fs::write(&file, csv).unwrap();
    file
}

/// PostgreSQL plans from statistics only `ANALYZE` gathers; an import of thousands of
/// registrations in one transaction on a new event gets none from the server's autovacuum
/// (off on some servers, and it sees only committed rows). The import refreshes them as it
/// grows the table, so the planner knows the table's size when the import ends. SQLite
/// plans without such statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_leaves_postgres_knowing_the_tables_size() {
    let Some((dir, fresh)) = example_event(Db::Postgres).await else {
        return;
    };
    let url = fresh.url.clone();
    assert!(
        believed_rows(&url).await < 1.0,
        "a new database has no statistics for attendees"
    );
    let rows = 2_500;
    let file = many_people(dir.path(), rows);
    let (ok, out, err) = run(dir.path(), &url, &import_without_email(&file));
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("imported {rows} attendees")), "{out}");
    // Analyzed at 1,000 rows written: the planner believes at least that many.
    let now = believed_rows(&url).await;
    assert!(
        now >= 1_000.0,
        "the planner believes attendees holds {now} rows"
    );
}

/// `attendees import FILE` into the sample event, sending no badge email.
fn import_without_email(file: &Path) -> [&str; 6] {
    [
        "attendees",
        "import",
        file.to_str().unwrap(),
        "--event",
        "cloud-summit-2026",
        "--no-email",
    ]
}

/// The refresh above takes a lock that another import's refresh (or a VACUUM) may hold
/// until its transaction ends. An import does not wait for it: it skips the refresh and
/// finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_does_not_wait_for_another_refresh_on_postgres() {
    let Some((dir, fresh)) = example_event(Db::Postgres).await else {
        return;
    };
    let url = fresh.url.clone();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE attendees IN SHARE UPDATE EXCLUSIVE MODE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let rows = 1_500;
    let file = many_people(dir.path(), rows);
    let mut child = badgetrail(dir.path(), &url)
        .args(import_without_email(&file))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The lock is held until the import ends: an import that waited for it would never end.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("the import is still waiting for the lock another transaction holds");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    holder.rollback().await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attendees")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        stored as usize, rows,
        "every registration of the import is stored"
    );
    let believed = believed_rows(&url).await;
    assert!(
        believed < 1.0,
        "the refresh was skipped, not waited for: {believed}"
    );
    pool.close().await;
}
