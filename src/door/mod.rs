//! Door scanning: pairing kiosks, authenticating them, and turning reported scans into
//! stored decisions. Every scan is kept, refused ones included.

mod attempt;
mod batch;
mod devices;
mod greeting;
mod group_commit;
mod ingest;
mod pairing;
mod prepare;
mod state;
mod write;

pub use batch::{ReportedScan, ScanBatch, check_nonces, dedupe_nonces};
pub use greeting::DoorVerdict;
pub use group_commit::{ScanWriter, Submitted};
pub use ingest::{ingest, ingest_paired, session_slots};
pub use pairing::{DeviceAuth, NewDevice, Paired, authenticate, create_device, pair, rotate_token};
pub use prepare::{PreparedBatch, PreparedScan};
pub use state::{DoorState, DoorStates};
pub use write::Written;

use crate::domain::door::scan::ScanRules;

/// The rules every door decides with; kiosks get them too, to decide offline alike.
pub fn rules() -> ScanRules {
    ScanRules::default()
}
