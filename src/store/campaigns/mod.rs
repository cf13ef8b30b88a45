//! Follow-up email campaigns: contents, audiences, the send ledger, suppressions and engagement.

pub(super) mod campaign;
pub(super) mod engagement;
pub(super) mod send_ledger;
pub(super) mod suppression;

use super::{Pool, Store};

/// The store's handle on campaigns: `store.campaigns()`.
#[derive(Clone, Copy)]
pub struct Campaigns<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn campaigns(&self) -> Campaigns<'_> {
        Campaigns { pool: &self.pool }
    }
}
