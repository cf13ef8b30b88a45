//! What a send reports: a `Receipt` for a message that left, a `SendError` for one that did
//! not, and the Message-ID both go by.

use lettre::Message;

/// Proof that a message left us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message's Message-ID, without angle brackets.
    pub message_id: String,
    /// The relay's final reply, or the path of the written `.eml` file.
    pub detail: String,
}

/// Why a send failed, and so whether it is worth trying again later.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The relay deferred (4xx), or it could not be reached or timed out.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The relay refused the message for good (5xx).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// The Message-ID of `message` without angle brackets, or "" when it has none.
pub fn message_id(message: &Message) -> String {
    let raw = message.headers().get_raw("Message-ID").unwrap_or_default();
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}
