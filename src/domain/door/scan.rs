//! Door decisions: which session a badge scan belongs to and whether it counts.

use std::cmp::Reverse;

use jiff::{SignedDuration, Timestamp};

use crate::domain::badge::{self, BadgeClaims, BadgeError};
use crate::domain::choice::choice_enum;

choice_enum!(
    /// Which way the attendee went through the door.
    #[derive(utoipa::ToSchema)]
    // The OpenAPI description reads the container's renaming, not the macro's per variant.
    #[serde(rename_all = "lowercase")]
    Direction {
        Entry = "entry": "Entry",
        Exit = "exit": "Exit",
    }
    unknown(raw) => format!("unknown direction '{raw}' (entry or exit)");
);

/// A session as the door sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSlot {
    pub session_id: i64,
    pub room_id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

impl SessionSlot {
    /// Running from its start up to, but not including, its end, so that of two
    /// back-to-back sessions exactly one is running at the changeover.
    pub fn is_running(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at
    }

    /// Whether a scan at `at` may count for this session: both edges of the grace
    /// windows are included, so a door set to "15 minutes early" means what it says.
    pub fn admits(&self, at: Timestamp, rules: &ScanRules) -> bool {
        shift(self.starts_at, -rules.grace_before_start) <= at
            && at <= shift(self.ends_at, rules.grace_after_end)
    }
}

/// How forgiving the door is about time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanRules {
    /// People queue before a session starts; their scans still count for it.
    pub grace_before_start: SignedDuration,
    /// Exit scans made while the room empties still count for the session.
    pub grace_after_end: SignedDuration,
    /// A second scan in the same direction closer than this to the accepted one is a
    /// double scan at the door, not a new visit.
    pub duplicate_window: SignedDuration,
}

impl Default for ScanRules {
    fn default() -> ScanRules {
        ScanRules {
            grace_before_start: SignedDuration::from_mins(15),
            grace_after_end: SignedDuration::from_mins(10),
            duplicate_window: SignedDuration::from_mins(10),
        }
    }
}

/// Which session a scan in `room_id` at `at` belongs to: a session of that room whose
/// `[start - grace_before_start, end + grace_after_end]` contains `at` (both edges included).
/// When several qualify, because back-to-back sessions overlap through their grace
/// windows, the one running at `at` (`[start, end)`) wins; otherwise the one whose start
/// is nearest to `at`; on a tie the later start, then the lower session id.
pub fn resolve_session(
    slots: &[SessionSlot],
    room_id: i64,
    at: Timestamp,
    rules: &ScanRules,
) -> Option<SessionSlot> {
    slots
        .iter()
        .filter(|s| s.room_id == room_id && s.admits(at, rules))
        .max_by_key(|s| {
            (
                s.is_running(at),
                Reverse(at.duration_since(s.starts_at).abs()),
                s.starts_at,
                Reverse(s.session_id),
            )
        })
        .copied()
}

choice_enum!(
    /// Why the door said no. `check_badge` gives the badge refusals; the label is what the
    /// door screen shows, plain words staff read at a glance.
    Refusal {
        Malformed = "malformed": "Badge not recognised",
        Forged = "forged": "Forged badge",
        WrongEvent = "wrong_event": "Badge is for another event",
        Revoked = "revoked": "Badge was replaced — use the newest one",
        UnknownRoom = "unknown_room": "Unknown room",
        OutsideSession = "outside_session": "No session here now",
    }
    unknown(raw) => format!("unknown refusal '{raw}'");
);

impl Refusal {
    /// How the door refuses a badge `badge::verify` does not accept: a badge signed with a
    /// key the event does not have is as good as forged.
    pub fn for_badge(e: &BadgeError) -> Refusal {
        match e {
            BadgeError::Malformed(_) => Refusal::Malformed,
            BadgeError::WrongEvent { .. } => Refusal::WrongEvent,
            BadgeError::UnknownKey(_) | BadgeError::Forged => Refusal::Forged,
        }
    }

    /// Plain words for the door screen.
    pub fn message(self) -> &'static str {
        self.label()
    }
}

/// What the door decided. Every decision is kept; only `Accepted` scans build trails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accepted { session_id: i64 },
    Duplicate { session_id: i64 },
    Refused(Refusal),
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Accepted { .. } => "accepted",
            Decision::Duplicate { .. } => "duplicate",
            Decision::Refused(_) => "refused",
        }
    }

    /// The session the scan was matched to, unless it was refused.
    pub fn session_id(&self) -> Option<i64> {
        match *self {
            Decision::Accepted { session_id } | Decision::Duplicate { session_id } => {
                Some(session_id)
            }
            Decision::Refused(_) => None,
        }
    }
}

/// A badge that passed the signature and revocation checks of `domain::badge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadgeCheck {
    pub attendee_id: i64,
}

/// The badge half of the door's decision, from what `badge::verify` said and the serial an
/// attendee's valid badge carries now (`current_serial`, 1 for those never re-issued).
/// The kiosk makes the same check offline (kiosk/badge.js).
pub fn check_badge(
    verified: Result<BadgeClaims, BadgeError>,
    current_serial: impl FnOnce(i64) -> i64,
) -> Result<BadgeCheck, Refusal> {
    let claims = verified.map_err(|e| Refusal::for_badge(&e))?;
    let attendee_id = i64::from(claims.attendee_id);
    // A serial beyond what a badge can carry revokes every badge of the attendee.
    let current = u16::try_from(current_serial(attendee_id)).unwrap_or(u16::MAX);
    if badge::is_revoked(&claims, current) {
        return Err(Refusal::Revoked);
    }
    Ok(BadgeCheck { attendee_id })
}

/// What the door knows before deciding. The badge is checked by the caller first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanFacts<'a> {
    pub badge: Result<BadgeCheck, Refusal>,
    /// `None`: the device named a room the event does not have.
    pub room_id: Option<i64>,
    /// The scan time, already corrected for the device's clock (`corrected_time`).
    pub at: Timestamp,
    pub direction: Direction,
    pub slots: &'a [SessionSlot],
    /// The latest accepted scan of this attendee into the resolved session in the same
    /// direction. Which one that is depends on the session, so ask `needs_previous` first.
    pub previous_accepted: Option<Timestamp>,
}

/// The accepted scan `decide` must know about: the latest one with this key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PreviousLookup {
    pub attendee_id: i64,
    pub session_id: i64,
    pub direction: Direction,
}

/// What the caller must look up before `decide`, or `None` when the scan is refused
/// whatever came before. Callers build `ScanFacts` with `previous_accepted: None`, ask
/// this, fill `previous_accepted` from storage, then call `decide`; session resolution
/// thus lives in one place.
pub fn needs_previous(f: &ScanFacts<'_>, rules: &ScanRules) -> Option<PreviousLookup> {
    let (badge, slot) = admitted(f, rules).ok()?;
    Some(PreviousLookup {
        attendee_id: badge.attendee_id,
        session_id: slot.session_id,
        direction: f.direction,
    })
}

/// The door's decision. Checks run in a fixed order so the screen shows the most basic
/// problem: the badge, then the room, then the session, then a double scan
/// (`|at - previous_accepted| < duplicate_window`; at exactly the window it counts again).
pub fn decide(f: &ScanFacts<'_>, rules: &ScanRules) -> Decision {
    let slot = match admitted(f, rules) {
        Ok((_, slot)) => slot,
        Err(refusal) => return Decision::Refused(refusal),
    };
    let session_id = slot.session_id;
    // Offline devices sync late, so the previous scan may lie after this one.
    let doubled = f
        .previous_accepted
        .is_some_and(|p| f.at.duration_since(p).abs() < rules.duplicate_window);
    if doubled {
        Decision::Duplicate { session_id }
    } else {
        Decision::Accepted { session_id }
    }
}

fn admitted(f: &ScanFacts<'_>, rules: &ScanRules) -> Result<(BadgeCheck, SessionSlot), Refusal> {
    let badge = f.badge?;
    let room_id = f.room_id.ok_or(Refusal::UnknownRoom)?;
    let slot = resolve_session(f.slots, room_id, f.at, rules).ok_or(Refusal::OutsideSession)?;
    Ok((badge, slot))
}

/// Puts a device's scan time on the server's clock. The skew is measured at sync as the
/// server's receive time minus the device's send time. This assumes the device clock
/// drifts negligibly within one sync interval, and lets network delay count as skew:
/// it is seconds, far below the grace and duplicate windows.
pub fn corrected_time(
    device_time: Timestamp,
    device_clock_at_sync: Timestamp,
    server_clock_at_sync: Timestamp,
) -> Timestamp {
    shift(
        device_time,
        server_clock_at_sync.duration_since(device_clock_at_sync),
    )
}

/// Adds `d`, stopping at the ends of time instead of panicking on absurd device clocks.
fn shift(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
