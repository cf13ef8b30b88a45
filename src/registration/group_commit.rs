//! Group commit for registrations: those that arrive together share one transaction.
//!
//! A database has one writer at a time (SQLite literally, PostgreSQL for the same rows), and
//! each transaction has a fixed cost. Under load, registrations queue here and the writer
//! takes everything that is waiting, so the cost is paid once per batch instead of once per
//! person. Each caller still gets its answer only after the batch has committed; the queue,
//! the grouping and the one-by-one retry of a failed batch are `crate::group_commit`'s.

use jiff::Timestamp;

use super::{Source, record};
use crate::{
    context::Context,
    domain::attendee::Registration,
    group_commit::{GroupCommit, GroupWriter, Latecomers},
    store::{EventRecord, RegistrationOutcome},
};

/// Largest batch written in one transaction.
const MAX_BATCH: usize = 128;

/// The handle callers submit registrations through; cheap to clone.
#[derive(Clone)]
pub struct RegistrationWriter {
    batches: GroupCommit<Registrations>,
}

impl RegistrationWriter {
    /// Starts the writer task. It ends when every handle has been dropped.
    pub fn start(ctx: Context) -> RegistrationWriter {
        RegistrationWriter {
            batches: GroupCommit::start(Registrations { ctx }, MAX_BATCH),
        }
    }

    /// Records one checked registration (queueing its badge email); returns once committed.
    pub async fn submit(
        &self,
        event: &EventRecord,
        registration: Registration,
        source: Source,
    ) -> anyhow::Result<RegistrationOutcome> {
        self.batches
            .submit(Pending {
                event: event.clone(),
                registration,
                source,
            })
            .await
    }
}

struct Pending {
    event: EventRecord,
    registration: Registration,
    source: Source,
}

/// Records the registrations of one event and source together, queueing their badge emails.
struct Registrations {
    ctx: Context,
}

impl GroupWriter for Registrations {
    type Key = (i64, Source);
    type Item = Pending;
    type Answer = RegistrationOutcome;
    const NAME: &'static str = "registration";

    fn key(&self, p: &Pending) -> (i64, Source) {
        (p.event.id, p.source)
    }

    async fn write(
        &self,
        &(_, source): &(i64, Source),
        batch: &mut Vec<Pending>,
        _late: &mut Latecomers<'_, Self>,
    ) -> anyhow::Result<Vec<RegistrationOutcome>> {
        let registrations: Vec<Registration> =
            batch.iter().map(|p| p.registration.clone()).collect();
        record(
            &self.ctx,
            &batch[0].event,
            &registrations,
            source,
            true,
            Timestamp::now(),
        )
        .await
    }
}
