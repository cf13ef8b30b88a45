//! Door decisions for a group of scans decided together: double scans are found against the
//! accepted scans already stored and against the group's own earlier scans, in one pass.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::door::scan::{
    Decision, PreviousLookup, ScanFacts, ScanRules, decide, needs_previous,
};

/// An accepted scan that is already stored, as the duplicate check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredAccepted {
    pub key: PreviousLookup,
    pub at: Timestamp,
}

/// Decides `scans` in order, as if each were decided alone right after the ones before it
/// were stored: a scan's previous accepted scan is the nearest in time among `stored` and
/// the group's earlier accepted scans with the same attendee, session and direction.
/// Every `ScanFacts` comes with `previous_accepted: None`; `stored` must hold the accepted
/// scans of every key that `needs_previous` gives for the group (others are ignored).
pub fn decide_group(
    scans: &[ScanFacts<'_>],
    stored: &[StoredAccepted],
    rules: &ScanRules,
) -> Vec<Decision> {
    let mut accepted: HashMap<PreviousLookup, Vec<Timestamp>> = HashMap::new();
    for s in stored {
        accepted.entry(s.key).or_default().push(s.at);
    }
    scans
        .iter()
        .map(|facts| {
            let Some(key) = needs_previous(facts, rules) else {
                return decide(facts, rules);
            };
            let times = accepted.entry(key).or_default();
            let nearest = times
                .iter()
                .copied()
                .min_by_key(|t| facts.at.duration_since(*t).abs());
            let decision = decide(
                &ScanFacts {
                    previous_accepted: nearest,
                    ..*facts
                },
                rules,
            );
            if matches!(decision, Decision::Accepted { .. }) {
                times.push(facts.at);
            }
            decision
        })
        .collect()
}

/// The keys whose stored accepted scans `decide_group` needs, without repeats.
pub fn lookups(scans: &[ScanFacts<'_>], rules: &ScanRules) -> Vec<PreviousLookup> {
    let mut keys: Vec<PreviousLookup> = scans
        .iter()
        .filter_map(|f| needs_previous(f, rules))
        .collect();
    keys.sort_by_key(|k| {
        (
            k.attendee_id,
            k.session_id,
            k.direction == super::scan::Direction::Exit,
        )
    });
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::door::scan::{BadgeCheck, Direction, Refusal, SessionSlot};

    fn t(hm: &str) -> Timestamp {
        format!("2026-05-12T{hm}Z").parse().unwrap()
    }

    fn slots() -> Vec<SessionSlot> {
        vec![
            SessionSlot {
                session_id: 1,
                room_id: 10,
                starts_at: t("09:00"),
                ends_at: t("10:00"),
            },
            SessionSlot {
                session_id: 2,
                room_id: 20,
                starts_at: t("09:00"),
                ends_at: t("10:00"),
            },
        ]
    }

    fn facts<'a>(
        slots: &'a [SessionSlot],
        attendee: i64,
        room: i64,
        at: Timestamp,
        direction: Direction,
    ) -> ScanFacts<'a> {
        ScanFacts {
            badge: Ok(BadgeCheck {
                attendee_id: attendee,
            }),
            room_id: Some(room),
            at,
            direction,
            slots,
            previous_accepted: None,
        }
    }

    fn names(d: &[Decision]) -> Vec<&'static str> {
        d.iter().map(Decision::as_str).collect()
    }

    #[test]
    fn doubles_inside_the_group_are_found() {
        let s = slots();
        let rules = ScanRules::default();
        let group = [
            facts(&s, 1, 10, t("09:05"), Direction::Entry),
            facts(&s, 1, 10, t("09:06"), Direction::Entry),
            facts(&s, 2, 10, t("09:06"), Direction::Entry),
            facts(&s, 1, 10, t("09:30"), Direction::Entry),
            facts(&s, 1, 10, t("09:31"), Direction::Exit),
            facts(&s, 1, 20, t("09:31"), Direction::Entry),
        ];
        assert_eq!(
            names(&decide_group(&group, &[], &rules)),
            [
                "accepted",
                "duplicate",
                "accepted",
                "accepted",
                "accepted",
                "accepted"
            ]
        );
    }

    #[test]
    fn doubles_of_stored_scans_are_found_either_side_in_time() {
        let s = slots();
        let rules = ScanRules::default();
        let key = PreviousLookup {
            attendee_id: 1,
            session_id: 1,
            direction: Direction::Entry,
        };
        let stored = [StoredAccepted {
            key,
            at: t("09:20"),
        }];
        let group = [
            facts(&s, 1, 10, t("09:11"), Direction::Entry),
            facts(&s, 1, 10, t("09:29"), Direction::Entry),
            facts(&s, 1, 10, t("09:30"), Direction::Entry),
            facts(&s, 1, 10, t("09:10"), Direction::Entry),
        ];
        // 09:30 is exactly the window away from 09:20: it counts again; 09:10 is then a
        // window away from 09:20 too, and accepted.
        assert_eq!(
            names(&decide_group(&group, &stored, &rules)),
            ["duplicate", "duplicate", "accepted", "accepted"]
        );
    }

    #[test]
    fn refused_scans_need_no_lookup_and_count_for_nothing() {
        let s = slots();
        let rules = ScanRules::default();
        let mut forged = facts(&s, 1, 10, t("09:05"), Direction::Entry);
        forged.badge = Err(Refusal::Forged);
        let group = [
            forged,
            facts(&s, 1, 10, t("09:06"), Direction::Entry),
            facts(&s, 1, 10, t("11:00"), Direction::Entry),
        ];
        assert_eq!(
            decide_group(&group, &[], &rules),
            [
                Decision::Refused(Refusal::Forged),
                Decision::Accepted { session_id: 1 },
                Decision::Refused(Refusal::OutsideSession)
            ]
        );
        assert_eq!(
            lookups(&group, &rules),
            [PreviousLookup {
                attendee_id: 1,
                session_id: 1,
                direction: Direction::Entry
            }]
        );
    }

    proptest! {
        /// Deciding a group at once gives what deciding each scan alone, one after the
        /// other, gives when the nearest accepted scan is looked up among all stored ones.
        #[test]
        fn a_group_decides_like_scans_one_by_one(
            stored in prop::collection::vec((1i64..4, any::<bool>(), 0i64..60), 0..6),
            group in prop::collection::vec((1i64..4, any::<bool>(), any::<bool>(), 0i64..70), 0..30),
        ) {
            let s = slots();
            let rules = ScanRules::default();
            let minute = |m: i64| t("09:00") + SignedDuration::from_mins(m);
            let dir = |exit: bool| if exit { Direction::Exit } else { Direction::Entry };
            let stored: Vec<StoredAccepted> = stored
                .into_iter()
                .map(|(a, exit, m)| StoredAccepted {
                    key: PreviousLookup { attendee_id: a, session_id: 1, direction: dir(exit) },
                    at: minute(m),
                })
                .collect();
            let group: Vec<ScanFacts> = group
                .into_iter()
                .map(|(a, exit, other_room, m)| {
                    facts(&s, a, if other_room { 20 } else { 10 }, minute(m), dir(exit))
                })
                .collect();
            let together = decide_group(&group, &stored, &rules);
            let mut all = stored.clone();
            for (f, got) in group.iter().zip(&together) {
                let nearest = needs_previous(f, &rules).and_then(|key| {
                    all.iter()
                        .filter(|x| x.key == key)
                        .map(|x| x.at)
                        .min_by_key(|at| f.at.duration_since(*at).abs())
                });
                let alone = decide(&ScanFacts { previous_accepted: nearest, ..*f }, &rules);
                prop_assert_eq!(alone, *got);
                if let (Decision::Accepted { .. }, Some(key)) = (alone, needs_previous(f, &rules)) {
                    all.push(StoredAccepted { key, at: f.at });
                }
            }
        }
    }
}
