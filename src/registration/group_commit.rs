//! Group commit for registrations: those that arrive together share one transaction.
//!
//! A database has one writer at a time (SQLite literally, PostgreSQL for the same rows), and
//! each transaction has a fixed cost. Under load, registrations queue here and the writer
//! takes everything that is waiting, so the cost is paid once per batch instead of once per
//! person. Each caller still gets its answer only after the batch has committed.

use std::collections::HashMap;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use super::{Source, record};
use crate::{
    context::Context,
    domain::attendee::Registration,
    store::{EventRecord, RegistrationOutcome},
};

/// Largest batch written in one transaction.
const MAX_BATCH: usize = 128;

struct Pending {
    event: EventRecord,
    registration: Registration,
    source: Source,
    reply: oneshot::Sender<anyhow::Result<RegistrationOutcome>>,
}

/// The handle callers submit registrations through; cheap to clone.
#[derive(Clone)]
pub struct RegistrationWriter {
    queue: mpsc::Sender<Pending>,
}

impl RegistrationWriter {
    /// Starts the writer task. It ends when every handle has been dropped.
    pub fn start(ctx: Context) -> RegistrationWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(ctx, rx));
        RegistrationWriter { queue }
    }

    /// Records one checked registration (queueing its badge email); returns once committed.
    pub async fn submit(
        &self,
        event: &EventRecord,
        registration: Registration,
        source: Source,
    ) -> anyhow::Result<RegistrationOutcome> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            event: event.clone(),
            registration,
            source,
            reply,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| anyhow::anyhow!("the registration writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the registration writer stopped before answering"))?
    }
}

async fn write_batches(ctx: Context, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut groups: HashMap<(i64, Source), Vec<Pending>> = HashMap::new();
        for p in batch.drain(..) {
            groups.entry((p.event.id, p.source)).or_default().push(p);
        }
        for ((_, source), group) in groups {
            write_group(&ctx, group, source).await;
        }
    }
}

/// Writes a group in one transaction. If that fails, each registration is retried on its
/// own, so one bad registration cannot fail the others.
async fn write_group(ctx: &Context, group: Vec<Pending>, source: Source) {
    let event = group[0].event.clone();
    let registrations: Vec<Registration> = group.iter().map(|p| p.registration.clone()).collect();
    let now = Timestamp::now();
    match record(ctx, &event, &registrations, source, true, now).await {
        Ok(outcomes) => {
            for (p, outcome) in group.into_iter().zip(outcomes) {
                let _ = p.reply.send(Ok(outcome));
            }
        }
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, size = group.len(), "batch failed; writing one by one");
            for p in group {
                let result = record(
                    ctx,
                    &p.event,
                    std::slice::from_ref(&p.registration),
                    source,
                    true,
                    now,
                )
                .await
                .map(|mut o| o.remove(0));
                let _ = p.reply.send(result);
            }
        }
        Err(e) => {
            if let Some(p) = group.into_iter().next() {
                let _ = p.reply.send(Err(e));
            }
        }
    }
}
