//! Group commit: items that arrive together are written together, one transaction per key.
//!
//! A database has one writer at a time for the same rows, and each transaction has a fixed
//! cost. Callers hand their item to a `GroupCommit` and wait; one task takes everything
//! waiting in its bounded queue, groups it by key (an event, say), and has the
//! `GroupWriter` write each group in one transaction, in the order each key first arrived.
//! Each caller is answered only after its group is written. If a group fails, its items
//! are written again one by one, so one bad item cannot fail the others: it alone gets the
//! error.

use std::{future::Future, time::Duration};

use anyhow::{Context as _, anyhow};
use tokio::sync::{mpsc, oneshot};

/// How items are grouped, and how one group is written in one transaction.
pub trait GroupWriter: Sized + Send + Sync + 'static {
    /// What the items of one group share.
    type Key: PartialEq + Send + Sync;
    type Item: Send + 'static;
    /// What each caller gets back once its item is written.
    type Answer: Send + 'static;

    /// What is written, for errors and logs: "the {NAME} writer has stopped".
    const NAME: &'static str;

    fn key(&self, item: &Self::Item) -> Self::Key;

    /// Writes `items`, all of `key`, in one transaction: all or nothing. The writer may
    /// append the key's items that arrived meanwhile with `late.gather(items)` (for one
    /// whose transaction waited for a lock, say); the answers are one per item of `items` as
    /// it ends up, in order.
    fn write(
        &self,
        key: &Self::Key,
        items: &mut Vec<Self::Item>,
        late: &mut Latecomers<'_, Self>,
    ) -> impl Future<Output = anyhow::Result<Vec<Self::Answer>>> + Send;

    /// Called once for each item as it joins a group; not again when it is retried alone.
    fn joined(&self, _item: &Self::Item) {}

    /// Called once a group's write has ended, whatever its outcome, with the group's size
    /// and how long the write took; not for the retries of its items one by one.
    fn group_written(&self, _size: usize, _took: Duration) {}
}

/// An item waiting for its group, and where its answer goes.
struct Waiting<W: GroupWriter> {
    item: W::Item,
    reply: oneshot::Sender<anyhow::Result<W::Answer>>,
}

/// The handle callers submit items through; cheap to clone.
pub struct GroupCommit<W: GroupWriter> {
    queue: mpsc::Sender<Waiting<W>>,
}

impl<W: GroupWriter> Clone for GroupCommit<W> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<W: GroupWriter> GroupCommit<W> {
    /// Starts the writing task, which takes at most `max_group` items from the queue at a
    /// time; it ends when every handle has been dropped.
    pub fn start(writer: W, max_group: usize) -> GroupCommit<W> {
        let (queue, rx) = mpsc::channel(4 * max_group);
        tokio::spawn(run(writer, max_group, rx));
        GroupCommit { queue }
    }

    /// Queues `item` and returns its answer once its group (or, if that failed, the item
    /// alone) is written.
    pub async fn submit(&self, item: W::Item) -> anyhow::Result<W::Answer> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Waiting { item, reply })
            .await
            .map_err(|_| anyhow!("the {} writer has stopped", W::NAME))?;
        answer
            .await
            .map_err(|_| anyhow!("the {} writer stopped before answering", W::NAME))?
    }
}

/// The key's items that reached the queue while its group was being written, for the writer
/// to add to the group; empty when an item is retried alone.
pub struct Latecomers<'a, W: GroupWriter> {
    queue: Option<Queue<'a, W>>,
}

/// What gathering latecomers needs of the running group commit.
struct Queue<'a, W: GroupWriter> {
    writer: &'a W,
    key: &'a W::Key,
    max_group: usize,
    rx: &'a mut mpsc::Receiver<Waiting<W>>,
    /// The replies of the group's items, in step with its items.
    replies: &'a mut Vec<oneshot::Sender<anyhow::Result<W::Answer>>>,
    /// Items of other keys taken from the queue; their groups are written next.
    others: &'a mut Vec<Waiting<W>>,
}

impl<W: GroupWriter> Latecomers<'_, W> {
    fn none() -> Self {
        Latecomers { queue: None }
    }

    /// Appends to `items` the key's items waiting in the queue, until the group holds
    /// `max_group` items; those of other keys are kept, in order, for their own groups.
    pub fn gather(&mut self, items: &mut Vec<W::Item>) {
        let Some(q) = &mut self.queue else { return };
        while items.len() < q.max_group {
            let Ok(w) = q.rx.try_recv() else { break };
            if q.writer.key(&w.item) != *q.key {
                q.others.push(w);
                continue;
            }
            q.writer.joined(&w.item);
            items.push(w.item);
            q.replies.push(w.reply);
        }
    }
}

/// Writes what arrives until every handle is dropped and the queue is empty.
async fn run<W: GroupWriter>(writer: W, max_group: usize, mut rx: mpsc::Receiver<Waiting<W>>) {
    let mut waiting = Vec::with_capacity(max_group);
    while rx.recv_many(&mut waiting, max_group).await > 0 {
        // The key that arrived first goes first, with at most `max_group` of its items (the
        // rest make its next group); latecomers of other keys taken while a group is written
        // join `waiting` behind those already there.
        while let Some(first) = waiting.first() {
            let key = writer.key(&first.item);
            let mut group = Vec::new();
            let mut rest = Vec::with_capacity(waiting.len());
            for w in waiting.drain(..) {
                if group.len() < max_group && writer.key(&w.item) == key {
                    group.push(w);
                } else {
                    rest.push(w);
                }
            }
            waiting = rest;
            write_group(&writer, &key, group, max_group, &mut rx, &mut waiting).await;
        }
    }
}

/// Writes one group and answers its items; if the group fails, each item is written alone.
async fn write_group<W: GroupWriter>(
    writer: &W,
    key: &W::Key,
    group: Vec<Waiting<W>>,
    max_group: usize,
    rx: &mut mpsc::Receiver<Waiting<W>>,
    others: &mut Vec<Waiting<W>>,
) {
    let (mut items, mut replies): (Vec<W::Item>, Vec<_>) =
        group.into_iter().map(|w| (w.item, w.reply)).unzip();
    for item in &items {
        writer.joined(item);
    }
    let started = std::time::Instant::now();
    let result = {
        let mut late = Latecomers {
            queue: Some(Queue {
                writer,
                key,
                max_group,
                rx,
                replies: &mut replies,
                others,
            }),
        };
        writer.write(key, &mut items, &mut late).await
    };
    writer.group_written(items.len(), started.elapsed());
    match result {
        Ok(answers) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        Err(e) if items.len() > 1 => {
            tracing::warn!(error = %e, size = items.len(), "{} group failed; writing one by one", W::NAME);
            for (item, reply) in items.into_iter().zip(replies) {
                let mut one = vec![item];
                let result = writer
                    .write(key, &mut one, &mut Latecomers::none())
                    .await
                    .and_then(|answers| {
                        answers
                            .into_iter()
                            .next()
                            .with_context(|| format!("the {} writer gave no answer", W::NAME))
                    });
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

#[cfg(test)]
#[path = "group_commit_tests.rs"]
mod tests;
