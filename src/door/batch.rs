//! What a kiosk reports: one scan, a batch of them, and the checks on their nonces.

use jiff::Timestamp;

use crate::domain::door::scan::Direction;

/// One scan as a device reports it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportedScan {
    /// Chosen by the device for each scan; the same nonce again is the same scan.
    pub nonce: String,
    pub badge: String,
    /// The device's clock when the badge was scanned.
    pub device_time: Timestamp,
    pub direction: Direction,
    /// Room name; ignored for devices bound to a room.
    #[serde(default)]
    pub room: Option<String>,
}

/// A batch of scans and the device's state when it sent them.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ScanBatch {
    /// The device's clock when it sent the batch: the server's clock minus this is the skew.
    pub sent_at: Timestamp,
    #[serde(default)]
    pub app_version: String,
    /// Scans still waiting on the device after this batch.
    #[serde(default)]
    pub queue_size: i64,
    pub scans: Vec<ReportedScan>,
}

/// Nonces name scans for retries: 1 to 64 printable characters.
pub fn check_nonces(batch: &ScanBatch) -> Result<(), String> {
    match batch.scans.iter().position(|s| {
        s.nonce.is_empty() || s.nonce.chars().count() > 64 || s.nonce.chars().any(char::is_control)
    }) {
        Some(i) => Err(format!(
            "scan {i}: a nonce must be 1 to 64 printable characters"
        )),
        None => Ok(()),
    }
}

/// Duplicated nonces inside one batch are the same scan sent twice; keep the first.
pub fn dedupe_nonces(batch: &mut ScanBatch) {
    let mut seen = std::collections::HashSet::new();
    batch.scans.retain(|s| seen.insert(s.nonce.clone()));
}
