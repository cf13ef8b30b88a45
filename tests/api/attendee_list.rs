//! The attendee list on both databases: who was checked in and when (in the event's time
//! zone), and the list as CSV for the organiser's office, never for the door.

use badgetrail::domain::user::Role;

use crate::support::{
    app::{Db, spawn_app},
    staff::{get, signed_in},
    stored_leads::{PEOPLE, people},
};

crate::on_both_backends!(the_attendee_list_shows_check_in_and_exports_what_it_shows,);

async fn the_attendee_list_shows_check_in_and_exports_what_it_shows(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = people(&app, 0).await;
    let page = format!("/admin/events/{}", f.slug);
    let came = PEOPLE.iter().filter(|p| p.checked_in).count();
    let stayed_away = PEOPLE.len() - came;
    assert!(came > 0 && stayed_away > 0);

    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Checked in (Europe/Berlin)"), "{html}");
    // The fixture scans everyone who came into the opening keynote at 09:10 local time.
    assert_eq!(html.matches("2026-05-12 09:10").count(), came, "{html}");
    assert_eq!(html.matches("not yet").count(), stayed_away, "{html}");

    let (status, csv) = get(&marketer, &app, &format!("{page}/attendees.csv")).await;
    assert_eq!(status, 200);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "attendee_id,name,email,company,job_title,decision_role,purchase_stage,industry,\
         company_size,country,marketing_consent,registered_at,badge_serial,checked_in_at"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), PEOPLE.len(), "{csv}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.ends_with(",2026-05-12 09:10"))
            .count(),
        came,
        "{csv}"
    );
    // The search of the page applies to the file.
    let first = PEOPLE[0].name;
    let (_, one) = get(
        &marketer,
        &app,
        &format!("{page}/attendees.csv?q={}", first.replace(' ', "+")),
    )
    .await;
    assert_eq!(one.lines().count(), 2, "{one}");
    assert!(one.contains(first), "{one}");
    let (_, html) = get(&marketer, &app, &format!("{page}?q=Ada")).await;
    assert!(html.contains("attendees.csv?q=Ada"), "{html}");

    // Door staff see the list but cannot take it away; strangers are sent to sign in.
    let (door, _) = signed_in(&app, "dora", Role::Staff).await;
    let (status, html) = get(&door, &app, &page).await;
    assert_eq!(status, 200);
    assert!(!html.contains("attendees.csv"), "{html}");
    assert_eq!(
        get(&door, &app, &format!("{page}/attendees.csv")).await.0,
        403
    );
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = stranger
        .get(app.url(&format!("{page}/attendees.csv")))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status() == 401,
        "{}",
        r.status()
    );
}
