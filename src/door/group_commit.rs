//! Group commit for scan batches: requests that arrive together share one transaction.
//!
//! Two hundred kiosks sending one scan each would otherwise pay for two hundred
//! transactions queued behind one writer. The writer takes every request waiting, loads the
//! event's programme and keys once, and commits them together; each request is answered
//! only after that commit.

use std::collections::HashMap;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use super::{ScanBatch, ingest_many};
use crate::{
    context::Context,
    store::{DeviceRecord, ScanVerdict},
};

/// Most requests written in one transaction.
const MAX_REQUESTS: usize = 256;

type Reply = oneshot::Sender<anyhow::Result<Vec<ScanVerdict>>>;

struct Job {
    device: DeviceRecord,
    batch: ScanBatch,
    reply: Reply,
}

/// The handle the scan API submits batches through; cheap to clone.
#[derive(Clone)]
pub struct ScanWriter {
    queue: mpsc::Sender<Job>,
}

impl ScanWriter {
    /// Starts the writer task; it ends when every handle has been dropped.
    pub fn start(ctx: Context) -> ScanWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_REQUESTS);
        tokio::spawn(write_batches(ctx, rx));
        ScanWriter { queue }
    }

    /// Decides and stores one device's batch; returns once it is committed.
    pub async fn submit(
        &self,
        device: DeviceRecord,
        batch: ScanBatch,
    ) -> anyhow::Result<Vec<ScanVerdict>> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                device,
                batch,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the scan writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the scan writer stopped before answering"))?
    }
}

async fn write_batches(ctx: Context, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_REQUESTS);
    while rx.recv_many(&mut jobs, MAX_REQUESTS).await > 0 {
        let mut by_event: HashMap<i64, Vec<Job>> = HashMap::new();
        for j in jobs.drain(..) {
            by_event.entry(j.device.event_id).or_default().push(j);
        }
        for (event_id, group) in by_event {
            write_group(&ctx, event_id, group).await;
        }
    }
}

/// Writes one event's requests together; if that fails, each is retried alone so one bad
/// request cannot fail the others.
async fn write_group(ctx: &Context, event_id: i64, group: Vec<Job>) {
    let now = Timestamp::now();
    let pairs: Vec<(&DeviceRecord, &ScanBatch)> =
        group.iter().map(|j| (&j.device, &j.batch)).collect();
    match ingest_many(ctx, event_id, &pairs, now).await {
        Ok(verdicts) => {
            for (job, v) in group.into_iter().zip(verdicts) {
                let _ = job.reply.send(Ok(v));
            }
        }
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, size = group.len(), "scan group failed; writing one by one");
            for job in group {
                let result = ingest_many(ctx, event_id, &[(&job.device, &job.batch)], now)
                    .await
                    .map(|mut v| v.remove(0));
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            if let Some(job) = group.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
    }
}
