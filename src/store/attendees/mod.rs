//! Attendees: registration, badges, self-service, erasure and exports.

mod answers_row;
pub(super) mod erasure;
pub(super) mod export;
pub(super) mod records;
mod register;
mod register_plan;
pub(super) mod self_service;

use super::{Pool, Store};

/// The store's handle on attendees: `store.attendees()`.
#[derive(Clone, Copy)]
pub struct Attendees<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn attendees(&self) -> Attendees<'_> {
        Attendees { pool: &self.pool }
    }
}
