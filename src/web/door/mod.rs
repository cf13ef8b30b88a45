//! The door: the kiosk app and its API, server-side photo decoding, and the staff pages of door
//! devices.

pub mod api;
pub mod decode;
pub mod devices;
pub mod kiosk;
