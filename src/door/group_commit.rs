//! Group commit for scan batches: requests that arrive together share one transaction.
//!
//! Two hundred kiosks sending one scan each would otherwise pay for two hundred
//! transactions queued behind one writer. Each request checks its own badges first, in its
//! own task; the writer then takes every request waiting and decides and commits them
//! together, one event at a time (`write::write_group`), with those of its event that arrived
//! while the group waited for the event's lock. Each request is answered only after that
//! commit. The queue, the grouping by event and the one-by-one retry of a failed group are
//! `crate::group_commit`'s; what is scan-specific is here.

use std::{sync::Arc, time::Duration};

use jiff::Timestamp;

use super::{
    DeviceAuth, ScanBatch, authenticate,
    devices::DeviceTokens,
    greeting::DoorVerdict,
    prepare::PreparedBatch,
    state::DoorStates,
    write::{Written, write_group},
};
use crate::{
    accounts::login_token_hash,
    context::Context,
    domain::door::scan::Direction,
    group_commit::{GroupCommit, GroupWriter, Latecomers},
    leads::live_updates::{LiveUpdates, Touched},
    store::DeviceRecord,
};

/// Most requests written in one transaction.
const MAX_REQUESTS: usize = 256;

/// What became of a submitted batch.
pub enum Submitted {
    /// Committed: one verdict per scan, in order, with first names for the door screen.
    Stored(Vec<DoorVerdict>),
    /// Nothing stored: the device is not (or no longer) allowed to send scans.
    Refused(DeviceAuth),
}

/// The handle the scan API submits batches through; cheap to clone.
#[derive(Clone)]
pub struct ScanWriter {
    ctx: Context,
    groups: GroupCommit<EventScans>,
    states: Arc<DoorStates>,
    devices: Arc<DeviceTokens>,
}

impl ScanWriter {
    /// Starts the writer task; it ends when every handle has been dropped. After each
    /// commit, `live` is told which attendees the group touched.
    pub fn start(ctx: Context, live: LiveUpdates) -> ScanWriter {
        let states = Arc::new(DoorStates::new(ctx.store.clone()));
        let writer = EventScans {
            ctx: ctx.clone(),
            states: states.clone(),
            live,
        };
        ScanWriter {
            ctx,
            groups: GroupCommit::start(writer, MAX_REQUESTS),
            states,
            devices: Arc::new(DeviceTokens::default()),
        }
    }

    /// The device a token belongs to. Active devices are remembered; the writer checks in
    /// its transaction that the device still holds the token and is not revoked, so a
    /// remembered device that was revoked meanwhile stores nothing.
    pub async fn authenticate(&self, token: &str) -> anyhow::Result<DeviceAuth> {
        let hash = login_token_hash(token);
        if let Some(d) = self.devices.get(&hash) {
            return Ok(DeviceAuth::Active(d));
        }
        let auth = authenticate(&self.ctx, token).await?;
        if let DeviceAuth::Active(d) = &auth {
            self.devices.remember(hash, d.clone());
        }
        Ok(auth)
    }

    /// Checks the batch's badges here, in the caller's task, then has the writer decide and
    /// store it; returns once it is committed.
    pub async fn submit(
        &self,
        device: DeviceRecord,
        token: &str,
        batch: ScanBatch,
        received: Timestamp,
    ) -> anyhow::Result<Submitted> {
        let hash = login_token_hash(token);
        let event_id = device.event_id;
        let state = self.states.get(event_id).await?;
        let prepared = PreparedBatch::new(device, Some(hash.clone()), batch, received, &state);
        drop(state);
        match self.groups.submit(prepared).await? {
            Written::Stored(v) => Ok(Submitted::Stored(v)),
            Written::DeviceGone => {
                self.devices.forget(&hash);
                Ok(Submitted::Refused(authenticate(&self.ctx, token).await?))
            }
        }
    }
}

/// The attendees whose accepted scans a committed group holds, each with their latest
/// accepted entry into a session.
fn touched(batches: &[PreparedBatch], written: &[Written]) -> Vec<Touched> {
    let mut out: Vec<Touched> = Vec::new();
    for (b, w) in batches.iter().zip(written) {
        let Written::Stored(verdicts) = w else {
            continue;
        };
        for ((scan, prepared), v) in b.batch.scans.iter().zip(&b.scans).zip(verdicts) {
            let v = &v.verdict;
            let (Some(attendee_id), "accepted") = (v.attendee_id, v.decision.as_str()) else {
                continue;
            };
            let entered = match (scan.direction, v.session_id) {
                (Direction::Entry, Some(session)) => Some((session, prepared.at.as_millisecond())),
                _ => None,
            };
            out.push(Touched {
                attendee_id,
                entered,
            });
        }
    }
    out
}

/// Decides and stores the prepared batches of one event together.
struct EventScans {
    ctx: Context,
    states: Arc<DoorStates>,
    live: LiveUpdates,
}

impl GroupWriter for EventScans {
    /// The event: its groups are decided one after the other, under the event's lock.
    type Key = i64;
    type Item = PreparedBatch;
    type Answer = Written;
    const NAME: &'static str = "scan";

    fn key(&self, batch: &PreparedBatch) -> i64 {
        batch.device.event_id
    }

    /// Once the transaction holds the event's lock, the event's requests that arrived while
    /// it waited join the group (`write_group` calls `more` then).
    async fn write(
        &self,
        &event_id: &i64,
        batches: &mut Vec<PreparedBatch>,
        late: &mut Latecomers<'_, Self>,
    ) -> anyhow::Result<Vec<Written>> {
        let written = write_group(&self.ctx.store, &self.states, event_id, batches, |b| {
            late.gather(b)
        })
        .await?;
        self.live.committed(event_id, touched(batches, &written));
        Ok(written)
    }

    fn joined(&self, b: &PreparedBatch) {
        crate::telemetry::kiosk_reported(b.batch.queue_size, b.clock_skew_ms());
    }

    fn group_written(&self, size: usize, took: Duration) {
        crate::telemetry::scan_group(size, took);
    }
}
