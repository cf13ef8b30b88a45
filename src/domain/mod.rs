//! The pure business core: values in, values out, no I/O and no clock reads.

pub mod address_hash;
pub mod attendee;
pub mod badge;
pub mod buying_group;
pub mod campaigns;
pub mod choice;
pub mod clock;
pub mod dashboard;
pub mod door;
pub mod email;
pub mod leads;
pub mod manage_link;
pub mod pool;
pub mod programme;
pub mod retention;
pub mod slug;
pub mod trail;
pub mod user;
