//! Occupancy: who is in which room now, estimated exits and fill levels, by hand and by property.

use proptest::prelude::*;

use super::*;

fn t(hm: &str) -> Timestamp {
    format!("2026-05-12T{hm}Z").parse().unwrap()
}

fn slot(session_id: i64, room_id: i64, from: &str, to: &str) -> SessionSlot {
    SessionSlot {
        session_id,
        room_id,
        starts_at: t(from),
        ends_at: t(to),
    }
}

/// Room 1: S1 09:00-10:00 then S2 10:00-11:00. Room 2: S3 09:30-10:30. Room 3: S4 11:00-12:00.
fn programme() -> Vec<SessionSlot> {
    vec![
        slot(1, 1, "09:00", "10:00"),
        slot(2, 1, "10:00", "11:00"),
        slot(3, 2, "09:30", "10:30"),
        slot(4, 3, "11:00", "12:00"),
    ]
}

fn rooms() -> Vec<RoomCapacity> {
    vec![
        RoomCapacity {
            room_id: 1,
            capacity: 10,
        },
        RoomCapacity {
            room_id: 2,
            capacity: 3,
        },
        RoomCapacity {
            room_id: 3,
            capacity: 0,
        },
    ]
}

fn room_of(session_id: i64) -> i64 {
    programme()
        .iter()
        .find(|s| s.session_id == session_id)
        .map_or(9, |s| s.room_id)
}

fn entry(attendee_id: i64, at: &str, session_id: i64) -> DoorScan {
    DoorScan {
        attendee_id,
        room_id: room_of(session_id),
        session_id,
        direction: Direction::Entry,
        at: t(at),
    }
}

fn exit(attendee_id: i64, at: &str, session_id: i64) -> DoorScan {
    DoorScan {
        direction: Direction::Exit,
        ..entry(attendee_id, at, session_id)
    }
}

fn at(scans: &[DoorScan], now: &str) -> Vec<RoomOccupancy> {
    occupancy(scans, &programme(), &rooms(), t(now))
}

/// (present, entries, exit scans, left for another room, session ended) of a room.
fn numbers(o: &[RoomOccupancy], room_id: i64) -> (u32, u32, u32, u32, u32) {
    let r = o.iter().find(|r| r.room_id == room_id).unwrap();
    (
        r.present,
        r.entries,
        r.exit_scans,
        r.left_for_other_room,
        r.session_ended,
    )
}

#[test]
fn entries_count_until_people_scan_out() {
    let scans = [
        entry(1, "09:05", 1),
        entry(2, "09:06", 1),
        entry(3, "09:07", 1),
        exit(2, "09:30", 1),
    ];
    let o = at(&scans, "09:40");
    assert_eq!(numbers(&o, 1), (2, 3, 1, 0, 0));
    assert_eq!(numbers(&o, 2), (0, 0, 0, 0, 0));
    assert_eq!(o.len(), 3, "every room is listed, scanned or not");
}

#[test]
fn entering_another_room_leaves_the_first() {
    let scans = [entry(1, "09:05", 1), entry(1, "09:35", 3)];
    let o = at(&scans, "09:40");
    assert_eq!(numbers(&o, 1), (0, 1, 0, 1, 0));
    assert_eq!(numbers(&o, 2), (1, 1, 0, 0, 0));
}

#[test]
fn people_whose_session_ended_are_gone() {
    // Attendee 1 came for S3 (ends 10:30); attendee 2 stays in room 1 for S2 by scanning again.
    let scans = [
        entry(1, "09:35", 3),
        entry(2, "09:05", 1),
        entry(2, "10:01", 2),
    ];
    let o = at(&scans, "10:30");
    assert_eq!(numbers(&o, 2), (0, 1, 0, 0, 1));
    assert_eq!(
        numbers(&o, 1),
        (1, 1, 0, 0, 0),
        "one entry: they never left"
    );
    // At 11:00 S2 has ended too.
    assert_eq!(numbers(&at(&scans, "11:00"), 1), (0, 1, 0, 0, 1));
}

#[test]
fn scans_after_now_do_not_count_yet() {
    let scans = [entry(1, "09:05", 1), exit(1, "09:50", 1)];
    assert_eq!(numbers(&at(&scans, "09:30"), 1), (1, 1, 0, 0, 0));
    assert_eq!(numbers(&at(&scans, "09:50"), 1), (0, 1, 1, 0, 0));
}

#[test]
fn an_exit_without_an_entry_changes_nothing() {
    let o = at(&[exit(1, "09:30", 1)], "09:40");
    assert_eq!(numbers(&o, 1), (0, 0, 0, 0, 0));
}

#[test]
fn scanning_out_of_another_room_leaves_the_first() {
    // Their entry into room 2 was never scanned, but they scanned out of it.
    let scans = [entry(1, "09:05", 1), exit(1, "09:50", 3)];
    let o = at(&scans, "09:55");
    assert_eq!(numbers(&o, 1), (0, 1, 0, 1, 0));
    assert_eq!(numbers(&o, 2), (0, 0, 0, 0, 0));
}

#[test]
fn re_entry_after_an_exit_counts_again_and_a_double_entry_does_not() {
    let scans = [
        entry(1, "09:05", 1),
        entry(1, "09:20", 1),
        exit(1, "09:30", 1),
        entry(1, "09:40", 1),
    ];
    let o = at(&scans, "09:45");
    assert_eq!(numbers(&o, 1), (1, 2, 1, 0, 0));
}

#[test]
fn an_exit_and_an_entry_at_the_same_instant_count_as_a_scanned_exit() {
    let scans = [
        entry(1, "09:35", 3),
        entry(1, "09:50", 1),
        exit(1, "09:50", 3),
    ];
    let o = at(&scans, "09:55");
    assert_eq!(numbers(&o, 2), (0, 1, 1, 0, 0));
    assert_eq!(numbers(&o, 1), (1, 1, 0, 0, 0));
}

#[test]
fn an_unknown_session_counts_as_ended() {
    let s = DoorScan {
        session_id: 99,
        ..entry(1, "09:05", 1)
    };
    assert_eq!(numbers(&at(&[s], "09:10"), 1), (0, 1, 0, 0, 1));
}

#[test]
fn fill_levels_follow_the_capacity() {
    assert_eq!(Fill::of(0, 10), Fill::Normal);
    assert_eq!(Fill::of(8, 10), Fill::Normal);
    assert_eq!(Fill::of(9, 10), Fill::NearFull);
    assert_eq!(Fill::of(10, 10), Fill::Full);
    assert_eq!(Fill::of(11, 10), Fill::Over);
    assert_eq!(Fill::of(539, 600), Fill::Normal);
    assert_eq!(Fill::of(540, 600), Fill::NearFull);
    assert_eq!(Fill::of(0, 0), Fill::Normal, "a room without capacity");
    assert_eq!(Fill::of(1, 0), Fill::Over);
    assert_eq!(
        Fill::of(u32::MAX - 1, u32::MAX),
        Fill::NearFull,
        "no overflow"
    );
    assert_eq!(Fill::of(u32::MAX, u32::MAX), Fill::Full);
}

#[test]
fn rooms_report_their_fill_and_percent() {
    let scans = [
        entry(1, "09:35", 3),
        entry(2, "09:35", 3),
        entry(3, "09:36", 3),
        entry(4, "09:37", 3),
    ];
    let o = at(&scans, "09:40");
    let r2 = o.iter().find(|r| r.room_id == 2).unwrap();
    assert_eq!(
        (r2.present, r2.fill, r2.percent()),
        (4, Fill::Over, Some(133))
    );
    let r3 = o.iter().find(|r| r.room_id == 3).unwrap();
    assert_eq!(r3.percent(), None);
}

#[test]
fn the_window_starts_at_the_earliest_session_not_yet_over() {
    let rules = ScanRules::default();
    // 09:40: S1 (from 09:00) is the earliest running; its grace starts at 08:45.
    assert_eq!(window_start(&programme(), t("09:40"), &rules), t("08:45"));
    // 10:40: S1 has ended; S3 (09:30) has not.
    assert_eq!(window_start(&programme(), t("10:20"), &rules), t("09:15"));
    // 11:30: only S4 is left.
    assert_eq!(window_start(&programme(), t("11:30"), &rules), t("10:45"));
    // Before anything starts the window is still no later than now.
    assert_eq!(window_start(&programme(), t("07:00"), &rules), t("07:00"));
    // After the last session nobody can be present.
    assert_eq!(window_start(&programme(), t("13:00"), &rules), t("13:00"));
}

fn arb_scan() -> impl Strategy<Value = DoorScan> {
    (
        1i64..6,
        prop::sample::select(vec![1i64, 2, 3, 4]),
        any::<bool>(),
        (8 * 60i64)..(13 * 60),
    )
        .prop_map(|(attendee_id, session_id, is_entry, minute)| DoorScan {
            attendee_id,
            room_id: room_of(session_id),
            session_id,
            direction: if is_entry {
                Direction::Entry
            } else {
                Direction::Exit
            },
            at: t("00:00") + jiff::SignedDuration::from_mins(minute),
        })
}

proptest! {
    #[test]
    fn present_is_entries_minus_exits_and_never_more_than_the_people(
        scans in prop::collection::vec(arb_scan(), 0..40),
        minute in (8 * 60i64)..(13 * 60),
    ) {
        let now = t("00:00") + jiff::SignedDuration::from_mins(minute);
        let o = occupancy(&scans, &programme(), &rooms(), now);
        let mut people: Vec<i64> = scans.iter().map(|s| s.attendee_id).collect();
        people.sort();
        people.dedup();
        let total: u32 = o.iter().map(|r| r.present).sum();
        prop_assert!(total as usize <= people.len());
        for r in &o {
            prop_assert_eq!(r.present + r.exit_scans + r.estimated_exits(), r.entries);
        }
    }

    #[test]
    fn the_order_scans_arrive_in_does_not_matter(
        scans in prop::collection::vec(arb_scan(), 0..40),
        minute in (8 * 60i64)..(13 * 60),
        seed in any::<u64>(),
    ) {
        let now = t("00:00") + jiff::SignedDuration::from_mins(minute);
        let mut shuffled = scans.clone();
        // A cheap deterministic shuffle: sort by a hash of the position.
        let mut keyed: Vec<(u64, DoorScan)> = shuffled
            .drain(..)
            .enumerate()
            .map(|(i, s)| ((i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15), s))
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<DoorScan> = keyed.into_iter().map(|(_, s)| s).collect();
        prop_assert_eq!(
            occupancy(&scans, &programme(), &rooms(), now),
            occupancy(&shuffled, &programme(), &rooms(), now)
        );
    }

    #[test]
    fn scans_before_the_window_do_not_change_who_is_present(
        scans in prop::collection::vec(arb_scan(), 0..40),
        minute in (8 * 60i64)..(13 * 60),
    ) {
        // Only scans a door could have accepted: inside their session's grace windows.
        let rules = ScanRules::default();
        let slots = programme();
        let admitted: Vec<DoorScan> = scans
            .into_iter()
            .filter(|s| slots.iter().any(|x| x.session_id == s.session_id && x.admits(s.at, &rules)))
            .collect();
        let now = t("00:00") + jiff::SignedDuration::from_mins(minute);
        let from = window_start(&slots, now, &rules);
        let recent: Vec<DoorScan> = admitted.iter().copied().filter(|s| s.at >= from).collect();
        let all = occupancy(&admitted, &slots, &rooms(), now);
        let windowed = occupancy(&recent, &slots, &rooms(), now);
        let present = |o: &[RoomOccupancy]| o.iter().map(|r| r.present).collect::<Vec<_>>();
        prop_assert_eq!(present(&all), present(&windowed));
    }
}
