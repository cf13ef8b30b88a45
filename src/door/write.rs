//! Deciding and storing a group of prepared batches of one event in one transaction.
//!
//! The transaction first takes the event's lock (`Door::begin_scan_write`), so groups of one
//! event are decided one after the other even when several app instances write them: each
//! reads what the groups before it committed. Once it holds the lock, the group takes the event's
//! requests that arrived while it waited, so a wait for another instance's group is paid
//! once for all of them. Then, per group, whatever its size, three
//! statements: one update of the devices' last contact
//! (its row count tells whether every device may still write; only if not, a read says
//! which), one read of the door version, the stored accepted scans the duplicate check needs
//! and the first names doors greet admitted badges by, and one insert that skips (device,
//! nonce) pairs already stored (its row count tells whether any were). Duplicates inside the
//! group are found in memory. A door version other than the one the group was checked
//! against rolls the transaction back and the group is checked and decided again.

use anyhow::bail;

use super::{
    attempt::{self, Attempt, Earlier, Live},
    greeting::{self, DoorVerdict},
    prepare::PreparedBatch,
    state::DoorStates,
};
use crate::store::Store;

/// How often a group is decided again because its state changed or some of its scans turned
/// out to be stored already, before giving up.
const MAX_ATTEMPTS: usize = 8;

/// What became of one batch of the group.
#[derive(Debug)]
pub enum Written {
    /// Committed; a verdict per scan, in order, with the first name the door greets by.
    Stored(Vec<DoorVerdict>),
    /// The device was revoked or its token replaced since the request was authenticated:
    /// nothing of it was stored.
    DeviceGone,
}

/// Decides and stores `jobs` (all of `event_id`) in one transaction. Once the event's lock is
/// held, `more` may append further batches of the event; the result has one entry per batch
/// in `jobs` as it ends up, in order.
pub async fn write_group(
    store: &Store,
    states: &DoorStates,
    event_id: i64,
    jobs: &mut Vec<PreparedBatch>,
    mut more: impl FnMut(&mut Vec<PreparedBatch>),
) -> anyhow::Result<Vec<Written>> {
    let rules = super::rules();
    let mut earlier = Earlier::new();
    let mut state = states.get(event_id).await?;
    // Whether some (device, nonce) pairs were found stored when the last attempt inserted.
    let mut recheck = false;
    for _ in 0..MAX_ATTEMPTS {
        let mut w = store.door().begin_scan_write(event_id).await?;
        // While this waited for the event's lock (another instance's group holding it),
        // more requests may have arrived: taking them now makes one group of what would be
        // the next one, so each group that waits for the lock is worth the wait.
        more(jobs);
        for job in jobs.iter_mut() {
            if job.version != state.version {
                job.check(&state);
            }
        }
        if recheck {
            // The last attempt's insert was rolled back, so what is stored now was stored
            // by others.
            let pairs = attempt::unknown_pairs(&jobs[..], &earlier);
            for (device_id, v) in w.stored_verdicts(&pairs).await? {
                earlier.insert((device_id, v.nonce.clone()), v);
            }
        }
        let attempt = Attempt {
            jobs: &jobs[..],
            slots: &state.slots,
            earlier: &earlier,
            rules: &rules,
        };
        let live: Live = w
            .touch_devices(&attempt.contacts(), attempt.now_ms())
            .await?
            .into_iter()
            .collect();
        let plan = attempt.plan(&live);
        let reads = w
            .group_reads(event_id, &plan.lookup_pairs(), &attempt.name_ids(&plan))
            .await?;
        if reads.door_version != state.version {
            w.rollback().await?;
            state = states.reload(event_id, state.version).await?;
            continue;
        }
        let rows = attempt.rows(&plan, reads.accepted);
        if w.insert_scans(event_id, &rows).await? != rows.len() as u64 {
            // Some were stored by an earlier request whose answer was lost (or by a retry of
            // the same batch that another instance committed before this group took the
            // lock): roll back, keep their verdicts, and decide the rest again without them,
            // since they may have been taken for doubles of those.
            w.rollback().await?;
            recheck = true;
            continue;
        }
        let verdicts = attempt.verdicts(&plan, &rows);
        let names = greeting::first_names(reads.names);
        w.commit().await?;
        // Counted once committed, and only those decided now: a retried upload's scans
        // were counted when first stored.
        for row in &rows {
            crate::telemetry::scan_decided(row.decision.as_str(), row.reason.map(|r| r.as_str()));
        }
        return Ok(verdicts
            .into_iter()
            .map(|v| match v {
                Some(v) => Written::Stored(greeting::greet(v, &names)),
                None => Written::DeviceGone,
            })
            .collect());
    }
    bail!("scan group for event {event_id} kept changing after {MAX_ATTEMPTS} attempts")
}
