//! badgetrail: registration, signed QR badges, door scans and the leads they turn into.

pub mod accounts;
pub mod app;
pub mod badges;
pub mod cli;
pub mod config;
pub mod context;
pub mod dashboard;
pub mod demo;
pub mod domain;
pub mod door;
pub mod edm;
pub mod event_setup;
pub mod formats;
pub mod group_commit;
pub mod jobs;
pub mod leads;
pub mod live;
pub mod mail;
pub mod pool;
pub mod privacy;
pub mod qr;
pub mod registration;
pub mod store;
pub mod telemetry;
pub mod trails;
pub mod web;
