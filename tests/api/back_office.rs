//! The back office on both databases: what the command line does (events and their
//! programme, attendee import, staff accounts, lead export) done from the staff pages, with
//! the command line's own errors, nothing stored from a bad file, CSRF and roles enforced;
//! and leads re-assigned in bulk, all or none.

use badgetrail::{
    domain::user::Role,
    formats::{self, EventFileFormat},
};

use crate::support::{
    app::{Db, TestApp, fresh_client, spawn_app},
    forms::{escaped, extract_csrf},
    staff::{get, signed_in},
    stored_leads::{PEOPLE, fixture},
};

/// A `multipart/form-data` body with the CSRF token (unless `None`), the file and any
/// further fields; the content type to send it with.
fn multipart(
    csrf: Option<&str>,
    file: (&str, &[u8]),
    fields: &[(&str, &str)],
) -> (String, Vec<u8>) {
    let boundary = "----badgetrail-test-boundary-7d1";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &[u8], file_name: Option<&str>| {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    if let Some(c) = csrf {
        field("csrf", c.as_bytes(), None);
    }
    for (k, v) in fields {
        field(k, v.as_bytes(), None);
    }
    field("file", file.1, Some(file.0));
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: Option<&str>,
    file: (&str, &[u8]),
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (content_type, body) = multipart(csrf, file, fields);
    let r = client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The CSRF token of a page this client opens.
async fn csrf_of(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let (status, html) = get(client, app, path).await;
    assert_eq!(status, 200, "{path}: {html}");
    extract_csrf(&html)
}

crate::on_both_backends!(
    admins_create_an_event_and_change_its_programme_item_by_item,
    a_programme_file_is_taken_whole_or_refused_with_the_command_line_s_errors,
    an_attendee_csv_with_one_wrong_row_imports_nobody,
    admins_manage_staff_accounts_with_passwords_shown_once,
    marketers_export_leads_and_re_assign_them_in_bulk_all_or_none,
);

async fn admins_create_an_event_and_change_its_programme_item_by_item(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (admin, _) = signed_in(&app, "ada-admin", Role::Admin).await;
    let csrf = csrf_of(&admin, &app, "/admin/events/new").await;
    let event = [
        ("csrf", csrf.as_str()),
        ("slug", "devday-2026"),
        ("name", "Dev Day <2026>"),
        ("venue", "Hall 7"),
        ("time_zone", "Europe/Berlin"),
        ("starts_on", "2026-09-14"),
        ("ends_on", "2026-09-15"),
    ];
    // A bad date names its field and stores nothing.
    let mut bad = event;
    bad[6].1 = "15 September";
    let (status, _, html) = post(&admin, &app, "/admin/events/new", &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("ends_on: &#39;15 September&#39; is not a valid date"),
        "{html}"
    );
    assert!(
        app.ctx
            .store
            .events()
            .event_by_slug("devday-2026")
            .await
            .unwrap()
            .is_none()
    );

    let (status, location, _) = post(&admin, &app, "/admin/events/new", &event).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/events/devday-2026/programme?done=created")
    );
    let (status, _, html) = post(&admin, &app, "/admin/events/new", &event).await;
    assert_eq!(status, 422);
    assert!(html.contains("already exists"), "{html}");

    let page = "/admin/events/devday-2026/programme";
    let (status, html) = get(&admin, &app, page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Dev Day &#60;2026&#62;"),
        "names are escaped: {html}"
    );
    let csrf = extract_csrf(&html);
    let topics = "/admin/events/devday-2026/programme/topics";
    let rooms = "/admin/events/devday-2026/programme/rooms";
    let sessions = "/admin/events/devday-2026/programme/sessions";
    for (path, form) in [
        (topics, vec![("slug", "rust"), ("name", "Rust")]),
        (topics, vec![("slug", "wasm"), ("name", "WebAssembly")]),
        (rooms, vec![("name", "Hall 1"), ("capacity", "300")]),
    ] {
        let mut form = form;
        form.extend([("csrf", csrf.as_str()), ("action", "save")]);
        let (status, location, body) = post(&admin, &app, path, &form).await;
        assert_eq!(status, 303, "{path}: {body}");
        assert!(location.starts_with(page), "{location}");
    }
    let session = |id: &'static str, ends: &'static str, topics: &'static str| {
        vec![
            ("csrf", csrf.as_str()),
            ("action", "save"),
            ("session_id", id),
            ("title", "Ownership, borrowing & you"),
            ("room", "Hall 1"),
            ("starts_at", "2026-09-14T10:00"),
            ("ends_at", ends),
            ("kind", "talk"),
            ("topics", topics),
            ("speakers", "Ferris; Graydon"),
        ]
    };
    let before = app
        .ctx
        .store
        .events()
        .load_programme("devday-2026")
        .await
        .unwrap();
    // The session form is read as a sessions CSV row: its problems are the CSV's, by column.
    let (status, _, html) = post(
        &admin,
        &app,
        sessions,
        &session("S1", "2026-09-14T09:00", "rust; golang"),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("ends_at: ends_at must be after starts_at"),
        "{html}"
    );
    assert!(
        html.contains("topics: unknown topic &#39;golang&#39;"),
        "{html}"
    );
    assert!(
        html.contains("value=\"rust; golang\""),
        "what was typed is kept: {html}"
    );
    assert_eq!(
        app.ctx
            .store
            .events()
            .load_programme("devday-2026")
            .await
            .unwrap(),
        before
    );

    let (status, _, body) = post(
        &admin,
        &app,
        sessions,
        &session("S1", "2026-09-14T10:45", "rust; wasm:0.5"),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let p = app
        .ctx
        .store
        .events()
        .load_programme("devday-2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.sessions.len(), 1);
    let s = &p.sessions[0];
    assert_eq!(
        (s.title.as_str(), s.room.as_str()),
        ("Ownership, borrowing & you", "Hall 1")
    );
    assert_eq!(
        s.starts_at.to_string(),
        "2026-09-14T08:00:00Z",
        "local to Berlin"
    );
    assert_eq!(s.speakers, ["Ferris", "Graydon"]);
    assert_eq!(s.topics[1].weight, 0.5);

    // A renamed room keeps its session; a topic in use cannot go; the session can.
    let (status, _, body) = post(
        &admin,
        &app,
        rooms,
        &[
            ("csrf", &csrf),
            ("action", "save"),
            ("original", "Hall 1"),
            ("name", "Main Stage"),
            ("capacity", "250"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let p = app
        .ctx
        .store
        .events()
        .load_programme("devday-2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.rooms.len(), p.rooms[0].name.as_str(), p.rooms[0].capacity),
        (1, "Main Stage", 250)
    );
    assert_eq!(p.sessions[0].room, "Main Stage");
    let (status, _, html) = post(
        &admin,
        &app,
        topics,
        &[("csrf", &csrf), ("action", "remove"), ("original", "rust")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("1 session(s) cover this topic"), "{html}");
    let (status, _, _) = post(
        &admin,
        &app,
        sessions,
        &[("csrf", &csrf), ("action", "remove"), ("original", "S1")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        &admin,
        &app,
        topics,
        &[("csrf", &csrf), ("action", "remove"), ("original", "rust")],
    )
    .await;
    assert_eq!(status, 303);
    let p = app
        .ctx
        .store
        .events()
        .load_programme("devday-2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.sessions.len(), p.topics.len()), (0, 1));

    // Settings: the slug stays, the rest changes.
    let mut settings = event;
    settings[2].1 = "Dev Day 2026";
    let (status, location, _) = post(
        &admin,
        &app,
        "/admin/events/devday-2026/settings",
        &settings,
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/events/devday-2026/programme?done=settings")
    );
    let e = app
        .ctx
        .store
        .events()
        .event_by_slug("devday-2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.info.name, "Dev Day 2026");

    // No token, no change; marketers read the programme but do not change it; sales neither.
    let (status, _, _) = post(
        &admin,
        &app,
        topics,
        &[("action", "save"), ("slug", "go"), ("name", "Go")],
    )
    .await;
    assert_eq!(status, 403);
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, page).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("programme/topics"),
        "no forms for marketers: {html}"
    );
    let m_csrf = extract_csrf(&html);
    let (status, _, _) = post(
        &marketer,
        &app,
        topics,
        &[
            ("csrf", &m_csrf),
            ("action", "save"),
            ("slug", "go"),
            ("name", "Go"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(get(&marketer, &app, "/admin/events/new").await.0, 403);
    let (sales, _) = signed_in(&app, "sally", Role::Sales).await;
    assert_eq!(get(&sales, &app, page).await.0, 403);
    assert_eq!(
        get(&sales, &app, "/admin/events/devday-2026/programme.toml")
            .await
            .0,
        403
    );
    let p = app
        .ctx
        .store
        .events()
        .load_programme("devday-2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.topics.len(), 1);
}

async fn a_programme_file_is_taken_whole_or_refused_with_the_command_line_s_errors(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let slug = event.info.slug.to_string();
    let page = format!("/admin/events/{slug}/programme");
    let (admin, _) = signed_in(&app, "ada-admin", Role::Admin).await;
    let csrf = csrf_of(&admin, &app, &page).await;
    let upload_to = format!("{page}/upload");
    let before = app
        .ctx
        .store
        .events()
        .load_programme(&slug)
        .await
        .unwrap()
        .unwrap();

    // The downloads are the command line's export.
    let (status, csv) = get(&admin, &app, &format!("/admin/events/{slug}/sessions.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(csv, formats::write_sessions_csv(&before));
    let (status, toml) = get(
        &admin,
        &app,
        &format!("/admin/events/{slug}/programme.toml"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        toml,
        formats::write_event_file(&before, EventFileFormat::Toml)
    );
    let (status, yaml) = get(
        &admin,
        &app,
        &format!("/admin/events/{slug}/programme.yaml"),
    )
    .await;
    assert_eq!((status, yaml.contains("sessions:")), (200, true));

    // A sessions CSV with one good row and one bad one: refused whole, each problem with
    // its line and column exactly as `badgetrail event import` prints it.
    let day = event.info.starts_on;
    let bad = format!(
        "session_id,title,room,starts_at,ends_at,kind,topics\n\
         N1,New talk,Room A,{day}T16:00,{day}T16:45,talk,ai\n\
         N2,Broken talk,Room A,{day}T17:00,soon,talk,ai\n\
         N3,Lost talk,Room Z,{day}T17:00,{day}T17:30,talk,ai\n"
    );
    let expected = formats::parse_sessions_csv(bad.as_bytes(), &before).unwrap_err();
    assert!(expected.len() >= 2, "{expected:?}");
    let (status, html) = upload(
        &admin,
        &app,
        &upload_to,
        Some(&csrf),
        ("late.csv", bad.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    for e in &expected {
        assert!(
            html.contains(&escaped(&format!("late.csv: {e}"))),
            "{e} in {html}"
        );
    }
    assert!(html.contains("line 3, column ends_at"), "{html}");
    assert_eq!(
        app.ctx
            .store
            .events()
            .load_programme(&slug)
            .await
            .unwrap()
            .unwrap(),
        before
    );

    // Without the token nothing is read; door staff may not upload.
    let good = format!(
        "session_id,title,room,starts_at,ends_at,kind,topics\n\
         N1,New talk,Room A,{day}T16:00,{day}T16:45,talk,ai\n"
    );
    let (status, _) = upload(
        &admin,
        &app,
        &upload_to,
        None,
        ("late.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    let (door, _) = signed_in(&app, "dora", Role::Staff).await;
    let door_csrf = csrf_of(&door, &app, &format!("/admin/events/{slug}")).await;
    let (status, _) = upload(
        &door,
        &app,
        &upload_to,
        Some(&door_csrf),
        ("late.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.ctx
            .store
            .events()
            .load_programme(&slug)
            .await
            .unwrap()
            .unwrap(),
        before
    );

    let (status, html) = upload(
        &admin,
        &app,
        &upload_to,
        Some(&csrf),
        ("late.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("The programme was imported"), "{html}");
    let after = app
        .ctx
        .store
        .events()
        .load_programme(&slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.sessions.len(), before.sessions.len() + 1);

    // An event file: its own line errors; another event's file is refused; a right one
    // updates the event in place.
    let broken = toml.replacen("[event]", "[event]\nstarts_on = 12", 1);
    let expected =
        badgetrail::event_setup::files::read_event_file(broken.as_bytes(), EventFileFormat::Toml)
            .unwrap_err();
    let (status, html) = upload(
        &admin,
        &app,
        &upload_to,
        Some(&csrf),
        ("summit.toml", broken.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(&escaped(&format!("summit.toml: {}", expected[0]))),
        "{expected:?} in {html}"
    );
    let other = toml.replace(&format!("slug = \"{slug}\""), "slug = \"other-event\"");
    let (status, html) = upload(
        &admin,
        &app,
        &upload_to,
        Some(&csrf),
        ("other.toml", other.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("not of &#39;cloud-summit-2026&#39;"),
        "{html}"
    );
    assert!(
        app.ctx
            .store
            .events()
            .event_by_slug("other-event")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.ctx
            .store
            .events()
            .load_programme(&slug)
            .await
            .unwrap()
            .unwrap(),
        after
    );
    let renamed = toml.replace("Cloud Summit 2026", "Cloud Summit 2026 (updated)");
    let (status, html) = upload(
        &admin,
        &app,
        &upload_to,
        Some(&csrf),
        ("summit.toml", renamed.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Kept 1 stored session(s) the file no longer lists: N1"),
        "{html}"
    );
    let e = app
        .ctx
        .store
        .events()
        .event_by_slug(&slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.info.name, "Cloud Summit 2026 (updated)");

    // A new event straight from a file.
    let new_csrf = csrf_of(&admin, &app, "/admin/events/new").await;
    let (status, html) = upload(
        &admin,
        &app,
        "/admin/events/new/upload",
        Some(&new_csrf),
        ("other.toml", other.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(
        status, 303,
        "sent on to the new event's programme page: {html}"
    );
    let created = app
        .ctx
        .store
        .events()
        .load_programme("other-event")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.sessions.len(), before.sessions.len());
}

const ATTENDEE_HEADER: &str = "email,name,company,job_title,decision_role,purchase_stage,industry,company_size,country,interests,marketing_consent";

async fn an_attendee_csv_with_one_wrong_row_imports_nobody(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let slug = event.info.slug.to_string();
    let page = format!("/admin/events/{slug}/attendees/import");
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, &format!("/admin/events/{slug}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&page),
        "the event page links to the import: {html}"
    );
    let csrf = csrf_of(&marketer, &app, &page).await;
    let ada = "ada@example.com,Ada Lovelace,Analytical Engines,CTO,decision_maker,look_for_suppliers,software,51_200,United Kingdom,ai;big-data,yes";
    let bob = "bob@example.com,<b>Bob</b>,Tables Inc,Engineer,user,recognise_problem,retail,11_50,Germany,databases,no";
    let wrong = "not-an-address,Cy,Co,Dev,user,recognise_problem,retail,11_50,Germany,ai,maybe";
    let bad = format!("{ATTENDEE_HEADER}\n{ada}\n{wrong}\n{bob}\n");
    let topics = app.ctx.store.events().event_topics(event.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let expected = formats::parse_attendees_csv(bad.as_bytes(), &known).unwrap_err();
    assert!(
        expected
            .iter()
            .any(|e| e.line == 3 && e.column.as_deref() == Some("email")),
        "{expected:?}"
    );

    let (status, html) = upload(
        &marketer,
        &app,
        &page,
        Some(&csrf),
        ("people.csv", bad.as_bytes()),
        &[("send_email", "1")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    for e in &expected {
        assert!(
            html.contains(&escaped(&format!("people.csv: {e}"))),
            "{e} in {html}"
        );
    }
    let count = || async {
        app.ctx
            .store
            .attendees()
            .list_attendees(event.id, "", 10, 0)
            .await
            .unwrap()
            .1
    };
    assert_eq!(count().await, 0, "nobody was imported");

    let good = format!("{ATTENDEE_HEADER}\n{ada}\n{bob}\n");
    let (status, _) = upload(
        &marketer,
        &app,
        &page,
        None,
        ("people.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 403, "no token");
    let (door, _) = signed_in(&app, "dora", Role::Staff).await;
    assert_eq!(get(&door, &app, &page).await.0, 403);
    let door_csrf = csrf_of(&door, &app, &format!("/admin/events/{slug}")).await;
    let (status, _) = upload(
        &door,
        &app,
        &page,
        Some(&door_csrf),
        ("people.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(count().await, 0);

    let (status, html) = upload(
        &marketer,
        &app,
        &page,
        Some(&csrf),
        ("people.csv", good.as_bytes()),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Imported 2 attendees (2 new, 0 updated); no badge emails were sent."),
        "{html}"
    );
    assert_eq!(count().await, 2);
    let (_, list) = get(&marketer, &app, &format!("/admin/events/{slug}")).await;
    assert!(
        list.contains("&#60;b&#62;Bob&#60;/b&#62;"),
        "escaped: {list}"
    );
}

async fn admins_manage_staff_accounts_with_passwords_shown_once(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (admin, admin_id) = signed_in(&app, "ada-admin", Role::Admin).await;
    // A newcomer finds the back office from the dashboard; marketers do not see it there.
    let (_, dashboard) = get(&admin, &app, "/admin").await;
    assert!(
        dashboard.contains("href=\"/admin/users\"")
            && dashboard.contains("href=\"/admin/events/new\""),
        "{dashboard}"
    );
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (_, dashboard) = get(&marketer, &app, "/admin").await;
    assert!(!dashboard.contains("/admin/users"), "{dashboard}");
    assert_eq!(get(&marketer, &app, "/admin/users").await.0, 403);
    let csrf = csrf_of(&admin, &app, "/admin/users").await;
    let (status, _, html) = post(
        &admin,
        &app,
        "/admin/users",
        &[("csrf", &csrf), ("username", "x"), ("role", "sales")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Username must be 3 to 64 characters."),
        "{html}"
    );
    let (status, _, html) = post(
        &admin,
        &app,
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "Sam.Sales"),
            ("display_name", "Sam <S>"),
            ("role", "sales"),
            ("email", "sam@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let marker = "id=\"one-time-password\">";
    let start = html.find(marker).expect("the password is shown") + marker.len();
    let password = html[start..start + 20].to_owned();
    assert!(html.contains("Sam &#60;S&#62;"), "{html}");
    let stored = app
        .ctx
        .store
        .accounts()
        .user_by_username("sam.sales")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(!stored.password_hash.contains(&password));
    let (again, _) = (get(&admin, &app, "/admin/users").await.1, ());
    assert!(!again.contains(&password), "shown once only");

    let sign_in = |user: &'static str, pw: String| {
        let app = &app;
        async move {
            let c = fresh_client();
            let csrf = csrf_of(&c, app, "/login").await;
            let r = c
                .post(app.url("/login"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", user),
                    ("password", &pw),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), c)
        }
    };
    let (status, sam) = sign_in("sam.sales", password.clone()).await;
    assert_eq!(status, 303);
    assert_eq!(
        get(&sam, &app, "/admin/users").await.0,
        403,
        "sales do not manage accounts"
    );

    let id = stored.id.to_string();
    let (status, _, _) = post(
        &admin,
        &app,
        &format!("/admin/users/{id}/role"),
        &[("csrf", &csrf), ("role", "marketer")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.ctx
            .store
            .accounts()
            .user_by_username("sam.sales")
            .await
            .unwrap()
            .unwrap()
            .role,
        "marketer"
    );
    assert_eq!(
        get(&sam, &app, "/admin/users").await.0,
        403,
        "marketers neither"
    );
    let (status, _, _) = post(
        &admin,
        &app,
        &format!("/admin/users/{id}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(status, 403, "no token");
    let sam_csrf = csrf_of(&sam, &app, "/due").await;
    let (status, _, _) = post(
        &sam,
        &app,
        &format!("/admin/users/{id}/role"),
        &[("csrf", &sam_csrf), ("role", "admin")],
    )
    .await;
    assert_eq!(status, 403, "nobody raises their own role");
    assert_eq!(
        app.ctx
            .store
            .accounts()
            .user_by_username("sam.sales")
            .await
            .unwrap()
            .unwrap()
            .role,
        "marketer"
    );

    // Disabled: signed out at once and refused at the login; enabled again: back in.
    let (status, _, _) = post(
        &admin,
        &app,
        &format!("/admin/users/{id}/disable"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_ne!(get(&sam, &app, "/due").await.0, 200);
    assert_eq!(sign_in("sam.sales", password.clone()).await.0, 401);
    let (status, _, _) = post(
        &admin,
        &app,
        &format!("/admin/users/{id}/enable"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(sign_in("sam.sales", password.clone()).await.0, 303);

    // A reset shows a new password once; the old one stops working.
    let (status, _, html) = post(
        &admin,
        &app,
        &format!("/admin/users/{id}/password"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 200);
    let start = html.find(marker).unwrap() + marker.len();
    let fresh = html[start..start + 20].to_owned();
    assert_ne!(fresh, password);
    assert_eq!(sign_in("sam.sales", password).await.0, 401);
    assert_eq!(sign_in("sam.sales", fresh).await.0, 303);

    // The last admin cannot be disabled or demoted.
    let (status, _, html) = post(
        &admin,
        &app,
        &format!("/admin/users/{admin_id}/disable"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("no enabled admin"), "{html}");
    let (status, _, _) = post(
        &admin,
        &app,
        &format!("/admin/users/{admin_id}/role"),
        &[("csrf", &csrf), ("role", "sales")],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        app.ctx
            .store
            .accounts()
            .user_by_username("ada-admin")
            .await
            .unwrap()
            .unwrap()
            .role,
        "admin"
    );
}

async fn marketers_export_leads_and_re_assign_them_in_bulk_all_or_none(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let leads_page = format!("/admin/events/{}/leads", f.slug);
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, &leads_page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("leads.csv") && html.contains("leads.json"),
        "{html}"
    );
    let csrf = extract_csrf(&html);

    // The files are the command line's export, byte for byte.
    for (ext, format) in [
        ("csv", badgetrail::leads::export::ExportFormat::Csv),
        ("json", badgetrail::leads::export::ExportFormat::Json),
    ] {
        let (status, body) = get(
            &marketer,
            &app,
            &format!("/admin/events/{}/leads.{ext}", f.slug),
        )
        .await;
        assert_eq!(status, 200);
        let mut expected = Vec::new();
        badgetrail::leads::export::export(&app.ctx.store, &f.event, format, &mut expected)
            .await
            .unwrap();
        assert_eq!(body.as_bytes(), expected.as_slice(), "{ext}");
    }
    let (sales, _) = signed_in(&app, "sid", Role::Sales).await;
    assert_eq!(
        get(&sales, &app, &format!("/admin/events/{}/leads.csv", f.slug))
            .await
            .0,
        403
    );

    // Ada (sally's) and Eve (not routed) go to sam, with a fresh deadline.
    let (ada, eve, ivy) = (
        f.ids[0].to_string(),
        f.ids[4].to_string(),
        f.ids[8].to_string(),
    );
    assert!(PEOPLE[8].tier.is_none(), "Ivy has no lead");
    let reassign = format!("{leads_page}/reassign");
    let sam = f.sam.to_string();
    let owners = || async {
        let mut v = Vec::new();
        for i in [0, 4] {
            let l = app
                .ctx
                .store
                .leads()
                .lead(f.event.id, f.ids[i])
                .await
                .unwrap()
                .unwrap();
            v.push((l.lead.owner_id, l.lead.due_at));
        }
        v
    };
    let before = owners().await;
    // One of the ticked is no lead: nothing moves.
    let (status, _, html) = post(
        &marketer,
        &app,
        &reassign,
        &[
            ("csrf", &csrf),
            ("lead", &ada),
            ("lead", &eve),
            ("lead", &ivy),
            ("owner", &sam),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("has no lead at this event; nothing was changed"),
        "{html}"
    );
    assert_eq!(owners().await, before);
    let (status, _, _) = post(
        &marketer,
        &app,
        &reassign,
        &[("lead", &ada), ("lead", &eve), ("owner", &sam)],
    )
    .await;
    assert_eq!(status, 403, "no token");
    let sales_csrf = csrf_of(&sales, &app, "/sales/leads").await;
    let (status, _, _) = post(
        &sales,
        &app,
        &reassign,
        &[("csrf", &sales_csrf), ("lead", &ada), ("owner", &sam)],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(owners().await, before);

    let (status, location, _) = post(
        &marketer,
        &app,
        &reassign,
        &[
            ("csrf", &csrf),
            ("lead", &ada),
            ("lead", &eve),
            ("owner", &sam),
            ("back", "tier=A"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("{leads_page}?tier=A&moved=2").as_str())
    );
    let now = jiff::Timestamp::now().as_millisecond();
    for (owner, due) in owners().await {
        assert_eq!(owner, Some(f.sam));
        assert!(
            due.unwrap() > now + 4 * 24 * 3600 * 1000,
            "a fresh deadline"
        );
    }
    let (_, html) = get(&marketer, &app, &format!("{leads_page}?moved=2")).await;
    assert!(html.contains("2 leads re-assigned"), "{html}");
}
