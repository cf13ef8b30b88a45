//! Everything about a batch that can be settled before the write transaction: badge
//! signatures and revocation, the room, and the scan time on the server's clock.
//!
//! Signature checks are the costly part of a scan, so they run in the request's own task
//! (on every core at once), not in the single writer.

use jiff::Timestamp;

use super::{ScanBatch, state::DoorState};
use crate::{
    domain::door::scan::{self, BadgeCheck, Refusal, ScanFacts, SessionSlot},
    store::DeviceRecord,
};

/// Longest badge text kept with a refused scan; real tokens are 124 characters.
const MAX_BADGE_CHARS: usize = 256;

/// One scan, checked against one door state.
#[derive(Debug, Clone)]
pub struct PreparedScan {
    /// The badge text as it will be stored: cut to size, control characters dropped.
    pub badge: String,
    pub check: Result<BadgeCheck, Refusal>,
    pub room_id: Option<i64>,
    /// The scan time corrected for the device's clock.
    pub at: Timestamp,
}

impl PreparedScan {
    pub fn facts<'a>(&self, direction: scan::Direction, slots: &'a [SessionSlot]) -> ScanFacts<'a> {
        ScanFacts {
            badge: self.check,
            room_id: self.room_id,
            at: self.at,
            direction,
            slots,
            previous_accepted: None,
        }
    }
}

/// A device's batch as it arrived, and its scans checked against the door state of
/// `version`.
#[derive(Debug, Clone)]
pub struct PreparedBatch {
    pub device: DeviceRecord,
    /// Hash of the token the batch came with; `None` for the file-import device.
    pub token_hash: Option<String>,
    pub batch: ScanBatch,
    /// The server's clock when the batch arrived.
    pub received: Timestamp,
    pub version: i64,
    pub scans: Vec<PreparedScan>,
}

impl PreparedBatch {
    pub fn new(
        device: DeviceRecord,
        token_hash: Option<String>,
        batch: ScanBatch,
        received: Timestamp,
        state: &DoorState,
    ) -> PreparedBatch {
        let mut p = PreparedBatch {
            device,
            token_hash,
            batch,
            received,
            version: state.version,
            scans: Vec::new(),
        };
        p.check(state);
        p
    }

    /// Checks the scans again against a newer state.
    pub fn check(&mut self, state: &DoorState) {
        let (batch, device, received) = (&self.batch, &self.device, self.received);
        self.scans = batch
            .scans
            .iter()
            .map(|s| PreparedScan {
                badge: s
                    .badge
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_BADGE_CHARS)
                    .collect(),
                check: check_badge(&s.badge, state),
                room_id: match device.room_id {
                    Some(r) => Some(r),
                    None => s.room.as_deref().and_then(|r| state.rooms.get(r).copied()),
                },
                at: scan::corrected_time(s.device_time, batch.sent_at, received),
            })
            .collect();
        self.version = state.version;
    }

    /// Server clock minus device clock at sync, in milliseconds.
    pub fn clock_skew_ms(&self) -> i64 {
        self.received
            .duration_since(self.batch.sent_at)
            .as_millis()
            .clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

/// Signature, event and revocation of a scanned badge text.
pub fn check_badge(text: &str, state: &DoorState) -> Result<BadgeCheck, Refusal> {
    scan::check_badge(state.verify(text), |attendee_id| {
        state.current_serial(attendee_id)
    })
}
