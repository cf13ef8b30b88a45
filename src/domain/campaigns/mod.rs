//! Pure follow-up email rules: campaigns, audiences, pool segments, signed links and the report's rates.

pub mod audience;
pub mod campaign;
pub mod link;
pub mod report;
pub mod segment;
