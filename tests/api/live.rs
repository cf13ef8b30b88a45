//! The live operations page on both databases: occupancy from entry and exit scans posted
//! through the kiosk API, full rooms, refused scans with their reasons, doors that need a
//! look and who may see any of it; and in Chromium, the page updating by itself.

use badgetrail::{domain::user::Role, door, store::EventRecord};
use fantoccini::Locator;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app},
        browser::{browser, browser_login},
        door::{new_device, paired_kiosk, register_as, seed_event_now_with},
        forms::escaped,
        kiosk_page::eventually,
    },
};

on_both_backends!(
    occupancy_follows_entry_and_exit_scans,
    a_full_room_is_flagged,
    refused_scans_are_listed_with_their_reason,
    quiet_and_queued_doors_are_flagged,
    only_staff_marketers_and_admins_see_it,
);

/// A room name that is also markup, to show that names are text on the page.
const LAB: &str = "<i>Lab</i> & \"Co\"";
const SESSION_A: &str = "Lakehouse <script>alert(1)</script>";

/// The demo event with K1 (Main Hall), T01 (Room A) and W01 (the lab, capacity 2) running
/// now; Room C has nothing until later.
async fn live_event(app: &TestApp) -> EventRecord {
    seed_event_now_with(app, |p| {
        let k1 = p.sessions.iter().find(|s| s.id == "K1").unwrap();
        let (start, end) = (k1.starts_at, k1.ends_at + SignedDuration::from_mins(15));
        for r in &mut p.rooms {
            if r.name == "Workshop Lab" {
                r.name = LAB.into();
                r.capacity = 2;
            }
        }
        for s in &mut p.sessions {
            if s.room == "Workshop Lab" {
                s.room = LAB.into();
            }
            if s.id == "T01" || s.id == "W01" {
                s.starts_at = start;
                s.ends_at = end;
            }
            if s.id == "T01" {
                s.title = SESSION_A.into();
            }
        }
    })
    .await
}

/// A scan `secs_ago` seconds ago by the device's clock (which is right).
fn scan(badge: &str, secs_ago: i64, direction: &str) -> Value {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).unwrap();
    json!({
        "nonce": data_encoding::HEXLOWER.encode(&nonce),
        "badge": badge,
        "device_time": Timestamp::now() - SignedDuration::from_secs(secs_ago),
        "direction": direction,
    })
}

/// Posts scans through the kiosk API; their verdicts.
async fn post_scans(app: &TestApp, token: &str, queue_size: i64, scans: Vec<Value>) -> Vec<Value> {
    let r = app
        .post_json_as(
            token,
            "/api/v1/scans",
            &json!({
                "sent_at": Timestamp::now(), "app_version": "kiosk-test",
                "queue_size": queue_size, "scans": scans,
            }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["results"].as_array().unwrap().clone()
}

async fn feed(app: &TestApp, event: &EventRecord) -> Value {
    let r = app
        .get(&format!("/admin/events/{}/live.json", event.info.slug))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

async fn page(app: &TestApp, event: &EventRecord) -> String {
    let r = app
        .get(&format!("/admin/events/{}/live", event.info.slug))
        .await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn room<'a>(feed: &'a Value, name: &str) -> &'a Value {
    feed["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("room {name} in {feed}"))
}

fn door_line<'a>(feed: &'a Value, name: &str) -> Option<&'a Value> {
    feed["doors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
}

/// (present, entries, exit scans, estimated exits) of a room.
fn counts(room: &Value) -> (i64, i64, i64, i64) {
    let n = |k: &str| room[k].as_i64().unwrap();
    (
        n("present"),
        n("entries"),
        n("exit_scans"),
        n("estimated_exits"),
    )
}

async fn occupancy_follows_entry_and_exit_scans(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = live_event(&app).await;
    app.login_as(Role::Staff).await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(register_as(&app, &format!("p{i}@example.com"), "Ada Lovelace").await);
    }
    let main = paired_kiosk(&app, &event, Some("Main Hall"), "Main door").await;
    let room_a = paired_kiosk(&app, &event, Some("Room A"), "Room A door").await;
    let b = |i: usize| people[i].0.as_str();

    // Three enter the Main Hall, the fourth enters Room A: two and a half minutes ago.
    let v = post_scans(
        &app,
        &main,
        0,
        vec![
            scan(b(0), 150, "entry"),
            scan(b(1), 150, "entry"),
            scan(b(2), 150, "entry"),
        ],
    )
    .await;
    assert!(v.iter().all(|v| v["decision"] == "accepted"), "{v:?}");
    let v = post_scans(&app, &room_a, 0, vec![scan(b(3), 150, "entry")]).await;
    assert_eq!(v[0]["decision"], "accepted", "{v:?}");

    let f = feed(&app, &event).await;
    assert_eq!(counts(room(&f, "Main Hall")), (3, 3, 0, 0), "{f}");
    assert_eq!(room(&f, "Main Hall")["capacity"], 600);
    assert_eq!(room(&f, "Main Hall")["percent"], 0);
    assert_eq!(room(&f, "Main Hall")["fill"], "normal");
    assert_eq!(counts(room(&f, "Room A")), (1, 1, 0, 0));
    assert_eq!(room(&f, "Room A")["session"], SESSION_A);
    assert_eq!(counts(room(&f, "Room C")), (0, 0, 0, 0));
    assert_eq!(room(&f, "Room C")["session"], Value::Null);

    // One scans out of the Main Hall; the one in Room A walks into the Main Hall without
    // scanning out, so Room A counts an estimated exit.
    post_scans(
        &app,
        &main,
        0,
        vec![scan(b(2), 20, "exit"), scan(b(3), 15, "entry")],
    )
    .await;
    let f = feed(&app, &event).await;
    assert_eq!(counts(room(&f, "Main Hall")), (3, 4, 1, 0), "{f}");
    assert_eq!(counts(room(&f, "Room A")), (0, 1, 0, 1), "{f}");
    assert_eq!(room(&f, "Room A")["left_for_other_room"], 1);

    // Scans per minute per door, oldest minute first.
    assert_eq!(f["minutes"].as_array().unwrap().len(), 5);
    assert_eq!(f["minutes"][4], "last minute");
    let rates = |name: &str| door_line(&f, name).unwrap()["per_minute"].clone();
    assert_eq!(rates("Main door"), json!([0, 0, 3, 0, 2]), "{f}");
    assert_eq!(rates("Room A door"), json!([0, 0, 1, 0, 0]), "{f}");
    let main_line = door_line(&f, "Main door").unwrap();
    assert_eq!(main_line["room"], "Main Hall");
    assert_eq!(main_line["app_version"], "kiosk-test");
    assert_eq!(main_line["needs_attention"], false);
    assert_eq!(main_line["status"], "OK");

    // The page shows the same numbers, names escaped, and its script as a file.
    let html = page(&app, &event).await;
    assert!(html.contains("data-room=\"Main Hall\""), "{html}");
    assert!(html.contains("<td class=\"num present\">3</td>"), "{html}");
    assert!(
        !html.contains("<script>alert(1)"),
        "session titles are escaped"
    );
    assert!(html.contains(&escaped(SESSION_A)));
    assert!(html.contains("<script src=\"/admin/live.js\" defer></script>"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "no inline script, only the file"
    );
    let event_page = app
        .get_text(&format!("/admin/events/{}", event.info.slug))
        .await;
    assert!(event_page.contains(&format!("href=\"/admin/events/{}/live\"", event.info.slug)));
    let js = app.get("/admin/live.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(!js.text().await.unwrap().contains("innerHTML"));
}

async fn a_full_room_is_flagged(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = live_event(&app).await;
    app.login_as(Role::Marketer).await;
    let lab = paired_kiosk(&app, &event, Some(LAB), "Lab door").await;
    let mut people = Vec::new();
    for i in 0..3 {
        people.push(register_as(&app, &format!("p{i}@example.com"), "Grace Hopper").await);
    }

    post_scans(&app, &lab, 0, vec![scan(&people[0].0, 30, "entry")]).await;
    let f = feed(&app, &event).await;
    assert_eq!(room(&f, LAB)["fill"], "normal");
    assert_eq!(room(&f, LAB)["percent"], 50);
    assert_eq!(room(&f, LAB)["warning"], "");

    post_scans(&app, &lab, 0, vec![scan(&people[1].0, 20, "entry")]).await;
    let f = feed(&app, &event).await;
    assert_eq!(counts(room(&f, LAB)), (2, 2, 0, 0));
    assert_eq!(room(&f, LAB)["fill"], "full", "{f}");
    assert_eq!(room(&f, LAB)["warning"], "Full");
    let html = page(&app, &event).await;
    assert!(
        html.contains(&format!("{}: Full (2 of 2)", escaped(LAB))),
        "the warning names the room, escaped: {html}"
    );
    assert!(!html.contains("<i>Lab</i>"), "room names are escaped");
    assert!(html.contains("class=\"fill-full\""));

    post_scans(&app, &lab, 0, vec![scan(&people[2].0, 10, "entry")]).await;
    let f = feed(&app, &event).await;
    assert_eq!(room(&f, LAB)["present"], 3);
    assert_eq!(room(&f, LAB)["fill"], "over");
    assert_eq!(room(&f, LAB)["warning"], "Over capacity");
    assert_eq!(room(&f, LAB)["percent"], 150);

    // Someone scans out: full again, not over.
    post_scans(&app, &lab, 0, vec![scan(&people[2].0, 0, "exit")]).await;
    let f = feed(&app, &event).await;
    assert_eq!(counts(room(&f, LAB)), (2, 3, 1, 0));
    assert_eq!(room(&f, LAB)["fill"], "full");
}

async fn refused_scans_are_listed_with_their_reason(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = live_event(&app).await;
    app.login_as(Role::Staff).await;
    let (zoe, _) = register_as(&app, "zoe@example.com", "<b>Zoë</b> Example").await;
    let main = paired_kiosk(&app, &event, Some("Main Hall"), "<script>door</script>").await;
    let room_c = paired_kiosk(&app, &event, Some("Room C"), "Room C door").await;

    let f = feed(&app, &event).await;
    assert_eq!(f["refused"], json!([]));
    assert!(
        page(&app, &event)
            .await
            .contains("No badge has been refused.")
    );

    let mut forged: Vec<char> = zoe.chars().collect();
    forged[60] = if forged[60] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let v = post_scans(&app, &main, 0, vec![scan(&forged, 40, "entry")]).await;
    assert_eq!(v[0]["reason"], "forged");
    // Nothing runs in Room C now.
    let v = post_scans(&app, &room_c, 0, vec![scan(&zoe, 20, "entry")]).await;
    assert_eq!(v[0]["reason"], "outside_session");
    let v = post_scans(&app, &main, 0, vec![scan("not a badge", 10, "entry")]).await;
    assert_eq!(v[0]["reason"], "malformed");

    let f = feed(&app, &event).await;
    let refused = f["refused"].as_array().unwrap();
    let lines: Vec<(&str, &str, &str, &str)> = refused
        .iter()
        .map(|r| {
            (
                r["door"].as_str().unwrap(),
                r["room"].as_str().unwrap(),
                r["attendee"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "<script>door</script>",
                "Main Hall",
                "",
                "Badge not recognised"
            ),
            (
                "Room C door",
                "Room C",
                "<b>Zoë</b> Example",
                "No session here now"
            ),
            ("<script>door</script>", "Main Hall", "", "Forged badge"),
        ],
        "newest first, reasons in plain words: {f}"
    );
    assert_eq!(refused[1]["reason"], "outside_session");
    // Refused scans count as door traffic, but nobody is let in.
    assert_eq!(counts(room(&f, "Main Hall")), (0, 0, 0, 0));
    assert_eq!(
        door_line(&f, "<script>door</script>").unwrap()["per_minute"],
        json!([0, 0, 0, 0, 2])
    );

    let html = page(&app, &event).await;
    assert!(html.contains("id=\"refused-none\" class=\"hint\" hidden>"));
    assert!(
        html.contains("<td class=\"reason\">No session here now</td>"),
        "{html}"
    );
    assert!(html.contains("<td class=\"reason\">Forged badge</td>"));
    assert!(html.contains(&escaped("<b>Zoë</b> Example")));
    assert!(html.contains(&escaped("<script>door</script>")));
    assert!(!html.contains("<b>Zoë</b>"));
    assert!(!html.contains("<script>door"));
}

async fn quiet_and_queued_doors_are_flagged(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = live_event(&app).await;
    app.login_as(Role::Admin).await;
    let (badge, _) = register_as(&app, "ada@example.com", "Ada Lovelace").await;

    // Paired ten minutes ago and silent since.
    let quiet = new_device(&app, &event, Some("Room B"), "Room B door").await;
    let ten_minutes_ago = Timestamp::now() - SignedDuration::from_mins(10);
    door::pair(&app.ctx, &quiet.pairing_code, ten_minutes_ago)
        .await
        .unwrap()
        .expect("paired");
    // Online, with scans still waiting on the device.
    let queued = paired_kiosk(&app, &event, Some("Main Hall"), "Main door").await;
    post_scans(&app, &queued, 7, vec![scan(&badge, 5, "entry")]).await;
    // Online, nothing waiting.
    let fine = paired_kiosk(&app, &event, Some("Room A"), "Room A door").await;
    post_scans(&app, &fine, 0, vec![]).await;
    // Neither a revoked door nor one still waiting for pairing is a door to watch.
    let gone = new_device(&app, &event, None, "Old door").await;
    door::pair(&app.ctx, &gone.pairing_code, Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    app.ctx
        .store
        .door()
        .revoke_device(gone.device_id, Timestamp::now())
        .await
        .unwrap();
    new_device(&app, &event, None, "Unpaired door").await;

    let f = feed(&app, &event).await;
    let names: Vec<&str> = f["doors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Room B door", "Main door", "Room A door"], "{f}");

    let q = door_line(&f, "Room B door").unwrap();
    assert_eq!(q["needs_attention"], true, "{q}");
    let quiet_minutes = q["quiet_minutes"].as_i64().unwrap();
    assert!((10..=11).contains(&quiet_minutes), "{q}");
    assert_eq!(q["status"], format!("Quiet for {quiet_minutes} min"));
    assert_eq!(q["app_version"], "");
    assert_eq!(q["per_minute"], json!([0, 0, 0, 0, 0]));

    let m = door_line(&f, "Main door").unwrap();
    assert_eq!(m["needs_attention"], true, "{m}");
    assert_eq!(m["queue_size"], 7);
    assert_eq!(m["quiet_minutes"], Value::Null);
    assert_eq!(m["status"], "7 scans waiting on the device");
    assert_eq!(m["app_version"], "kiosk-test");

    let a = door_line(&f, "Room A door").unwrap();
    assert_eq!(a["needs_attention"], false, "{a}");
    assert_eq!(a["status"], "OK");

    let html = page(&app, &event).await;
    let attention =
        &html[html.find("id=\"attention\"").unwrap()..html.find("id=\"doors\"").unwrap()];
    assert!(
        attention.contains("data-door=\"Room B door\""),
        "{attention}"
    );
    assert!(attention.contains("Quiet for"));
    assert!(attention.contains("data-door=\"Main door\""));
    assert!(attention.contains("7 scans waiting on the device"));
    assert!(attention.contains("kiosk-test"));
    assert!(!attention.contains("Room A door"), "{attention}");

    // Once the queue is sent, the door no longer needs a look.
    post_scans(&app, &queued, 0, vec![]).await;
    let f = feed(&app, &event).await;
    assert_eq!(
        door_line(&f, "Main door").unwrap()["needs_attention"],
        false
    );
}

async fn only_staff_marketers_and_admins_see_it(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = live_event(&app).await;
    let page_path = format!("/admin/events/{}/live", event.info.slug);
    let feed_path = format!("/admin/events/{}/live.json", event.info.slug);
    let get = |path: String| {
        let app = &app;
        async move { app.get(&path).await }
    };

    // Not signed in: the page sends to the login form, the feed says so in JSON.
    let r = get(page_path.clone()).await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
    let r = get(feed_path.clone()).await;
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());

    app.login_as(Role::Sales).await;
    assert_eq!(get(page_path.clone()).await.status(), 403);
    let r = get(feed_path.clone()).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("rooms").is_none(), "{body}");

    for role in [Role::Staff, Role::Marketer, Role::Admin] {
        app.login_as(role).await;
        assert_eq!(get(page_path.clone()).await.status(), 200, "{role}");
        assert_eq!(get(feed_path.clone()).await.status(), 200, "{role}");
    }
    assert_eq!(
        get("/admin/events/no-such-event/live.json".into())
            .await
            .status(),
        404
    );
}

const ROOM_PRESENT: &str = "const rows = [...document.querySelectorAll('#rooms tbody tr')]; \
    return Object.fromEntries(rows.map(r => [r.dataset.room, r.querySelector('.present').textContent]));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_updates_by_itself_in_chromium() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = live_event(&app).await;
    let main = paired_kiosk(&app, &event, Some("Main Hall"), "Main door").await;
    let lab = paired_kiosk(&app, &event, Some(LAB), "Lab door").await;
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(register_as(&app, &format!("p{i}@example.com"), "<b>Zoë</b> Example").await);
    }
    post_scans(&app, &main, 0, vec![scan(&people[0].0, 60, "entry")]).await;

    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    let path = format!("/admin/events/{}/live", event.info.slug);
    browser_login(c, &app, Role::Staff, &path).await;
    c.wait()
        .for_element(Locator::Css("#rooms tbody tr"))
        .await
        .unwrap();
    // Anything the page itself set survives only as long as the page is not reloaded.
    c.execute(
        "window.notReloaded = true; window.cspViolations = []; \
         document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective));",
        vec![],
    )
    .await
    .unwrap();
    let shown = c.execute(ROOM_PRESENT, vec![]).await.unwrap();
    assert_eq!(shown["Main Hall"], "1", "{shown}");
    assert_eq!(shown[LAB], "0", "{shown}");

    // New scans through the kiosk API: two more in the Main Hall, while the first one there
    // moves on to the lab, which fills up.
    post_scans(
        &app,
        &main,
        0,
        vec![
            scan(&people[1].0, 5, "entry"),
            scan(&people[3].0, 5, "entry"),
        ],
    )
    .await;
    post_scans(
        &app,
        &lab,
        0,
        vec![
            scan(&people[0].0, 4, "entry"),
            scan(&people[2].0, 3, "entry"),
        ],
    )
    .await;
    post_scans(&app, &lab, 0, vec![scan("garbage", 2, "entry")]).await;

    eventually(c, 30, ROOM_PRESENT, |v| {
        v["Main Hall"] == "2" && v[LAB] == "2"
    })
    .await;
    let alerts = eventually(
        c,
        15,
        "return document.getElementById('room-alerts').innerText;",
        |v| v.as_str().is_some_and(|t| t.contains("Full")),
    )
    .await;
    assert_eq!(
        alerts,
        format!("{LAB}: Full (2 of 2)"),
        "the room name shows as text"
    );
    let refused = c
        .execute(
            "return [...document.querySelectorAll('#refused tbody td.reason')].map(td => td.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refused, json!(["Badge not recognised"]));
    let lab_row = c
        .execute(
            "const tr = [...document.querySelectorAll('#rooms tbody tr')].find(r => r.dataset.room === arguments[0]); \
             return { class: tr.className, name: tr.querySelector('.name').innerHTML, warning: tr.querySelector('.warning').textContent };",
            vec![json!(LAB)],
        )
        .await
        .unwrap();
    assert_eq!(lab_row["class"], "fill-full", "{lab_row}");
    assert_eq!(lab_row["warning"], "Full");
    assert_eq!(
        lab_row["name"], "&lt;i&gt;Lab&lt;/i&gt; &amp; \"Co\"",
        "written as text, not markup"
    );
    let state = c
        .execute(
            "return { kept: window.notReloaded === true, polls: Number(document.getElementById('live-state').dataset.polls || 0), csp: window.cspViolations };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state["kept"], true, "the page was not reloaded: {state}");
    assert!(state["polls"].as_i64().unwrap() >= 1, "{state}");
    assert_eq!(state["csp"], json!([]), "{state}");
    b.client.clone().close().await.unwrap();
}
