//! Trails: hand-computed cases and the properties that hold whatever the order of scans.

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

/// Room 1: S1 09:00-10:00 and S2 10:00-11:00 back to back. Room 2: S3 09:30-10:30,
/// overlapping both. Room 3: S4 11:00-12:00.
fn programme() -> Vec<SessionSlot> {
    vec![
        slot(1, 1, "09:00", "10:00"),
        slot(2, 1, "10:00", "11:00"),
        slot(3, 2, "09:30", "10:30"),
        slot(4, 3, "11:00", "12:00"),
    ]
}

fn scan(direction: Direction, at: &str, session_id: i64) -> TrailScan {
    TrailScan {
        at: t(at),
        session_id,
        room_id: session_id * 10,
        direction,
    }
}

fn entry(at: &str, session_id: i64) -> TrailScan {
    scan(Direction::Entry, at, session_id)
}

fn exit(at: &str, session_id: i64) -> TrailScan {
    scan(Direction::Exit, at, session_id)
}

fn visit(session_id: i64, from: &str, to: &str, entry: EntryFrom, exit: ExitFrom) -> Visit {
    let (entered_at, left_at) = (t(from), t(to));
    Visit {
        session_id,
        entered_at,
        left_at,
        entry,
        exit,
        minutes: round_minutes(left_at.duration_since(entered_at).as_nanos()),
    }
}

fn trail(scans: &[TrailScan]) -> Vec<Visit> {
    build_trail(scans, &programme())
}

use EntryFrom::{EntryScan, SessionStart};
use ExitFrom::{EntryElsewhere, ExitScan, SessionEnd};

#[test]
fn entry_then_exit_is_one_visit() {
    let v = trail(&[entry("09:05", 1), exit("09:50", 1)]);
    assert_eq!(v, [visit(1, "09:05", "09:50", EntryScan, ExitScan)]);
    assert_eq!(v[0].minutes, 45);
}

#[test]
fn no_scans_no_visits() {
    assert_eq!(trail(&[]), []);
    assert_eq!(build_trail(&[entry("09:05", 1)], &[]), []);
}

#[test]
fn an_early_entry_counts_from_the_start() {
    let v = trail(&[entry("08:50", 1), exit("09:30", 1)]);
    assert_eq!(v, [visit(1, "09:00", "09:30", EntryScan, ExitScan)]);
}

#[test]
fn a_late_exit_is_clipped_and_the_session_end_closed_the_visit() {
    let v = trail(&[entry("09:10", 1), exit("10:05", 1)]);
    assert_eq!(v, [visit(1, "09:10", "10:00", EntryScan, SessionEnd)]);
    // An exit exactly at the end is the scan's doing.
    let v = trail(&[entry("09:10", 1), exit("10:00", 1)]);
    assert_eq!(v, [visit(1, "09:10", "10:00", EntryScan, ExitScan)]);
}

#[test]
fn a_visit_left_open_closes_at_the_session_end() {
    let v = trail(&[entry("09:10", 1)]);
    assert_eq!(v, [visit(1, "09:10", "10:00", EntryScan, SessionEnd)]);
    // Even an entry made after the end, in the grace window.
    let v = trail(&[entry("10:05", 1)]);
    assert_eq!(v, [visit(1, "10:00", "10:00", EntryScan, SessionEnd)]);
}

#[test]
fn an_entry_elsewhere_closes_the_open_visit() {
    let v = trail(&[entry("09:05", 1), entry("09:40", 3)]);
    assert_eq!(
        v,
        [
            visit(1, "09:05", "09:40", EntryScan, EntryElsewhere),
            visit(3, "09:40", "10:30", EntryScan, SessionEnd),
        ]
    );
}

#[test]
fn an_entry_elsewhere_after_the_session_ended_does_not_extend_it() {
    let v = trail(&[entry("09:05", 1), entry("11:02", 4)]);
    assert_eq!(
        v,
        [
            visit(1, "09:05", "10:00", EntryScan, SessionEnd),
            visit(4, "11:02", "12:00", EntryScan, SessionEnd),
        ]
    );
}

#[test]
fn a_double_entry_is_ignored() {
    let once = trail(&[entry("09:05", 1), exit("09:30", 1)]);
    let twice = trail(&[entry("09:05", 1), entry("09:07", 1), exit("09:30", 1)]);
    assert_eq!(once, twice);
}

#[test]
fn re_entry_is_a_second_visit() {
    let v = trail(&[
        entry("09:05", 1),
        exit("09:20", 1),
        entry("09:30", 1),
        exit("09:50", 1),
    ]);
    assert_eq!(
        v,
        [
            visit(1, "09:05", "09:20", EntryScan, ExitScan),
            visit(1, "09:30", "09:50", EntryScan, ExitScan),
        ]
    );
}

#[test]
fn an_exit_without_entry_counts_from_the_session_start() {
    let v = trail(&[exit("09:40", 1)]);
    assert_eq!(v, [visit(1, "09:00", "09:40", SessionStart, ExitScan)]);
}

#[test]
fn an_exit_without_entry_starts_after_an_overlapping_visit_elsewhere() {
    let v = trail(&[entry("09:35", 3), exit("09:45", 3), exit("09:55", 1)]);
    assert_eq!(
        v,
        [
            visit(3, "09:35", "09:45", EntryScan, ExitScan),
            visit(1, "09:45", "09:55", SessionStart, ExitScan),
        ]
    );
}

#[test]
fn a_second_exit_after_an_exit_infers_a_re_entry() {
    let v = trail(&[entry("09:05", 1), exit("09:20", 1), exit("09:40", 1)]);
    assert_eq!(
        v,
        [
            visit(1, "09:05", "09:20", EntryScan, ExitScan),
            visit(1, "09:20", "09:40", SessionStart, ExitScan),
        ]
    );
}

#[test]
fn an_exit_from_another_session_moves_the_attendee_at_its_start() {
    let v = trail(&[entry("09:35", 3), exit("10:50", 2)]);
    assert_eq!(
        v,
        [
            visit(3, "09:35", "10:00", EntryScan, EntryElsewhere),
            visit(2, "10:00", "10:50", SessionStart, ExitScan),
        ]
    );
}

#[test]
fn an_exit_from_a_session_that_began_earlier_moves_the_attendee_at_once() {
    // S1 started before the entry into S3, so the move is placed at that entry. Equal
    // entry times list by session id.
    let v = trail(&[entry("09:35", 3), exit("09:50", 1)]);
    assert_eq!(
        v,
        [
            visit(1, "09:35", "09:50", SessionStart, ExitScan),
            visit(3, "09:35", "09:35", EntryScan, EntryElsewhere),
        ]
    );
}

#[test]
fn back_to_back_sessions_in_one_room() {
    // In at the first, out at the second: both were attended.
    let v = trail(&[entry("08:58", 1), exit("10:55", 2)]);
    assert_eq!(
        v,
        [
            visit(1, "09:00", "10:00", EntryScan, EntryElsewhere),
            visit(2, "10:00", "10:55", SessionStart, ExitScan),
        ]
    );
    let v = trail(&[
        entry("08:58", 1),
        exit("10:00", 1),
        entry("10:00", 2),
        exit("11:00", 2),
    ]);
    assert_eq!(
        v,
        [
            visit(1, "09:00", "10:00", EntryScan, ExitScan),
            visit(2, "10:00", "11:00", EntryScan, ExitScan),
        ]
    );
}

#[test]
fn scans_of_unknown_sessions_are_ignored() {
    assert_eq!(trail(&[entry("09:05", 99), exit("09:30", 99)]), []);
    let v = trail(&[entry("09:05", 1), entry("09:30", 99), exit("09:40", 1)]);
    assert_eq!(v, [visit(1, "09:05", "09:40", EntryScan, ExitScan)]);
}

#[test]
fn arrival_order_does_not_matter() {
    let scans = [
        entry("09:05", 1),
        entry("09:40", 3),
        exit("10:20", 3),
        entry("11:01", 4),
    ];
    let mut reversed = scans;
    reversed.reverse();
    assert_eq!(trail(&scans), trail(&reversed));
    assert_eq!(trail(&scans).len(), 3);
}

#[test]
fn at_the_same_instant_exits_go_before_entries() {
    let expected = [
        visit(1, "09:05", "09:40", EntryScan, ExitScan),
        visit(3, "09:40", "10:30", EntryScan, SessionEnd),
    ];
    let a = trail(&[entry("09:05", 1), exit("09:40", 1), entry("09:40", 3)]);
    let b = trail(&[entry("09:40", 3), exit("09:40", 1), entry("09:05", 1)]);
    assert_eq!((a.as_slice(), b.as_slice()), (&expected[..], &expected[..]));
}

#[test]
fn an_exit_and_entry_at_one_instant_read_as_out_then_back_in() {
    let v = trail(&[entry("09:10", 1), exit("09:10", 1)]);
    assert_eq!(
        v,
        [
            visit(1, "09:00", "09:10", SessionStart, ExitScan),
            visit(1, "09:10", "10:00", EntryScan, SessionEnd),
        ]
    );
}

#[test]
fn zero_minute_visits_are_kept() {
    let v = trail(&[entry("09:10:00", 1), exit("09:10:20", 1)]);
    assert_eq!(v, [visit(1, "09:10:00", "09:10:20", EntryScan, ExitScan)]);
    assert_eq!(v[0].minutes, 0);
    // In and out before the start collapses onto the start.
    let v = trail(&[entry("08:50", 1), exit("08:55", 1)]);
    assert_eq!(v, [visit(1, "09:00", "09:00", EntryScan, ExitScan)]);
}

#[test]
fn minutes_round_to_nearest() {
    let m = |s: i64, ms: i64| {
        let d = SignedDuration::from_secs(s) + SignedDuration::from_millis(ms);
        round_minutes(d.as_nanos())
    };
    assert_eq!(m(29, 999), 0);
    assert_eq!(m(30, 0), 1);
    assert_eq!(m(89, 999), 1);
    assert_eq!(m(90, 0), 2);
    assert_eq!(m(-90, 0), 0);
    assert_eq!(round_minutes(i128::MAX / 2), u32::MAX);
}

#[test]
fn total_minutes_rounds_once() {
    let v = trail(&[
        entry("09:10:00", 1),
        exit("09:10:40", 1),
        entry("09:20:00", 1),
        exit("09:20:40", 1),
    ]);
    assert_eq!(v.iter().map(|v| v.minutes).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(total_minutes(&v), 1);
    assert_eq!(total_minutes(&[]), 0);
    let whole = trail(&[entry("09:05", 1), entry("09:40", 3)]);
    assert_eq!(total_minutes(&whole), 35 + 50);
}

#[test]
fn an_inverted_session_does_not_panic() {
    let bad = [slot(1, 1, "10:00", "09:00")];
    let v = build_trail(&[entry("09:30", 1), exit("09:40", 1)], &bad);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].minutes, 0);
}

// Properties over random programmes and scans, at whole-second times around a morning.

fn base() -> Timestamp {
    t("08:00")
}

fn sessions_strategy() -> impl Strategy<Value = Vec<SessionSlot>> {
    prop::collection::vec((1i64..=3, 0i64..240, 1i64..=120), 1..=5).prop_map(|v| {
        v.into_iter()
            .zip(1..)
            .map(|((room_id, start, len), session_id)| SessionSlot {
                session_id,
                room_id,
                starts_at: base() + SignedDuration::from_mins(start),
                ends_at: base() + SignedDuration::from_mins(start + len),
            })
            .collect()
    })
}

fn scans_strategy() -> impl Strategy<Value = Vec<TrailScan>> {
    // Minutes and seconds drawn separately so that equal instants are common.
    let one =
        (-20i64..400, 0i64..3, 1i64..=6, any::<bool>()).prop_map(|(m, s, id, in_)| TrailScan {
            at: base() + SignedDuration::from_secs(m * 60 + s * 20),
            session_id: id,
            room_id: id,
            direction: if in_ {
                Direction::Entry
            } else {
                Direction::Exit
            },
        });
    prop::collection::vec(one, 0..16)
}

proptest! {
    #[test]
    fn any_permutation_gives_the_same_trail(
        (sessions, scans, shuffled) in (sessions_strategy(), scans_strategy())
            .prop_flat_map(|(ss, sc)| (Just(ss), Just(sc.clone()), Just(sc).prop_shuffle()))
    ) {
        prop_assert_eq!(build_trail(&scans, &sessions), build_trail(&shuffled, &sessions));
    }

    #[test]
    fn visits_lie_in_their_sessions_and_never_overlap(
        sessions in sessions_strategy(),
        scans in scans_strategy(),
    ) {
        let visits = build_trail(&scans, &sessions);
        for v in &visits {
            let s = sessions.iter().find(|s| s.session_id == v.session_id).unwrap();
            prop_assert!(s.starts_at <= v.entered_at);
            prop_assert!(v.entered_at <= v.left_at);
            prop_assert!(v.left_at <= s.ends_at);
            prop_assert_eq!(
                v.minutes,
                round_minutes(v.left_at.duration_since(v.entered_at).as_nanos())
            );
        }
        prop_assert!(visits.is_sorted_by_key(|v| (v.entered_at, v.session_id)));
        let mut lasting: Vec<&Visit> = visits.iter().filter(|v| v.left_at > v.entered_at).collect();
        lasting.sort_by_key(|v| v.entered_at);
        for pair in lasting.windows(2) {
            prop_assert!(pair[0].left_at <= pair[1].entered_at, "{:?}", pair);
        }
    }

    #[test]
    fn total_minutes_never_exceed_the_sessions_attended(
        sessions in sessions_strategy(),
        scans in scans_strategy(),
    ) {
        let visits = build_trail(&scans, &sessions);
        let available: i64 = sessions
            .iter()
            .filter(|s| visits.iter().any(|v| v.session_id == s.session_id))
            .map(|s| s.ends_at.duration_since(s.starts_at).as_mins())
            .sum();
        prop_assert!(i64::from(total_minutes(&visits)) <= available);
    }

    #[test]
    fn a_repeated_entry_while_inside_changes_nothing(
        sessions in sessions_strategy(),
        scans in scans_strategy(),
        pick in any::<prop::sample::Index>(),
        later_ms in 0i64..600_000,
    ) {
        let key = |s: &TrailScan| (s.at, s.direction == Direction::Entry, s.session_id);
        let mut sorted = scans.clone();
        sorted.sort_by_key(key);
        let entries: Vec<usize> = (0..sorted.len())
            .filter(|&i| sorted[i].direction == Direction::Entry)
            .collect();
        prop_assume!(!entries.is_empty());
        let i = entries[pick.index(entries.len())];
        let first = sorted[i];
        let at = first.at + SignedDuration::from_millis(later_ms);
        // Nothing may be replayed between the entry and its repeat.
        prop_assume!(sorted[i + 1..].iter().all(|s| key(s) == key(&first) || s.at > at));
        let mut more = scans.clone();
        more.push(TrailScan { at, ..first });
        prop_assert_eq!(build_trail(&more, &sessions), build_trail(&scans, &sessions));
    }
}
