//! Background work: jobs with a `run_once()` that tests call directly and a loop for the server.

pub mod badge_mail;
pub mod edm_send;
pub mod feedback_deadlines;
pub mod retention;
pub mod statistics;
