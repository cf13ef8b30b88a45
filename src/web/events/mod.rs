//! An event as staff run it: setting it up, its programme, the start page, the live page and
//! trails.

pub mod dashboard;
pub mod live;
pub mod programme;
pub mod setup;
pub mod trails;
