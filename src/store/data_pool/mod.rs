//! The data pool: people and companies across events, and segments of them.

pub(super) mod identity;
pub(super) mod segment;

use super::{Pool, Store};

/// The store's handle on the data pool: `store.data_pool()`.
#[derive(Clone, Copy)]
pub struct DataPool<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn data_pool(&self) -> DataPool<'_> {
        DataPool { pool: &self.pool }
    }
}
