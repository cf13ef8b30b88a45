//! A live update's read row: the packed scans and the newest scan's id split apart.

use super::*;
use crate::store::unpack_scans;

fn row(scans: Option<&str>) -> PersonRow {
    PersonRow {
        attendee: LeadAttendee {
            id: 7,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            answers: Default::default(),
        },
        interests: Some("3,5".into()),
        opens: 1,
        clicks: 0,
        before: LiveBefore {
            attendee_id: 7,
            live_tier: None,
            built_tier: None,
            owner_id: None,
        },
        scans: scans.map(str::to_owned),
    }
}

#[test]
fn the_newest_scan_id_comes_off_the_packed_scans() {
    let p = row(Some("1042/12:1:1700000000000,12:0:1700002700000"))
        .checked()
        .unwrap();
    assert_eq!(p.scan_seen, 1042);
    assert_eq!(p.scans, "12:1:1700000000000,12:0:1700002700000");
    assert_eq!(
        unpack_scans(&p.scans).collect::<Vec<_>>(),
        vec![
            (12, true, 1_700_000_000_000),
            (12, false, 1_700_002_700_000)
        ]
    );
    assert_eq!(p.interests, vec![3, 5]);
}

#[test]
fn a_person_without_accepted_scans_has_none_and_newest_id_zero() {
    let p = row(None).checked().unwrap();
    assert_eq!((p.scan_seen, p.scans.as_str()), (0, ""));
}

#[test]
fn a_packed_value_that_cannot_be_split_is_a_corrupt_store() {
    for bad in ["12:1:1700000000000", "x/12:1:1700000000000", "/12:1:1"] {
        assert!(
            matches!(row(Some(bad)).checked(), Err(StoreError::Corrupt(_))),
            "{bad}"
        );
    }
}
