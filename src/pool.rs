//! The data pool: every registration resolved to one person across events and one company
//! (`domain::pool`). New registrations are resolved as they are recorded; registrations
//! from before the pool existed, or left over by a failure, when the application starts.

use jiff::Timestamp;

use crate::{
    domain::pool::resolve_company,
    store::{Resolution, Store, StoreResult, Unresolved},
};

/// Registrations resolved per transaction.
const BATCH: i64 = 1_000;

fn resolution(u: Unresolved) -> Resolution {
    Resolution {
        attendee_id: u.id,
        company: resolve_company(&u.email, &u.company),
    }
}

/// Resolves the registrations `ids` that are not resolved yet.
pub async fn resolve_registrations(store: &Store, ids: &[i64]) -> StoreResult<u64> {
    let rows = store
        .data_pool()
        .unresolved_registrations(Some(ids), BATCH)
        .await?;
    let resolutions: Vec<Resolution> = rows.into_iter().map(resolution).collect();
    store
        .data_pool()
        .resolve_registrations(&resolutions, Timestamp::now())
        .await
}

/// Resolves every registration not resolved yet, a batch per transaction. Stops when a
/// batch resolves nothing (a row it cannot resolve is reported, not retried forever).
pub async fn resolve_all(store: &Store) -> StoreResult<u64> {
    let mut done = 0;
    loop {
        let rows = store
            .data_pool()
            .unresolved_registrations(None, BATCH)
            .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let resolutions: Vec<Resolution> = rows.into_iter().map(resolution).collect();
        let n = store
            .data_pool()
            .resolve_registrations(&resolutions, Timestamp::now())
            .await?;
        if n == 0 {
            tracing::warn!(
                registrations = resolutions.len(),
                "registrations could not be resolved to a person"
            );
            return Ok(done);
        }
        done += n;
    }
}
