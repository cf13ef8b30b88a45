//! Live room occupancy: who is in which room now, from accepted door scans, with estimated exits.
//!
//! Doors see entries far more reliably than exits: people walk out without scanning. So an
//! attendee counts as gone from a room when they scan out of it, when they enter another
//! room, or when the session they entered for has ended. What is left is an estimate of
//! the people in each room now, and every number it is built from is kept beside it so the
//! page can say how much is scanned and how much estimated.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::door::scan::{Direction, ScanRules, SessionSlot};

/// At or above this share of its capacity a room is shown as nearly full.
pub const NEAR_FULL_PERCENT: u32 = 90;

/// An accepted door scan, as occupancy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorScan {
    pub attendee_id: i64,
    pub room_id: i64,
    pub session_id: i64,
    pub direction: Direction,
    /// The scan time on the server's clock.
    pub at: Timestamp,
}

/// A room and how many people it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomCapacity {
    pub room_id: i64,
    pub capacity: u32,
}

/// How full a room is against its capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// Below `NEAR_FULL_PERCENT`.
    Normal,
    /// From `NEAR_FULL_PERCENT` up to, not including, the capacity.
    NearFull,
    /// Exactly at the capacity: nobody else may come in.
    Full,
    /// More people than the capacity allows.
    Over,
}

impl Fill {
    pub fn of(present: u32, capacity: u32) -> Fill {
        if present > capacity {
            Fill::Over
        } else if capacity > 0 && present == capacity {
            Fill::Full
        } else if capacity > 0
            && u64::from(present) * 100 >= u64::from(capacity) * u64::from(NEAR_FULL_PERCENT)
        {
            Fill::NearFull
        } else {
            Fill::Normal
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Fill::Normal => "normal",
            Fill::NearFull => "near_full",
            Fill::Full => "full",
            Fill::Over => "over",
        }
    }

    /// Plain words for staff.
    pub fn label(self) -> &'static str {
        match self {
            Fill::Normal => "",
            Fill::NearFull => "Nearly full",
            Fill::Full => "Full",
            Fill::Over => "Over capacity",
        }
    }
}

/// One room now. `present == entries - exit_scans - left_for_other_room - session_ended`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomOccupancy {
    pub room_id: i64,
    pub capacity: u32,
    /// People estimated to be in the room now.
    pub present: u32,
    /// Times someone came in (an entry scan while not already in this room).
    pub entries: u32,
    /// People who scanned out.
    pub exit_scans: u32,
    /// People who left without scanning out: they entered (or scanned out of) another room.
    pub left_for_other_room: u32,
    /// People who left without scanning out: the session they came for has ended.
    pub session_ended: u32,
    pub fill: Fill,
}

impl RoomOccupancy {
    pub fn estimated_exits(&self) -> u32 {
        self.left_for_other_room + self.session_ended
    }

    /// Share of the capacity taken, rounded down; `None` for a room without a capacity.
    pub fn percent(&self) -> Option<u32> {
        (self.capacity > 0)
            .then(|| (u64::from(self.present) * 100 / u64::from(self.capacity)) as u32)
    }
}

/// Where one attendee is believed to be.
#[derive(Debug, Clone, Copy)]
struct Place {
    room_id: i64,
    session_id: i64,
}

#[derive(Default)]
struct Counts {
    entries: u32,
    exit_scans: u32,
    left_for_other_room: u32,
    session_ended: u32,
}

/// The occupancy of every room in `rooms` (in that order) at `now`, from accepted scans.
/// Scans after `now` are ignored; the input order does not matter. Scans at the same
/// instant are taken exits first, so someone scanning out of one room and into the next at
/// once is counted as a scanned exit.
pub fn occupancy(
    scans: &[DoorScan],
    slots: &[SessionSlot],
    rooms: &[RoomCapacity],
    now: Timestamp,
) -> Vec<RoomOccupancy> {
    let mut ordered: Vec<&DoorScan> = scans.iter().filter(|s| s.at <= now).collect();
    ordered.sort_by_key(|s| {
        (
            s.attendee_id,
            s.at,
            s.direction == Direction::Entry,
            s.room_id,
            s.session_id,
        )
    });
    let mut counts: HashMap<i64, Counts> = HashMap::new();
    let mut places: HashMap<i64, Option<Place>> = HashMap::new();
    for s in ordered {
        let place = places.entry(s.attendee_id).or_insert(None);
        match (s.direction, *place) {
            (Direction::Entry, Some(p)) if p.room_id == s.room_id => {
                // Back through the same door, or staying on for the room's next session.
                *place = Some(Place {
                    room_id: s.room_id,
                    session_id: s.session_id,
                });
            }
            (Direction::Entry, previous) => {
                if let Some(p) = previous {
                    counts.entry(p.room_id).or_default().left_for_other_room += 1;
                }
                counts.entry(s.room_id).or_default().entries += 1;
                *place = Some(Place {
                    room_id: s.room_id,
                    session_id: s.session_id,
                });
            }
            (Direction::Exit, Some(p)) if p.room_id == s.room_id => {
                counts.entry(p.room_id).or_default().exit_scans += 1;
                *place = None;
            }
            (Direction::Exit, Some(p)) => {
                // Scanned out of a room we did not see them enter: they left the last one.
                counts.entry(p.room_id).or_default().left_for_other_room += 1;
                *place = None;
            }
            (Direction::Exit, None) => {}
        }
    }
    let ends: HashMap<i64, Timestamp> = slots.iter().map(|s| (s.session_id, s.ends_at)).collect();
    let mut present: HashMap<i64, u32> = HashMap::new();
    for p in places.values().flatten() {
        // A session missing from the programme has ended as far as the door knows.
        let ended = ends.get(&p.session_id).is_none_or(|end| *end <= now);
        if ended {
            counts.entry(p.room_id).or_default().session_ended += 1;
        } else {
            *present.entry(p.room_id).or_default() += 1;
        }
    }
    rooms
        .iter()
        .map(|r| {
            let c = counts.remove(&r.room_id).unwrap_or_default();
            let present = present.get(&r.room_id).copied().unwrap_or(0);
            RoomOccupancy {
                room_id: r.room_id,
                capacity: r.capacity,
                present,
                entries: c.entries,
                exit_scans: c.exit_scans,
                left_for_other_room: c.left_for_other_room,
                session_ended: c.session_ended,
                fill: Fill::of(present, r.capacity),
            }
        })
        .collect()
}

/// The earliest scan time that can still place anyone in a room at `now`: nobody is
/// present unless they entered for a session that has not ended, and such an entry is no
/// earlier than that session's start minus the grace before it. Reading scans from here
/// on gives the same `present` numbers as reading them all (the other counters then cover
/// this window only).
pub fn window_start(slots: &[SessionSlot], now: Timestamp, rules: &ScanRules) -> Timestamp {
    slots
        .iter()
        .filter(|s| s.ends_at > now)
        .map(|s| {
            s.starts_at
                .checked_sub(rules.grace_before_start)
                .unwrap_or(Timestamp::MIN)
        })
        .min()
        .map_or(now, |t| t.min(now))
}

#[cfg(test)]
#[path = "occupancy_tests.rs"]
mod tests;
