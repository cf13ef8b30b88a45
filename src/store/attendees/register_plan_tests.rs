//! What recording a registration writes, decided without a database.

use std::collections::HashSet;

use super::*;

const NOW: i64 = 1_800_000_000_000;

fn stored(consent: bool) -> Option<Stored> {
    Some(Stored {
        attendee_id: 7,
        marketing_consent: consent,
    })
}

fn options<'a>(send: bool, no_mail: &'a HashSet<String>) -> RegisterOptions<'a> {
    RegisterOptions {
        source: "import",
        send_badge_mail: send,
        existing: OnExisting::Update,
        no_badge_mail: no_mail,
    }
}

#[test]
fn a_registered_address_is_kept_only_when_registrations_keep_what_is_stored() {
    assert_eq!(kept(stored(true), OnExisting::Keep), Some(7));
    assert_eq!(kept(stored(true), OnExisting::Update), None);
    assert_eq!(kept(None, OnExisting::Keep), None);
    assert_eq!(kept(None, OnExisting::Update), None);
}

#[test]
fn a_kept_registration_resends_the_badge_email_at_most_once_an_hour() {
    assert!(resends_badge_mail(true, None, NOW));
    assert!(resends_badge_mail(
        true,
        Some(NOW - BADGE_MAIL_RESEND_MS),
        NOW
    ));
    assert!(!resends_badge_mail(
        true,
        Some(NOW - BADGE_MAIL_RESEND_MS + 1),
        NOW
    ));
    assert!(!resends_badge_mail(false, None, NOW));
}

#[test]
fn interests_become_topic_ids_in_their_order() {
    let topics = HashMap::from([("cloud".to_owned(), 3), ("data".to_owned(), 5)]);
    let interests = ["data".to_owned(), "cloud".to_owned()];
    assert_eq!(interest_topic_ids(&interests, &topics).unwrap(), vec![5, 3]);
    assert_eq!(interest_topic_ids(&[], &topics).unwrap(), Vec::<i64>::new());
}

#[test]
fn an_interest_the_event_has_no_topic_for_is_refused_by_name() {
    let topics = HashMap::from([("cloud".to_owned(), 3)]);
    let interests = ["cloud".to_owned(), "ai".to_owned()];
    let err = interest_topic_ids(&interests, &topics).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m == "'ai' is not a topic of this event"),
        "{err:?}"
    );
}

#[test]
fn consent_is_appended_when_a_newcomer_consents_or_a_stored_answer_changes() {
    assert!(consent_changed(None, true));
    assert!(!consent_changed(None, false));
    assert!(consent_changed(stored(false), true));
    assert!(consent_changed(stored(true), false));
    assert!(!consent_changed(stored(true), true));
    assert!(!consent_changed(stored(false), false));
}

#[test]
fn a_recorded_registration_mails_its_badge_unless_told_not_to() {
    let none = HashSet::new();
    let quiet = HashSet::from(["ana@example.com".to_owned()]);
    assert!(mails_badge(&options(true, &none), "ana@example.com"));
    assert!(!mails_badge(&options(true, &quiet), "ana@example.com"));
    assert!(mails_badge(&options(true, &quiet), "bo@example.com"));
    assert!(!mails_badge(&options(false, &none), "bo@example.com"));
}
