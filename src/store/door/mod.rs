//! The door: kiosk devices, scan groups, scans and the live door view.

pub(super) mod devices;
pub(super) mod kiosk_sync;
pub(super) mod live;
pub(super) mod scan_write;
pub(super) mod scans;

use super::{Pool, Store};

/// The store's handle on the door: `store.door()`.
#[derive(Clone, Copy)]
pub struct Door<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn door(&self) -> Door<'_> {
        Door { pool: &self.pool }
    }
}
