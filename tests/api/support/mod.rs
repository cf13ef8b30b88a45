//! What the tests share, one module for each kind of set-up. The files beside this folder
//! hold tests, except `camera_frames.rs` and `kiosk_video.rs` (synthetic camera frames),
//! which benchmarks include by their path.

pub mod app;
pub mod browser;
pub mod campaign;
pub mod command;
pub mod door;
pub mod forms;
pub mod kiosk_page;
pub mod lead_build;
pub mod person_history;
pub mod server_process;
pub mod smtp_sink;
pub mod staff;
pub mod staff_pages;
pub mod stored_leads;
pub mod wait;
pub mod webhook;
