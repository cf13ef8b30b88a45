//! The pure business core: values in, values out, no I/O and no clock reads.

pub mod address_hash;
pub mod attendee;
pub mod audience;
pub mod badge;
pub mod campaign;
pub mod door_activity;
pub mod edm_link;
pub mod email;
pub mod interest;
pub mod lead;
pub mod lead_build;
pub mod lead_content;
pub mod lead_insight;
pub mod lead_report;
pub mod lead_routing;
pub mod lead_rules;
pub mod lead_tier;
pub mod manage_link;
pub mod occupancy;
pub mod programme;
pub mod retention;
pub mod scan;
pub mod scan_group;
pub mod slug;
pub mod trail;
pub mod user;
