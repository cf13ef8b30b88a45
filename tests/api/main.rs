//! One integration-test binary: the real app on port 0, a fresh database per test, both backends.

mod helpers;

mod admin;
mod badges;
mod browser;
mod cli;
mod crash;
mod email_smtp;
mod health;
mod kiosk;
mod registration;
mod scan_groups;
mod scans;
