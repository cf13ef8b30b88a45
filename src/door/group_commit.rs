//! Group commit for scan batches: requests that arrive together share one transaction.
//!
//! Two hundred kiosks sending one scan each would otherwise pay for two hundred
//! transactions queued behind one writer. Each request checks its own badges first, in its
//! own task; the writer then takes every request waiting and decides and commits them
//! together (`write::write_group`), with those of its event that arrived while the group
//! waited for the event's lock. Each request is answered only after that commit.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use super::{
    DeviceAuth, ScanBatch, authenticate,
    devices::DeviceTokens,
    greeting::DoorVerdict,
    prepare::PreparedBatch,
    state::DoorStates,
    write::{Written, write_group},
};
use crate::{accounts::login_token_hash, context::Context, store::DeviceRecord};

/// Most requests written in one transaction.
const MAX_REQUESTS: usize = 256;

type Reply = oneshot::Sender<anyhow::Result<Written>>;

struct Job {
    batch: PreparedBatch,
    reply: Reply,
}

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
    queue: mpsc::Sender<Job>,
    states: Arc<DoorStates>,
    devices: Arc<DeviceTokens>,
}

impl ScanWriter {
    /// Starts the writer task; it ends when every handle has been dropped.
    pub fn start(ctx: Context) -> ScanWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_REQUESTS);
        let states = Arc::new(DoorStates::new(ctx.store.clone()));
        tokio::spawn(write_batches(ctx.clone(), states.clone(), rx));
        ScanWriter {
            ctx,
            queue,
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
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                batch: prepared,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the scan writer has stopped"))?;
        match answer
            .await
            .map_err(|_| anyhow::anyhow!("the scan writer stopped before answering"))??
        {
            Written::Stored(v) => Ok(Submitted::Stored(v)),
            Written::DeviceGone => {
                self.devices.forget(&hash);
                Ok(Submitted::Refused(authenticate(&self.ctx, token).await?))
            }
        }
    }
}

async fn write_batches(ctx: Context, states: Arc<DoorStates>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_REQUESTS);
    while rx.recv_many(&mut jobs, MAX_REQUESTS).await > 0 {
        // One event's requests at a time; those of other events that a group takes from the
        // queue while it waits for its lock are added to `jobs` and written next.
        while let Some(first) = jobs.first() {
            let event_id = first.batch.device.event_id;
            let (group, rest): (Vec<Job>, Vec<Job>) = std::mem::take(&mut jobs)
                .into_iter()
                .partition(|j| j.batch.device.event_id == event_id);
            jobs = rest;
            write_event_group(&ctx, &states, event_id, group, &mut rx, &mut jobs).await;
        }
    }
}

/// Writes one event's requests together, with those of the event that arrive while the group
/// waits for the event's lock (others are put in `others`); if that fails, each is retried
/// alone so one bad request cannot fail the others.
async fn write_event_group(
    ctx: &Context,
    states: &DoorStates,
    event_id: i64,
    group: Vec<Job>,
    rx: &mut mpsc::Receiver<Job>,
    others: &mut Vec<Job>,
) {
    let (mut batches, mut replies): (Vec<PreparedBatch>, Vec<Reply>) =
        group.into_iter().map(|j| (j.batch, j.reply)).unzip();
    for b in &batches {
        crate::telemetry::kiosk_reported(b.batch.queue_size, b.clock_skew_ms());
    }
    let started = std::time::Instant::now();
    let more = |batches: &mut Vec<PreparedBatch>| {
        while batches.len() < MAX_REQUESTS {
            let Ok(j) = rx.try_recv() else { break };
            if j.batch.device.event_id != event_id {
                others.push(j);
                continue;
            }
            crate::telemetry::kiosk_reported(j.batch.batch.queue_size, j.batch.clock_skew_ms());
            batches.push(j.batch);
            replies.push(j.reply);
        }
    };
    let result = write_group(&ctx.store, states, event_id, &mut batches, more).await;
    crate::telemetry::scan_group(batches.len(), started.elapsed());
    match result {
        Ok(written) => {
            for (reply, w) in replies.into_iter().zip(written) {
                let _ = reply.send(Ok(w));
            }
        }
        Err(e) if batches.len() > 1 => {
            tracing::warn!(error = %e, size = batches.len(), "scan group failed; writing one by one");
            for (batch, reply) in batches.into_iter().zip(replies) {
                let mut one = vec![batch];
                let result = write_group(&ctx.store, states, event_id, &mut one, |_| {})
                    .await
                    .map(|mut w| w.remove(0));
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
    }
}
