//! Each step of a scan group's try, on plain values.

use jiff::Timestamp;

use super::*;
use crate::{
    domain::door::scan::{BadgeCheck, Direction, Refusal},
    door::{ReportedScan, ScanBatch, prepare::PreparedScan},
    store::DeviceRecord,
};

fn t(hm: &str) -> Timestamp {
    format!("2026-05-12T{hm}Z").parse().unwrap()
}

/// Session 1 runs in room 10 from 09:00 to 10:00.
fn slots() -> Vec<SessionSlot> {
    vec![SessionSlot {
        session_id: 1,
        room_id: 10,
        starts_at: t("09:00"),
        ends_at: t("10:00"),
    }]
}

/// A scan: its nonce, the badge check's result (an attendee id or a refusal), its time.
type Scan<'a> = (&'a str, Result<i64, Refusal>, &'a str);

fn batch(device: i64, token: Option<&str>, received: &str, scans: &[Scan]) -> PreparedBatch {
    let reported = scans
        .iter()
        .map(|(nonce, _, at)| ReportedScan {
            nonce: (*nonce).to_owned(),
            badge: format!("badge-{nonce}"),
            device_time: t(at),
            direction: Direction::Entry,
            room: None,
        })
        .collect();
    let prepared = scans
        .iter()
        .map(|(nonce, check, at)| PreparedScan {
            badge: format!("badge-{nonce}"),
            check: check.map(|attendee_id| BadgeCheck { attendee_id }),
            room_id: Some(10),
            at: t(at),
        })
        .collect();
    PreparedBatch {
        device: DeviceRecord {
            id: device,
            event_id: 1,
            room_id: Some(10),
            name: format!("door {device}"),
            created_at: 0,
            paired_at: Some(0),
            revoked_at: None,
            last_seen_at: None,
            app_version: None,
            queue_size: None,
            clock_skew_ms: None,
        },
        token_hash: token.map(str::to_owned),
        batch: ScanBatch {
            sent_at: t(received),
            app_version: format!("v{device}"),
            queue_size: 0,
            scans: reported,
        },
        received: t(received),
        version: 1,
        scans: prepared,
    }
}

fn stored(nonce: &str, decision: &str, attendee_id: Option<i64>) -> ScanVerdict {
    ScanVerdict {
        nonce: nonce.into(),
        decision: crate::domain::dashboard::Decision::parse(decision).unwrap(),
        reason: None,
        session_id: Some(1),
        attendee_id,
    }
}

fn live(devices: &[(i64, Option<&str>)]) -> Live {
    devices
        .iter()
        .map(|(d, t)| (*d, t.map(str::to_owned)))
        .collect()
}

fn decisions<'a>(rows: &'a [NewScan<'a>]) -> Vec<(&'a str, &'a str, Option<&'a str>)> {
    rows.iter()
        .map(|r| (r.nonce, r.decision.as_str(), r.reason.map(|x| x.as_str())))
        .collect()
}

#[test]
fn only_pairs_without_a_known_verdict_are_read_again() {
    let jobs = [
        batch(
            1,
            Some("a"),
            "09:10",
            &[("n1", Ok(7), "09:10"), ("n2", Ok(8), "09:10")],
        ),
        batch(2, Some("b"), "09:10", &[("n1", Ok(9), "09:10")]),
    ];
    let earlier = Earlier::from([((1, "n1".to_owned()), stored("n1", "accepted", Some(7)))]);
    assert_eq!(unknown_pairs(&jobs, &earlier), [(1, "n2"), (2, "n1")]);
}

#[test]
fn the_contact_time_is_the_latest_arrival_and_each_device_token_reports_once() {
    let jobs = [
        batch(1, Some("a"), "09:10", &[]),
        batch(1, Some("a"), "09:12", &[]),
        batch(1, Some("rotated"), "09:11", &[]),
        batch(2, None, "09:05", &[]),
    ];
    let (earlier, rules, slots) = (Earlier::new(), ScanRules::default(), slots());
    let attempt = Attempt {
        jobs: &jobs,
        slots: &slots,
        earlier: &earlier,
        rules: &rules,
    };
    assert_eq!(attempt.now_ms(), t("09:12").as_millisecond());
    let mut contacts: Vec<(i64, Option<&str>)> = attempt
        .contacts()
        .iter()
        .map(|c| (c.device_id, c.token_hash))
        .collect();
    contacts.sort();
    assert_eq!(contacts, [(1, Some("a")), (1, Some("rotated")), (2, None)]);
}

#[test]
fn the_plan_skips_gone_devices_and_stored_scans_and_decides_a_repeated_nonce_once() {
    let jobs = [
        batch(
            1,
            Some("a"),
            "09:10",
            &[("n1", Ok(7), "09:10"), ("n2", Ok(8), "09:10")],
        ),
        batch(
            1,
            Some("a"),
            "09:11",
            &[
                ("n2", Ok(8), "09:10"),
                ("n3", Err(Refusal::Forged), "09:11"),
            ],
        ),
        batch(2, Some("old"), "09:11", &[("n1", Ok(9), "09:11")]),
    ];
    let earlier = Earlier::from([((1, "n1".to_owned()), stored("n1", "accepted", Some(7)))]);
    let (rules, slots) = (ScanRules::default(), slots());
    let attempt = Attempt {
        jobs: &jobs,
        slots: &slots,
        earlier: &earlier,
        rules: &rules,
    };
    let plan = attempt.plan(&live(&[(1, Some("a"))]));
    assert_eq!(
        plan.sources,
        [
            Some(vec![Source::Stored, Source::Decided(0)]),
            Some(vec![Source::Decided(0), Source::Decided(1)]),
            None,
        ]
    );
    assert_eq!(plan.todo, [(0, 1), (1, 1)]);
    assert_eq!(plan.facts.len(), 2);
    // Only the badge that checked out needs earlier accepted scans; the forged one is refused.
    assert_eq!(plan.lookup_pairs(), [(8, 1)]);
    // The badges to decide that checked out, and the admitted holder stored before.
    assert_eq!(attempt.name_ids(&plan), [7, 8]);
}

#[test]
fn lookups_read_each_attendee_and_session_once_for_both_directions() {
    let mut exit = batch(1, Some("a"), "09:20", &[("n2", Ok(7), "09:20")]);
    exit.batch.scans[0].direction = Direction::Exit;
    let jobs = [
        batch(1, Some("a"), "09:10", &[("n1", Ok(7), "09:10")]),
        exit,
    ];
    let (earlier, rules, slots) = (Earlier::new(), ScanRules::default(), slots());
    let attempt = Attempt {
        jobs: &jobs,
        slots: &slots,
        earlier: &earlier,
        rules: &rules,
    };
    let plan = attempt.plan(&live(&[(1, Some("a"))]));
    assert_eq!(plan.lookups.len(), 2);
    assert_eq!(plan.lookup_pairs(), [(7, 1)]);
    // The read returns both directions of the pair and scans of other pairs: only those
    // matching a lookup count.
    let accepted = vec![
        (7, 1, "entry".to_owned(), t("09:00").as_millisecond()),
        (7, 1, "exit".to_owned(), t("09:01").as_millisecond()),
        (7, 2, "entry".to_owned(), t("09:02").as_millisecond()),
    ];
    assert_eq!(plan.stored_accepted(accepted).len(), 2);
}

#[test]
fn rows_carry_their_decision_against_stored_and_earlier_scans_of_the_group() {
    let jobs = [batch(
        1,
        Some("a"),
        "09:30",
        &[
            ("n1", Ok(7), "09:10"),
            ("n2", Ok(7), "09:12"),
            ("n3", Ok(8), "09:30"),
            ("n4", Err(Refusal::Revoked), "09:30"),
            ("n5", Ok(9), "11:00"),
        ],
    )];
    let (earlier, rules, slots) = (Earlier::new(), ScanRules::default(), slots());
    let attempt = Attempt {
        jobs: &jobs,
        slots: &slots,
        earlier: &earlier,
        rules: &rules,
    };
    let plan = attempt.plan(&live(&[(1, Some("a"))]));
    // Attendee 8 was let in at 09:25 by another door.
    let accepted = vec![(8, 1, "entry".to_owned(), t("09:25").as_millisecond())];
    let rows = attempt.rows(&plan, accepted);
    assert_eq!(
        decisions(&rows),
        [
            ("n1", "accepted", None),
            ("n2", "duplicate", None),
            ("n3", "duplicate", None),
            ("n4", "refused", Some("revoked")),
            ("n5", "refused", Some("outside_session")),
        ]
    );
    assert_eq!(rows[0].session_id, Some(1));
    assert_eq!(rows[3].session_id, None);
    assert_eq!(rows[3].attendee_id, None);
    assert_eq!(rows[0].badge, "badge-n1");
    assert_eq!(rows[0].received_at, t("09:30").as_millisecond());
}

#[test]
fn verdicts_follow_each_batch_in_order_from_this_try_or_from_the_store() {
    let jobs = [
        batch(
            1,
            Some("a"),
            "09:10",
            &[("n1", Ok(7), "09:10"), ("n2", Ok(8), "09:10")],
        ),
        batch(1, Some("a"), "09:11", &[("n2", Ok(8), "09:10")]),
        batch(2, Some("old"), "09:11", &[("n9", Ok(9), "09:11")]),
    ];
    let earlier = Earlier::from([((1, "n1".to_owned()), stored("n1", "duplicate", Some(7)))]);
    let (rules, slots) = (ScanRules::default(), slots());
    let attempt = Attempt {
        jobs: &jobs,
        slots: &slots,
        earlier: &earlier,
        rules: &rules,
    };
    let plan = attempt.plan(&live(&[(1, Some("a"))]));
    let rows = attempt.rows(&plan, Vec::new());
    let verdicts = attempt.verdicts(&plan, &rows);
    let shown: Vec<Option<Vec<(&str, &str)>>> = verdicts
        .iter()
        .map(|b| {
            b.as_ref().map(|v| {
                v.iter()
                    .map(|v| (v.nonce.as_str(), v.decision.as_str()))
                    .collect()
            })
        })
        .collect();
    assert_eq!(
        shown,
        [
            Some(vec![("n1", "duplicate"), ("n2", "accepted")]),
            Some(vec![("n2", "accepted")]),
            None,
        ]
    );
    let v = &verdicts[0].as_ref().unwrap()[1];
    assert_eq!(
        (v.session_id, v.attendee_id, v.reason),
        (Some(1), Some(8), None)
    );
}
