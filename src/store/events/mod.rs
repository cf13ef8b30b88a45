//! Events and their programme: import, edits, the event clock, signing keys and retention.

pub(super) mod clock;
pub(super) mod keys;
pub(super) mod programme;
pub(super) mod programme_edit;
mod programme_import;
mod programme_rows;
pub(super) mod retention;

use super::{Pool, Store};

/// The store's handle on events: `store.events()`.
#[derive(Clone, Copy)]
pub struct Events<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn events(&self) -> Events<'_> {
        Events { pool: &self.pool }
    }
}
