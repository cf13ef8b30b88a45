//! Attendee pages: registration, the badge, "my registration", and the staff pages of an event's
//! attendees.

pub mod answers_form;
pub mod export;
pub mod import;
pub mod list;
pub mod my_registration;
pub mod privacy;
pub mod public;
