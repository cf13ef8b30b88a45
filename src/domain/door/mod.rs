//! Pure door rules: the scan decision, scan groups, room occupancy and door activity.

pub mod activity;
pub mod occupancy;
pub mod scan;
pub mod scan_group;
