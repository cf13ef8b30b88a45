//! Leads: builds and their inputs (other events' interests among them), stored leads, lists, reports, deadlines, feedback and live leads.

pub(super) mod deadlines;
pub(super) mod elsewhere;
pub(super) mod feedback;
pub(super) mod inputs;
pub(super) mod lists;
pub(super) mod live;
pub(super) mod reassign;
pub(super) mod report;
pub(super) mod stored;
pub(super) mod write;

use super::{Pool, Store};

/// The store's handle on leads: `store.leads()`.
#[derive(Clone, Copy)]
pub struct Leads<'a> {
    pub(in crate::store) pool: &'a Pool,
}

impl Store {
    pub fn leads(&self) -> Leads<'_> {
        Leads { pool: &self.pool }
    }
}
