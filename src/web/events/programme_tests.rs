//! The programme page's view, built from a programme and a refused change.

use super::*;
use crate::domain::{
    programme::{Session, TopicWeight},
    slug::Slug,
    user::Role,
};

fn user(role: Role) -> CurrentUser {
    CurrentUser {
        id: 1,
        username: "ada".into(),
        display_name: "Ada".into(),
        role,
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn session(id: &str, room: &str, topics: &[(&str, f64)]) -> Session {
    Session {
        id: id.into(),
        title: format!("Title of {id}"),
        room: room.into(),
        starts_at: "2026-05-12T07:00:00Z".parse().unwrap(),
        ends_at: "2026-05-12T07:45:00Z".parse().unwrap(),
        kind: SessionKind::Panel,
        topics: topics
            .iter()
            .map(|(t, weight)| TopicWeight {
                topic: slug(t),
                weight: *weight,
            })
            .collect(),
        speakers: vec!["Ana Diaz".into(), "Bo Li".into()],
    }
}

fn programme() -> Programme {
    let mut p = crate::domain::programme::devconf();
    p.sessions = vec![
        session("s1", "Main Hall", &[("cloud", 1.0), ("ai", 0.5)]),
        session("s2", "Main Hall", &[("cloud", 1.0)]),
    ];
    p
}

fn shown(failure: Option<Failure>) -> Shown {
    Shown {
        done: None,
        warnings: Vec::new(),
        failure,
    }
}

fn view(role: Role, failure: Option<Failure>) -> ProgrammePage {
    let p = programme();
    let tz = p.event.tz().unwrap();
    programme_view(user(role), "t0k".into(), "devconf", &p, &tz, shown(failure))
}

fn refused(part: &'static str, key: &str, form: ChangeForm) -> Option<Failure> {
    Some(Failure {
        part,
        key: key.into(),
        problems: vec!["Name: already taken.".into()],
        form,
    })
}

#[test]
fn the_page_names_the_event_its_dates_and_zone() {
    let page = view(Role::Admin, None);
    assert_eq!(page.event_name, "DevConf");
    assert_eq!(page.slug, "devconf");
    assert_eq!(page.dates, "12-13 May 2026");
    assert_eq!(page.venue, "Messe");
    assert_eq!(page.time_zone, "Europe/Berlin");
    assert_eq!(page.room_names, ["Main Hall", "Lab"]);
    assert_eq!(
        page.kinds,
        ["keynote", "talk", "workshop", "panel", "other"]
    );
}

#[test]
fn only_a_role_that_may_edit_the_setup_gets_the_forms() {
    assert!(view(Role::Admin, None).can_edit);
    assert!(!view(Role::Marketer, None).can_edit);
}

#[test]
fn each_topic_and_room_counts_the_sessions_that_refer_to_it() {
    let page = view(Role::Admin, None);
    let topics: Vec<_> = page
        .topics
        .iter()
        .map(|t| (t.slug.as_str(), t.name.as_str(), t.sessions))
        .collect();
    assert_eq!(
        topics,
        [
            ("cloud", "Cloud platforms", 2),
            ("ai", "Machine learning", 1)
        ]
    );
    let rooms: Vec<_> = page
        .rooms
        .iter()
        .map(|r| (r.name.as_str(), r.capacity.as_str(), r.sessions))
        .collect();
    assert_eq!(rooms, [("Main Hall", "400", 2), ("Lab", "30", 0)]);
    assert!(page.topics.iter().all(|t| t.problems.is_empty()));
}

#[test]
fn a_session_shows_when_and_where_in_the_event_zone_and_its_fields_as_a_csv_row() {
    let page = view(Role::Admin, None);
    let s1 = &page.sessions[0];
    assert_eq!(s1.when, "Tue 2026-05-12 09:00-09:45, Main Hall");
    assert_eq!(s1.fields.session_id, "s1");
    assert_eq!(s1.fields.starts_at, "2026-05-12T09:00");
    assert_eq!(s1.fields.ends_at, "2026-05-12T09:45");
    assert_eq!(s1.fields.kind, "panel");
    assert_eq!(s1.fields.topics, "cloud; ai:0.5");
    assert_eq!(s1.fields.speakers, "Ana Diaz; Bo Li");
}

#[test]
fn with_nothing_refused_the_new_forms_are_empty_and_a_new_session_is_a_talk_in_the_first_room() {
    let page = view(Role::Admin, None);
    assert_eq!(page.new_topic, (String::new(), String::new()));
    assert_eq!(page.new_room, (String::new(), String::new()));
    assert_eq!(page.new_session.kind, "talk");
    assert_eq!(page.new_session.room, "Main Hall");
    assert_eq!(page.new_session.title, "");
    assert!(page.upload_problems.is_empty());
    assert!(page.new_topic_problems.is_empty());
    assert!(page.new_room_problems.is_empty());
    assert!(page.new_session_problems.is_empty());
}

#[test]
fn a_refused_room_change_shows_what_was_typed_beside_that_room_only() {
    let form = ChangeForm {
        name: "Lab 2".into(),
        capacity: "-3".into(),
        ..ChangeForm::default()
    };
    let page = view(Role::Admin, refused("room", "Lab", form));
    assert_eq!(page.rooms[1].name, "Lab 2");
    assert_eq!(page.rooms[1].capacity, "-3");
    assert_eq!(page.rooms[1].problems, ["Name: already taken."]);
    assert_eq!(page.rooms[0].name, "Main Hall");
    assert!(page.rooms[0].problems.is_empty());
    assert!(page.new_room_problems.is_empty());
    assert_eq!(page.new_room, (String::new(), String::new()));
    assert!(page.topics.iter().all(|t| t.problems.is_empty()));
}

#[test]
fn a_refused_topic_change_shows_the_typed_name_beside_that_topic() {
    let form = ChangeForm {
        slug: "cloud".into(),
        name: "".into(),
        ..ChangeForm::default()
    };
    let page = view(Role::Admin, refused("topic", "cloud", form));
    assert_eq!(page.topics[0].name, "");
    assert_eq!(page.topics[0].problems, ["Name: already taken."]);
    assert_eq!(page.topics[1].name, "Machine learning");
}

#[test]
fn a_refused_new_item_keeps_what_was_typed_in_its_new_form() {
    let form = ChangeForm {
        slug: "iot".into(),
        name: "Things".into(),
        ..ChangeForm::default()
    };
    let page = view(Role::Admin, refused("topic", "", form));
    assert_eq!(page.new_topic, ("iot".to_owned(), "Things".to_owned()));
    assert_eq!(page.new_topic_problems, ["Name: already taken."]);
    assert!(page.new_room_problems.is_empty());

    let form = ChangeForm {
        session: SessionFields {
            title: "Typed title".into(),
            room: "Lab".into(),
            kind: "workshop".into(),
            ..SessionFields::default()
        },
        ..ChangeForm::default()
    };
    let page = view(Role::Admin, refused("session", "", form));
    assert_eq!(page.new_session.title, "Typed title");
    assert_eq!(page.new_session.room, "Lab");
    assert_eq!(page.new_session.kind, "workshop");
    assert_eq!(page.new_session_problems, ["Name: already taken."]);
}

#[test]
fn a_refused_session_change_keeps_the_typed_fields_under_the_stored_id() {
    let form = ChangeForm {
        session: SessionFields {
            session_id: "renamed".into(),
            title: "New title".into(),
            ..SessionFields::default()
        },
        ..ChangeForm::default()
    };
    let page = view(Role::Admin, refused("session", "s2", form));
    assert_eq!(page.sessions[1].fields.session_id, "s2");
    assert_eq!(page.sessions[1].fields.title, "New title");
    assert_eq!(page.sessions[1].problems, ["Name: already taken."]);
    assert_eq!(page.sessions[0].fields.title, "Title of s1");
    assert_eq!(page.new_session.kind, "talk");
}

#[test]
fn upload_problems_show_with_the_upload_form() {
    let page = view(Role::Admin, refused("upload", "", ChangeForm::default()));
    assert_eq!(page.upload_problems, ["Name: already taken."]);
    assert!(page.new_topic_problems.is_empty());
    assert_eq!(page.new_session.kind, "talk");
}

#[test]
fn what_was_done_and_the_warnings_are_shown_as_given() {
    let p = programme();
    let tz = p.event.tz().unwrap();
    let shown = Shown {
        done: done_words("room"),
        warnings: vec![csv_reminder()],
        failure: None,
    };
    let page = programme_view(user(Role::Admin), "t0k".into(), "devconf", &p, &tz, shown);
    assert_eq!(page.done.as_deref(), Some("The room was saved."));
    assert_eq!(page.warnings, [csv_reminder()]);
    assert_eq!(page.csrf, "t0k");
}
