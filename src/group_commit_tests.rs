//! Group commit: grouping by key, order of first arrival, latecomers, and a failed group
//! retried one by one.

use std::sync::{Arc, Mutex};

use anyhow::bail;

use super::*;

/// A key and a value; a negative value is poisoned: any group holding it fails to write.
type Item = (char, i32);

/// One call of `write`: the key, the values in the group, and whether it committed.
#[derive(Debug, PartialEq)]
struct Attempt {
    key: char,
    values: Vec<i32>,
    committed: bool,
}

fn attempt(key: char, values: &[i32], committed: bool) -> Attempt {
    Attempt {
        key,
        values: values.to_vec(),
        committed,
    }
}

/// What the writer saw, kept by the test after the writer has gone.
#[derive(Default)]
struct Log {
    attempts: Mutex<Vec<Attempt>>,
    joined: Mutex<Vec<i32>>,
    group_sizes: Mutex<Vec<usize>>,
}

/// Items for the writer to put in its queue, and the queue.
type Arrivals = (mpsc::Sender<Waiting<Writer>>, Vec<Waiting<Writer>>);

/// Answers each value times ten. Items to put in the queue while its first write runs (as
/// requests arriving while a transaction waits for a lock) are sent then, and gathered.
struct Writer {
    log: Arc<Log>,
    during_first_write: Mutex<Option<Arrivals>>,
}

impl Writer {
    fn new() -> (Writer, Arc<Log>) {
        let log = Arc::new(Log::default());
        let writer = Writer {
            log: log.clone(),
            during_first_write: Mutex::new(None),
        };
        (writer, log)
    }
}

impl GroupWriter for Writer {
    type Key = char;
    type Item = Item;
    type Answer = i32;
    const NAME: &'static str = "test";

    fn key(&self, item: &Item) -> char {
        item.0
    }

    async fn write(
        &self,
        key: &char,
        items: &mut Vec<Item>,
        late: &mut Latecomers<'_, Self>,
    ) -> anyhow::Result<Vec<i32>> {
        let arriving = self.during_first_write.lock().unwrap().take();
        if let Some((queue, arrivals)) = arriving {
            for w in arrivals {
                assert!(queue.try_send(w).is_ok(), "the queue has room");
            }
            late.gather(items);
        }
        // A real writer waits for its database here.
        tokio::task::yield_now().await;
        let values: Vec<i32> = items.iter().map(|(_, v)| *v).collect();
        let poisoned = values.iter().any(|v| *v < 0);
        self.log
            .attempts
            .lock()
            .unwrap()
            .push(attempt(*key, &values, !poisoned));
        if poisoned {
            bail!("poisoned item in {values:?}");
        }
        Ok(values.iter().map(|v| v * 10).collect())
    }

    fn joined(&self, item: &Item) {
        self.log.joined.lock().unwrap().push(item.1);
    }

    fn group_written(&self, size: usize, _took: Duration) {
        self.log.group_sizes.lock().unwrap().push(size);
    }
}

type Answer = oneshot::Receiver<anyhow::Result<i32>>;

fn waiting(item: Item) -> (Waiting<Writer>, Answer) {
    let (reply, answer) = oneshot::channel();
    (Waiting { item, reply }, answer)
}

/// Queues `items` in order, then runs the group commit until it has written them all.
async fn write_all(writer: Writer, items: &[Item], max_group: usize) -> Vec<anyhow::Result<i32>> {
    let (queue, rx) = mpsc::channel(64);
    let answers: Vec<Answer> = items
        .iter()
        .map(|item| {
            let (w, answer) = waiting(*item);
            assert!(queue.try_send(w).is_ok(), "the queue has room");
            answer
        })
        .collect();
    drop(queue);
    run(writer, max_group, rx).await;
    collect(answers).await
}

async fn collect(answers: Vec<Answer>) -> Vec<anyhow::Result<i32>> {
    let mut out = Vec::new();
    for answer in answers {
        out.push(answer.await.expect("every item is answered"));
    }
    out
}

fn committed(log: &Log) -> Vec<i32> {
    let mut values: Vec<i32> = log
        .attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.committed)
        .flat_map(|a| a.values.clone())
        .collect();
    values.sort_unstable();
    values
}

fn ok(answers: &[anyhow::Result<i32>]) -> Vec<Option<i32>> {
    answers.iter().map(|a| a.as_ref().ok().copied()).collect()
}

#[tokio::test]
async fn a_poisoned_item_gets_its_error_and_every_other_item_is_still_written_and_answered() {
    let (writer, log) = Writer::new();
    let items = [('a', 1), ('a', 2), ('a', -3), ('a', 4), ('b', 5), ('c', -6)];
    let answers = write_all(writer, &items, 128).await;

    assert_eq!(
        ok(&answers),
        [Some(10), Some(20), None, Some(40), Some(50), None]
    );
    for i in [2, 5] {
        let e = answers[i].as_ref().unwrap_err().to_string();
        assert!(e.contains("poisoned"), "{e}");
    }
    assert_eq!(
        *log.attempts.lock().unwrap(),
        [
            // The group fails, so each of its items is written alone.
            attempt('a', &[1, 2, -3, 4], false),
            attempt('a', &[1], true),
            attempt('a', &[2], true),
            attempt('a', &[-3], false),
            attempt('a', &[4], true),
            attempt('b', &[5], true),
            // A group of one that fails is not written again: its error is the answer.
            attempt('c', &[-6], false),
        ]
    );
    assert_eq!(committed(&log), [1, 2, 4, 5], "each written once");
    assert_eq!(*log.joined.lock().unwrap(), [1, 2, -3, 4, 5, -6]);
    assert_eq!(*log.group_sizes.lock().unwrap(), [4, 1, 1]);
}

#[tokio::test]
async fn groups_of_different_keys_are_written_in_the_order_their_keys_first_arrived() {
    let (writer, log) = Writer::new();
    let items = [('m', 1), ('c', 2), ('x', 3), ('c', 4), ('a', 5), ('m', 6)];
    let answers = write_all(writer, &items, 128).await;

    assert_eq!(
        ok(&answers),
        [Some(10), Some(20), Some(30), Some(40), Some(50), Some(60)]
    );
    assert_eq!(
        *log.attempts.lock().unwrap(),
        [
            attempt('m', &[1, 6], true),
            attempt('c', &[2, 4], true),
            attempt('x', &[3], true),
            attempt('a', &[5], true),
        ]
    );
}

#[tokio::test]
async fn a_group_holds_at_most_max_group_items_in_arrival_order() {
    let (writer, log) = Writer::new();
    let items = [('a', 1), ('a', 2), ('a', 3), ('a', 4), ('a', 5)];
    write_all(writer, &items, 2).await;

    assert_eq!(
        *log.attempts.lock().unwrap(),
        [
            attempt('a', &[1, 2], true),
            attempt('a', &[3, 4], true),
            attempt('a', &[5], true),
        ]
    );
}

#[tokio::test]
async fn items_arriving_during_a_write_join_their_keys_group_and_other_keys_wait_their_turn() {
    let (writer, log) = Writer::new();
    let (queue, rx) = mpsc::channel(64);
    let mut answers = Vec::new();
    for item in [('a', 1), ('b', 2)] {
        let (w, answer) = waiting(item);
        assert!(queue.try_send(w).is_ok());
        answers.push(answer);
    }
    // These reach the queue while the first group is being written; a poisoned one among
    // them fails that group, and the gathered items are retried alone like the others.
    let mut arrivals = Vec::new();
    for item in [('c', 3), ('a', -4), ('b', 5), ('a', 6)] {
        let (w, answer) = waiting(item);
        arrivals.push(w);
        answers.push(answer);
    }
    *writer.during_first_write.lock().unwrap() = Some((queue.clone(), arrivals));
    drop(queue);
    run(writer, 128, rx).await;
    let answers = collect(answers).await;

    assert_eq!(
        ok(&answers),
        [Some(10), Some(20), Some(30), None, Some(50), Some(60)]
    );
    assert_eq!(
        *log.attempts.lock().unwrap(),
        [
            attempt('a', &[1, -4, 6], false),
            attempt('a', &[1], true),
            attempt('a', &[-4], false),
            attempt('a', &[6], true),
            attempt('b', &[2, 5], true),
            attempt('c', &[3], true),
        ]
    );
    assert_eq!(*log.joined.lock().unwrap(), [1, -4, 6, 2, 5, 3]);
    assert_eq!(*log.group_sizes.lock().unwrap(), [3, 2, 1]);
}

#[tokio::test]
async fn submit_answers_each_caller_once_its_item_is_written() {
    let (writer, log) = Writer::new();
    let commit = GroupCommit::start(writer, 8);
    let (a, b, c) = tokio::join!(
        commit.submit(('a', 1)),
        commit.submit(('a', -2)),
        commit.submit(('b', 3)),
    );
    assert_eq!(a.unwrap(), 10);
    assert!(b.unwrap_err().to_string().contains("poisoned"));
    assert_eq!(c.unwrap(), 30);
    assert_eq!(committed(&log), [1, 3]);
}
