//! Trails: an attendee's visits to sessions, rebuilt from their accepted scans.
//!
//! Doors miss scans, people forget to scan out, and offline devices sync late, so a trail
//! is inferred, by these rules:
//!
//! - Scans are replayed in order of time; at the same instant exits go before entries
//!   (leaving one room and entering the next), then by session id. Arrival order never
//!   matters. Scans of sessions not in the programme given are ignored.
//! - An entry opens a visit. An entry into the session already open is a double scan and
//!   is ignored. An entry into another session closes the open visit at that instant.
//! - An exit closes the open visit of its session. An exit with no open visit of its
//!   session means the entry was missed: a visit is assumed from the session start, or
//!   from the end of the attendee's previous visit if that was later. If a visit of
//!   another session is open, the attendee is taken to have moved when the exited
//!   session started, but not before their last scan into the open one nor after the
//!   exit; the open visit closes there.
//! - A visit still open after the last scan closes at its session's end.
//! - Visits are clipped to their session: a scan in the grace window before the start
//!   counts from the start. Whatever came first closes the visit: if the session ended
//!   before the closing scan, the visit says `SessionEnd`. A visit wholly outside its
//!   session (in and out during a grace window) collapses to a zero-minute visit at the
//!   nearer edge.
//! - Zero-minute visits are kept: the attendee did go through that door.
//! - Re-entering after an exit starts a second visit of the same session.
//! - Visits are listed by entry time, then session id.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::door::scan::{Direction, SessionSlot};

/// One accepted scan of one attendee, as stored (time already corrected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailScan {
    pub at: Timestamp,
    pub session_id: i64,
    pub room_id: i64,
    pub direction: Direction,
}

/// What ended a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitFrom {
    /// An exit scan at this session's door.
    ExitScan,
    /// A scan at another session's door: the attendee had moved on.
    EntryElsewhere,
    /// The session ended before any scan closed the visit.
    SessionEnd,
}

/// How a visit began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryFrom {
    /// An entry scan at this session's door.
    EntryScan,
    /// No entry scan, only an exit: assumed from the session start, or from the end of
    /// the previous visit if that was later.
    SessionStart,
}

/// Time spent in one session, within the session's own start and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub session_id: i64,
    pub entered_at: Timestamp,
    pub left_at: Timestamp,
    pub entry: EntryFrom,
    pub exit: ExitFrom,
    /// Whole minutes, rounded to nearest (half a minute rounds up).
    pub minutes: u32,
}

/// The visits of one attendee, from all their accepted scans, by the rules in the module
/// documentation.
pub fn build_trail(scans: &[TrailScan], sessions: &[SessionSlot]) -> Vec<Visit> {
    let mut slots: HashMap<i64, SessionSlot> = HashMap::new();
    for s in sessions {
        slots.entry(s.session_id).or_insert(*s);
    }
    let mut known: Vec<(TrailScan, SessionSlot)> = scans
        .iter()
        .filter_map(|s| slots.get(&s.session_id).map(|slot| (*s, *slot)))
        .collect();
    known.sort_by_key(|(s, _)| {
        (
            s.at,
            s.direction == Direction::Entry,
            s.session_id,
            s.room_id,
        )
    });
    let mut trail = Replay::default();
    for (scan, slot) in known {
        trail.step(scan, slot);
    }
    trail.finish()
}

/// Minutes attended in all, rounded once from the exact durations. Rounding each visit
/// and adding would let many short visits count more time than there was; the result can
/// therefore differ by rounding from the sum of `Visit::minutes`.
pub fn total_minutes(visits: &[Visit]) -> u32 {
    let nanos = visits
        .iter()
        .map(|v| v.left_at.duration_since(v.entered_at).as_nanos().max(0))
        .sum::<i128>();
    round_minutes(nanos)
}

fn round_minutes(nanos: i128) -> u32 {
    const MINUTE: i128 = SignedDuration::from_mins(1).as_nanos();
    u32::try_from((nanos.max(0) + MINUTE / 2) / MINUTE).unwrap_or(u32::MAX)
}

/// A visit begun but not yet closed; `since` is unclipped.
#[derive(Debug, Clone, Copy)]
struct Open {
    slot: SessionSlot,
    since: Timestamp,
    entry: EntryFrom,
}

#[derive(Debug, Default)]
struct Replay {
    open: Option<Open>,
    /// When the last visit closed, unclipped: inferred visits start no earlier, which
    /// keeps visits from overlapping.
    last_close: Option<Timestamp>,
    visits: Vec<Visit>,
}

impl Replay {
    fn step(&mut self, scan: TrailScan, slot: SessionSlot) {
        let open_here = self.open.filter(|o| o.slot.session_id == scan.session_id);
        match (scan.direction, open_here) {
            (Direction::Entry, Some(_)) => {}
            (Direction::Entry, None) => {
                if let Some(open) = self.open.take() {
                    self.close(open, scan.at, ExitFrom::EntryElsewhere);
                }
                self.open = Some(Open {
                    slot,
                    since: scan.at,
                    entry: EntryFrom::EntryScan,
                });
            }
            (Direction::Exit, Some(open)) => {
                self.open = None;
                self.close(open, scan.at, ExitFrom::ExitScan);
            }
            (Direction::Exit, None) => {
                if let Some(open) = self.open.take() {
                    let moved = slot.starts_at.min(scan.at).max(open.since);
                    self.close(open, moved, ExitFrom::EntryElsewhere);
                }
                let since = self
                    .last_close
                    .map_or(slot.starts_at, |c| c.max(slot.starts_at))
                    .min(scan.at);
                let inferred = Open {
                    slot,
                    since,
                    entry: EntryFrom::SessionStart,
                };
                self.close(inferred, scan.at, ExitFrom::ExitScan);
            }
        }
    }

    fn close(&mut self, open: Open, at: Timestamp, by: ExitFrom) {
        self.last_close = Some(at);
        let SessionSlot {
            session_id,
            starts_at,
            ends_at,
            ..
        } = open.slot;
        // min/max rather than clamp: a slot with its end before its start must not panic.
        let entered_at = open.since.max(starts_at).min(ends_at);
        let left_at = at.min(ends_at).max(entered_at);
        let exit = if at > ends_at {
            ExitFrom::SessionEnd
        } else {
            by
        };
        self.visits.push(Visit {
            session_id,
            entered_at,
            left_at,
            entry: open.entry,
            exit,
            minutes: round_minutes(left_at.duration_since(entered_at).as_nanos()),
        });
    }

    fn finish(mut self) -> Vec<Visit> {
        if let Some(open) = self.open.take() {
            let end = open.slot.ends_at.max(open.since);
            self.close(open, end, ExitFrom::SessionEnd);
        }
        // Stable, so equal keys keep replay order and the result stays deterministic.
        self.visits.sort_by_key(|v| (v.entered_at, v.session_id));
        self.visits
    }
}

#[cfg(test)]
#[path = "trail_tests.rs"]
mod tests;
