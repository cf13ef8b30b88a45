//! `DecodeSettings`: how many kiosk photos the server decodes at once, and for how long each.

use serde::{Deserialize, Serialize};

/// Limits on server-side decoding (`[decode]` in the configuration file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DecodeSettings {
    /// Decodes running at once; further requests get 503 with `Retry-After`. Each decode
    /// keeps one core busy, so this stays below the core count.
    pub concurrent: usize,
    /// Time one decode may take, in milliseconds, before it is given up with 422.
    pub budget_ms: u64,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        DecodeSettings {
            concurrent: 2,
            budget_ms: 300,
        }
    }
}
