//! Scan decisions: session resolution with grace windows, duplicates, direction and clock skew.

use super::*;

fn t(hm: &str) -> Timestamp {
    format!("2026-05-12T{hm}Z").parse().unwrap()
}

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

fn slot(session_id: i64, room_id: i64, from: &str, to: &str) -> SessionSlot {
    SessionSlot {
        session_id,
        room_id,
        starts_at: t(from),
        ends_at: t(to),
    }
}

/// Room 1: S1 09:00-10:00 then S2 10:00-11:00 back to back. Room 2: S3 09:30-10:30.
fn programme() -> Vec<SessionSlot> {
    vec![
        slot(1, 1, "09:00:00", "10:00:00"),
        slot(2, 1, "10:00:00", "11:00:00"),
        slot(3, 2, "09:30:00", "10:30:00"),
    ]
}

fn facts<'a>(slots: &'a [SessionSlot], room: i64, at: &str, direction: Direction) -> ScanFacts<'a> {
    ScanFacts {
        badge: Ok(BadgeCheck { attendee_id: 42 }),
        room_id: Some(room),
        at: t(at),
        direction,
        slots,
        previous_accepted: None,
    }
}

fn resolved(room: i64, at: &str) -> Option<i64> {
    resolve_session(&programme(), room, t(at), &ScanRules::default()).map(|s| s.session_id)
}

#[test]
fn names_round_trip() {
    for d in Direction::ALL {
        assert_eq!(Direction::parse(d.as_str()), Ok(d));
    }
    assert_eq!(Direction::parse(" EXIT "), Ok(Direction::Exit));
    assert!(Direction::parse("sideways").is_err());
    for r in Refusal::ALL {
        assert_eq!(Refusal::parse(r.as_str()), Ok(r));
        assert!(!r.message().is_empty());
    }
    assert!(Refusal::parse("bored").is_err());
}

#[test]
fn directions_use_their_names_on_the_wire() {
    use serde::{
        Deserialize,
        de::{IntoDeserializer, value::Error, value::StrDeserializer},
    };
    for d in Direction::ALL {
        let de: StrDeserializer<'_, Error> = d.as_str().into_deserializer();
        assert_eq!(Direction::deserialize(de), Ok(d));
    }
}

#[test]
fn default_rules() {
    let r = ScanRules::default();
    assert_eq!(r.grace_before_start, SignedDuration::from_mins(15));
    assert_eq!(r.grace_after_end, SignedDuration::from_mins(10));
    assert_eq!(r.duplicate_window, SignedDuration::from_mins(10));
}

#[test]
fn grace_before_start_includes_its_edge() {
    assert_eq!(resolved(2, "09:15:00"), Some(3));
    assert_eq!(resolved(2, "09:14:59"), None);
    assert_eq!(resolved(1, "08:45:00"), Some(1));
    assert_eq!(resolved(1, "08:44:59.999"), None);
}

#[test]
fn grace_after_end_includes_its_edge() {
    assert_eq!(resolved(2, "10:40:00"), Some(3));
    assert_eq!(resolved(2, "10:40:00.001"), None);
    assert_eq!(resolved(1, "11:10:00"), Some(2));
    assert_eq!(resolved(1, "11:10:01"), None);
}

#[test]
fn back_to_back_sessions_prefer_the_running_one() {
    assert_eq!(resolved(1, "09:50:00"), Some(1));
    assert_eq!(resolved(1, "09:59:59"), Some(1));
    // The end is exclusive: at the changeover the next session is the running one.
    assert_eq!(resolved(1, "10:00:00"), Some(2));
    assert_eq!(resolved(1, "10:09:00"), Some(2));
}

#[test]
fn in_a_gap_the_nearest_start_wins_and_ties_go_to_the_later_start() {
    let slots = [
        slot(1, 1, "09:00:00", "10:00:00"),
        slot(2, 1, "10:20:00", "11:00:00"),
    ];
    let at = |hm| resolve_session(&slots, 1, t(hm), &ScanRules::default()).map(|s| s.session_id);
    // 10:05 is in S1's grace after and S2's grace before; S2's start is nearer.
    assert_eq!(at("10:05:00"), Some(2));
    // Equidistant starts on both sides of the scan: the later one wins.
    let wide = ScanRules {
        grace_before_start: SignedDuration::from_hours(2),
        grace_after_end: SignedDuration::from_hours(2),
        ..ScanRules::default()
    };
    let gap = [
        slot(1, 1, "08:00:00", "08:30:00"),
        slot(2, 1, "10:00:00", "10:30:00"),
    ];
    let pick = resolve_session(&gap, 1, t("09:00:00"), &wide).unwrap();
    assert_eq!(pick.session_id, 2);
    let same_start = [
        slot(7, 1, "10:00:00", "10:30:00"),
        slot(5, 1, "10:00:00", "11:00:00"),
    ];
    let pick = resolve_session(&same_start, 1, t("10:10:00"), &wide).unwrap();
    assert_eq!(pick.session_id, 5);
}

#[test]
fn other_rooms_do_not_interfere() {
    // S3 in room 2 runs 09:30-10:30, overlapping both room-1 sessions.
    assert_eq!(resolved(2, "09:50:00"), Some(3));
    assert_eq!(resolved(2, "10:10:00"), Some(3));
    assert_eq!(resolved(1, "09:40:00"), Some(1));
    assert_eq!(resolved(3, "09:40:00"), None);
}

#[test]
fn each_refusal() {
    let slots = programme();
    let rules = ScanRules::default();
    for r in [
        Refusal::Malformed,
        Refusal::Forged,
        Refusal::WrongEvent,
        Refusal::Revoked,
    ] {
        let f = ScanFacts {
            badge: Err(r),
            ..facts(&slots, 1, "09:30:00", Direction::Entry)
        };
        assert_eq!(decide(&f, &rules), Decision::Refused(r));
        assert_eq!(needs_previous(&f, &rules), None);
    }
    let f = ScanFacts {
        room_id: None,
        ..facts(&slots, 1, "09:30:00", Direction::Entry)
    };
    assert_eq!(decide(&f, &rules), Decision::Refused(Refusal::UnknownRoom));
    let f = facts(&slots, 1, "07:00:00", Direction::Entry);
    assert_eq!(
        decide(&f, &rules),
        Decision::Refused(Refusal::OutsideSession)
    );
    assert_eq!(needs_previous(&f, &rules), None);
    assert_eq!(decide(&f, &rules).as_str(), "refused");
    assert_eq!(decide(&f, &rules).session_id(), None);
}

#[test]
fn the_badge_is_judged_before_the_room_and_the_room_before_the_session() {
    let slots = programme();
    let f = ScanFacts {
        badge: Err(Refusal::Revoked),
        room_id: None,
        ..facts(&slots, 1, "03:00:00", Direction::Entry)
    };
    assert_eq!(
        decide(&f, &ScanRules::default()),
        Decision::Refused(Refusal::Revoked)
    );
    let f = ScanFacts {
        room_id: None,
        ..facts(&slots, 1, "03:00:00", Direction::Entry)
    };
    assert_eq!(
        decide(&f, &ScanRules::default()),
        Decision::Refused(Refusal::UnknownRoom)
    );
}

#[test]
fn accepted_scans_name_their_session_and_what_to_look_up() {
    let slots = programme();
    let rules = ScanRules::default();
    let f = facts(&slots, 1, "10:00:00", Direction::Exit);
    assert_eq!(
        needs_previous(&f, &rules),
        Some(PreviousLookup {
            attendee_id: 42,
            session_id: 2,
            direction: Direction::Exit
        })
    );
    let d = decide(&f, &rules);
    assert_eq!(d, Decision::Accepted { session_id: 2 });
    assert_eq!((d.as_str(), d.session_id()), ("accepted", Some(2)));
}

#[test]
fn duplicate_window_excludes_its_edge() {
    let slots = programme();
    let rules = ScanRules::default();
    let with_previous = |at: &str, prev: &str| {
        decide(
            &ScanFacts {
                previous_accepted: Some(t(prev)),
                ..facts(&slots, 1, at, Direction::Entry)
            },
            &rules,
        )
    };
    let dup = Decision::Duplicate { session_id: 1 };
    assert_eq!(with_previous("09:20:00", "09:20:00"), dup);
    assert_eq!(with_previous("09:29:59", "09:20:00"), dup);
    assert_eq!(
        with_previous("09:30:00", "09:20:00"),
        Decision::Accepted { session_id: 1 }
    );
    // A late-synced device can deliver the earlier scan second.
    assert_eq!(with_previous("09:10:01", "09:20:00"), dup);
    assert_eq!(
        with_previous("09:10:00", "09:20:00"),
        Decision::Accepted { session_id: 1 }
    );
    assert_eq!(dup.as_str(), "duplicate");
    assert_eq!(dup.session_id(), Some(1));
}

#[test]
fn entry_and_exit_are_looked_up_separately() {
    // The caller looks up the previous scan per direction, so an exit right after an
    // entry arrives with no previous scan of its own and is accepted.
    let slots = programme();
    let rules = ScanRules::default();
    let entry = facts(&slots, 1, "09:20:00", Direction::Entry);
    let exit = facts(&slots, 1, "09:21:00", Direction::Exit);
    let lookup = |f: &ScanFacts<'_>| needs_previous(f, &rules).unwrap();
    assert_ne!(lookup(&entry), lookup(&exit));
    assert_eq!(lookup(&entry).session_id, lookup(&exit).session_id);
    assert_eq!(decide(&exit, &rules), Decision::Accepted { session_id: 1 });
}

#[test]
fn zero_duplicate_window_never_flags() {
    let slots = programme();
    let rules = ScanRules {
        duplicate_window: SignedDuration::ZERO,
        ..ScanRules::default()
    };
    let f = ScanFacts {
        previous_accepted: Some(t("09:20:00")),
        ..facts(&slots, 1, "09:20:00", Direction::Entry)
    };
    assert_eq!(decide(&f, &rules), Decision::Accepted { session_id: 1 });
}

#[test]
fn clock_skew_is_applied_both_ways() {
    // Device 90 s behind the server.
    assert_eq!(
        corrected_time(t("09:00:00"), t("09:58:30"), t("10:00:00")),
        t("09:01:30")
    );
    // Device 2 min ahead.
    assert_eq!(
        corrected_time(t("09:00:00"), t("10:02:00"), t("10:00:00")),
        t("08:58:00")
    );
    assert_eq!(
        corrected_time(t("09:00:00"), t("10:00:00"), t("10:00:00")),
        t("09:00:00")
    );
    // A device a minute slow would have its scan refused without the correction.
    let at = corrected_time(t("08:44:00"), t("10:00:00"), t("10:01:00"));
    let rules = ScanRules::default();
    assert_eq!(
        resolve_session(&programme(), 1, t("08:44:00"), &rules),
        None
    );
    assert_eq!(
        resolve_session(&programme(), 1, at, &rules).map(|s| s.session_id),
        Some(1)
    );
}

#[test]
fn absurd_clocks_saturate_instead_of_panicking() {
    assert_eq!(
        corrected_time(Timestamp::MAX, Timestamp::MIN, Timestamp::MAX),
        Timestamp::MAX
    );
    assert_eq!(
        corrected_time(Timestamp::MIN, Timestamp::MAX, Timestamp::MIN),
        Timestamp::MIN
    );
    let s = slot(1, 1, "09:00:00", "10:00:00");
    let huge = ScanRules {
        grace_before_start: secs(i64::MAX / 2),
        grace_after_end: secs(i64::MAX / 2),
        ..ScanRules::default()
    };
    assert!(s.admits(Timestamp::MIN, &huge));
    assert!(s.admits(Timestamp::MAX, &huge));
}
