//! The staff dashboard on both databases: each figure of an event on now, read from a state
//! built by hand (people, scans now and long ago, accepted and refused, leads of every tier,
//! an overdue lead, a follow-up due, a campaign sending), and what each role sees.

use badgetrail::domain::leads::package::Tier;
use badgetrail::{
    domain::{attendee::Registration, door::scan::Direction, user::Role},
    door,
    registration::{self, Source},
    store::{BulkLoad, BulkScan, EventRecord, StoredLead},
};
use jiff::{SignedDuration, Timestamp};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app},
        campaign::{CAMPAIGN_FILE, campaign},
        door::{paired_device, seed_event_now},
        forms::registration_input,
        staff::{get, sales_user, signed_in},
        stored_leads::finish_build,
    },
};

on_both_backends!(
    each_figure_of_the_event_on_now_is_counted_and_links_to_its_page,
    door_staff_see_the_door_figures_only_and_sales_start_on_their_leads,
);

/// The text of the element with `id` (up to its first child tag).
fn figure(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap().trim().to_owned()
}

fn person(i: usize, known: &[&str]) -> Registration {
    Registration::parse(
        &registration_input(&format!("Person {i}"), &format!("p{i}@example.com"), true),
        known,
    )
    .unwrap()
}

/// The known state, on the demo event moved so that K1 (Main Hall) started ten minutes ago:
/// - 7 registered: 0-2 scanned into Main Hall a minute ago (accepted), 3 scanned in three
///   hours ago (accepted, long gone), 4-6 never scanned;
/// - 2 refused scans a minute ago and 1 refused scan three hours ago;
/// - leads: 0 A (sally, deadline two days ago, no feedback: overdue), 1 A (sally, feedback
///   six weeks ago whose next contact has come: due), 2 B, 3 C, 4 C, 5 X; 6 has no lead;
/// - one campaign sending (nothing sent yet) and one still a draft.
struct State {
    event: EventRecord,
    /// Messages the sending campaign queued.
    queued: i64,
}

async fn known_state(app: &TestApp) -> State {
    let event = seed_event_now(app).await;
    let now = Timestamp::now();
    let topics = app.ctx.store.events().event_topics(event.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let regs: Vec<Registration> = (0..7).map(|i| person(i, &known)).collect();
    let people = registration::record(&app.ctx, &event, &regs, Source::Import, false, now)
        .await
        .unwrap();
    let ids: Vec<i64> = people.iter().map(|p| p.attendee_id).collect();

    // A paired door in Main Hall: three entries and two unreadable badges a minute ago, and
    // an unreadable badge three hours ago (sent late, as an offline door does).
    let paired = paired_device(app, &event, Some("Main Hall"), "North door", now).await;
    let minute_ago = now - SignedDuration::from_secs(60);
    let long_ago = now - SignedDuration::from_hours(3);
    let scan = |nonce: &str, badge: &str, at: Timestamp| door::ReportedScan {
        nonce: nonce.into(),
        badge: badge.into(),
        device_time: at,
        direction: Direction::Entry,
        room: None,
    };
    let mut scans: Vec<door::ReportedScan> = people[..3]
        .iter()
        .enumerate()
        .map(|(i, p)| scan(&format!("in-{i}"), &p.token, minute_ago))
        .collect();
    scans.push(scan("bad-1", "not-a-badge", minute_ago));
    scans.push(scan("bad-2", "not-a-badge-either", minute_ago));
    scans.push(scan("bad-old", "not-a-badge", long_ago));
    let batch = door::ScanBatch {
        sent_at: now,
        app_version: "kiosk-test".into(),
        queue_size: 0,
        scans,
    };
    let verdicts = door::ingest_paired(&app.ctx, &paired, &batch, now)
        .await
        .unwrap();
    let decisions: Vec<&str> = verdicts.iter().map(|v| v.decision.as_str()).collect();
    assert_eq!(
        decisions,
        [
            "accepted", "accepted", "accepted", "refused", "refused", "refused"
        ]
    );
    // Person 3 came to the opening three hours ago (no session runs then, so the scan is
    // stored as the lead builder's bulk loader stores an accepted one).
    let rooms = app.ctx.store.door().kiosk_rooms(event.id).await.unwrap();
    let sessions = app.ctx.store.door().kiosk_sessions(event.id).await.unwrap();
    let import = app
        .ctx
        .store
        .door()
        .import_device(event.id, now)
        .await
        .unwrap();
    BulkLoad::into(&app.ctx.store)
        .scans(
            event.id,
            import,
            0,
            &[BulkScan {
                attendee_id: ids[3],
                room_id: rooms[0].id,
                session_id: sessions[0].id,
                entry: true,
                at: long_ago,
            }],
            now,
        )
        .await
        .unwrap();

    // Leads.
    let sally = sales_user(app, "sally").await;
    let tiers = ["A", "A", "B", "C", "C", "X"];
    let leads: Vec<StoredLead> = tiers
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(i, (tier, id))| StoredLead {
            attendee_id: *id,
            tier: Tier::parse(tier).unwrap(),
            top_topic: Some("big-data".into()),
            score: 90.0 - i as f64 * 10.0,
            engagement: 10.0,
            package: "{}".into(),
            owner_id: (i < 2).then_some(sally),
            due_at: match i {
                0 => Some((now - SignedDuration::from_hours(48)).as_millisecond()),
                1 => Some((now + SignedDuration::from_hours(48)).as_millisecond()),
                _ => None,
            },
            ..StoredLead::default()
        })
        .collect();
    let insight =
        badgetrail::domain::leads::insight::insight(&[], std::iter::empty::<&[&str]>(), 1);
    finish_build(app, &event, &leads, &insight).await;
    let six_weeks_ago = now - SignedDuration::from_hours(6 * 7 * 24);
    badgetrail::leads::feedback::record(
        &app.ctx,
        &event,
        ids[1],
        sally,
        "need_unclear",
        "Asked for the case study",
        six_weeks_ago,
    )
    .await
    .unwrap();

    // Campaigns: one sending, one draft.
    let sending = campaign(app, &event, "after-the-summit", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &sending, now)
        .await
        .unwrap();
    campaign(app, &event, "spring-webinar", CAMPAIGN_FILE).await;
    let progress = app
        .ctx
        .store
        .campaigns()
        .campaign_progress(sending.id)
        .await
        .unwrap();
    assert_eq!(progress.sent, 0);
    State {
        event,
        queued: progress.queued + progress.sending,
    }
}

async fn each_figure_of_the_event_on_now_is_counted_and_links_to_its_page(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let s = known_state(&app).await;
    let slug = s.event.info.slug.to_string();
    let (admin, _) = signed_in(&app, "ann", Role::Admin).await;
    let (status, html) = get(&admin, &app, "/admin").await;
    assert_eq!(status, 200);
    let f = |name: &str| figure(&html, &format!("{slug}-{name}"));

    assert!(
        html.contains(&format!(
            "class=\"event-card featured\" id=\"event-{slug}\""
        )),
        "the event on now is the featured card"
    );
    assert!(f("status").starts_with("On "), "{}", f("status"));
    assert_eq!(f("registered"), "7");
    assert_eq!(f("checked-in"), "4", "three now and one long ago");
    assert_eq!(f("in-rooms"), "3", "those who entered the keynote");
    // 3 accepted and 2 refused in the last 15 minutes; the scan three hours ago is not.
    assert_eq!(f("scans-per-minute"), "0.3");
    assert_eq!(f("scans"), "3 accepted, 2 refused in the last 15 min");
    assert_eq!(f("leads"), "6");
    for (tier, n) in [("A", "2"), ("B", "1"), ("C", "2"), ("X", "1")] {
        assert_eq!(f(&format!("tier-{tier}")), n, "tier {tier}");
    }
    assert_eq!(
        f("overdue"),
        "1",
        "A lead past its deadline without feedback"
    );
    assert_eq!(f("due"), "1", "the outcome whose next contact has come");
    assert_eq!(f("campaigns"), "1", "the draft is not in flight");
    let item = html
        .split(&format!("id=\"{slug}-campaign-after-the-summit\""))
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(
        item.contains("<span class=\"sent\">0</span> sent"),
        "{item}"
    );
    assert!(
        item.contains(&format!(
            "<span class=\"waiting\">{}</span> queued",
            s.queued
        )),
        "{item}"
    );
    assert!(s.queued > 0);
    assert!(!html.contains("spring-webinar\""), "no draft in flight");

    // Every figure leads to the page that explains it.
    let event = format!("/admin/events/{slug}");
    for href in [
        event.clone(),
        format!("{event}/live"),
        format!("{event}/leads?overdue=1"),
        format!("{event}/leads?tier=A"),
        format!("{event}/leads?tier=X"),
        format!("{event}/campaigns"),
        format!("{event}/campaigns/after-the-summit"),
        format!("{event}/devices"),
        "/due".to_owned(),
        "/admin/leads/calibration".to_owned(),
    ] {
        assert!(html.contains(&format!("href=\"{href}\"")), "link to {href}");
    }
    // Times carry their zone, and the list of every event is still there.
    assert!(html.contains(&format!("({})", s.event.info.time_zone)));
    assert!(html.contains("id=\"all-events\""));
    assert!(html.contains(&format!("href=\"/e/{slug}/register\"")));
}

async fn door_staff_see_the_door_figures_only_and_sales_start_on_their_leads(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let s = known_state(&app).await;
    let slug = s.event.info.slug.to_string();

    let (staff, _) = signed_in(&app, "stan", Role::Staff).await;
    let (status, html) = get(&staff, &app, "/admin").await;
    assert_eq!(status, 200);
    for name in ["registered", "checked-in", "in-rooms", "scans-per-minute"] {
        assert!(
            html.contains(&format!("id=\"{slug}-{name}\"")),
            "staff see {name}"
        );
    }
    assert_eq!(figure(&html, &format!("{slug}-checked-in")), "4");
    for name in ["leads", "tier-A", "overdue", "due", "campaigns"] {
        assert!(
            !html.contains(&format!("id=\"{slug}-{name}\"")),
            "staff do not see {name}"
        );
    }
    for hidden in ["/leads", "/campaigns", "href=\"/due\"", "Tier"] {
        assert!(!html.contains(hidden), "staff have no {hidden}");
    }
    for link in [
        format!("/admin/events/{slug}/devices"),
        format!("/admin/events/{slug}/live"),
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "staff: {link}");
    }

    // Marketers see leads and campaigns but not the door devices, which they may not open.
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, "/admin").await;
    assert_eq!(status, 200);
    assert_eq!(figure(&html, &format!("{slug}-tier-A")), "2");
    assert_eq!(figure(&html, &format!("{slug}-overdue")), "1");
    assert!(!html.contains("/devices\""));

    // Sales land on their own leads after signing in (`signed_in` checks the redirect) and
    // have no dashboard.
    let (sales, _) = signed_in(&app, "sid", Role::Sales).await;
    assert_eq!(get(&sales, &app, "/admin").await.0, 403);
}
