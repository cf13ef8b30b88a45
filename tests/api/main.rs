//! One integration-test binary: the real app on port 0, a fresh database per test, both backends.

mod helpers;

mod admin;
mod badges;
mod browser;
mod cli;
mod crash;
mod decode;
mod edm;
mod edm_cli;
mod edm_crash;
mod edm_smtp;
mod edm_support;
mod email_smtp;
mod health;
mod kiosk;
mod kiosk_camera;
mod kiosk_names;
mod kiosk_offline;
mod kiosk_support;
mod kiosk_sync;
mod kiosk_video;
mod lead_pages;
mod lead_support;
mod leads;
mod leads_cli;
mod leads_support;
mod live;
mod registration;
mod scan_groups;
mod scans;
