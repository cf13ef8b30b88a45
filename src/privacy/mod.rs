//! People own their data: what is held about an attendee (export), forgetting them
//! (erasure, on request or when the event's retention period ends).

mod erase;
mod export;
mod outbox;
pub mod retention;

pub use erase::{ErasureReport, ErasureRequester, erase_attendee};
pub use export::{EXPORT_FORMAT, export_attendee};
pub use retention::{RetentionLine, RetentionRun};
