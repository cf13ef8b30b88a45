//! Staff accounts, their log-in sessions and roles.

pub(super) mod staff;
pub(super) mod users;

use super::{Pool, Store};

/// The store's handle on staff accounts: `store.accounts()`.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { pool: &self.pool }
    }
}
