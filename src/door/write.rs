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

use std::collections::{HashMap, HashSet};

use anyhow::bail;

use super::{
    greeting::{self, DoorVerdict},
    prepare::PreparedBatch,
    state::DoorStates,
};
use crate::{
    domain::{
        door::scan::{Decision, ScanFacts},
        door::scan_group::{self, StoredAccepted},
    },
    store::{DeviceContact, NewScan, ScanVerdict, Store},
};

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

/// Where one scan's verdict comes from.
#[derive(Clone, Copy)]
enum Source {
    /// The `n`-th scan decided in this transaction.
    Decided(usize),
    /// Stored by an earlier request: its verdict is kept.
    Stored,
    /// The device is gone.
    Dropped,
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
    // (device, nonce) pairs found stored already, with their verdicts.
    let mut earlier: HashMap<(i64, String), ScanVerdict> = HashMap::new();
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
            let pairs: Vec<(i64, &str)> = jobs
                .iter()
                .flat_map(|j| {
                    j.batch
                        .scans
                        .iter()
                        .map(|s| (j.device.id, s.nonce.as_str()))
                })
                .filter(|(d, n)| !earlier.contains_key(&(*d, (*n).to_owned())))
                .collect();
            for (device_id, v) in w.stored_verdicts(&pairs).await? {
                earlier.insert((device_id, v.nonce.clone()), v);
            }
        }
        let now_ms = jobs
            .iter()
            .map(|j| j.received.as_millisecond())
            .max()
            .unwrap_or_default();
        // One contact per device and token: a device whose token was rotated between two of
        // its requests in this group may write only with the token it holds now.
        let mut contacts: HashMap<(i64, Option<&str>), DeviceContact> = HashMap::new();
        for j in jobs.iter() {
            contacts.insert(
                (j.device.id, j.token_hash.as_deref()),
                DeviceContact {
                    device_id: j.device.id,
                    token_hash: j.token_hash.as_deref(),
                    app_version: &j.batch.app_version,
                    queue_size: j.batch.queue_size,
                    clock_skew_ms: j.clock_skew_ms(),
                },
            );
        }
        let contacts: Vec<DeviceContact> = contacts.into_values().collect();
        let live: HashSet<(i64, Option<String>)> = w
            .touch_devices(&contacts, now_ms)
            .await?
            .into_iter()
            .collect();
        let live_job = |j: &PreparedBatch| live.contains(&(j.device.id, j.token_hash.clone()));

        // The scans to decide now, in arrival order; repeats of a (device, nonce) in the
        // group share the first one's decision.
        let mut sources: Vec<Vec<Source>> = Vec::with_capacity(jobs.len());
        let mut facts: Vec<ScanFacts> = Vec::new();
        let mut rows: Vec<NewScan> = Vec::new();
        let mut first: HashMap<(i64, &str), usize> = HashMap::new();
        for j in jobs.iter() {
            let alive = live_job(j);
            let mut out = Vec::with_capacity(j.scans.len());
            for (reported, prepared) in j.batch.scans.iter().zip(&j.scans) {
                if !alive {
                    out.push(Source::Dropped);
                    continue;
                }
                if earlier.contains_key(&(j.device.id, reported.nonce.clone())) {
                    out.push(Source::Stored);
                    continue;
                }
                let n = *first
                    .entry((j.device.id, reported.nonce.as_str()))
                    .or_insert_with(|| {
                        facts.push(prepared.facts(reported.direction, &state.slots));
                        rows.push(NewScan {
                            device_id: j.device.id,
                            nonce: &reported.nonce,
                            badge: &prepared.badge,
                            attendee_id: prepared.check.ok().map(|b| b.attendee_id),
                            room_id: prepared.room_id,
                            session_id: None,
                            direction: reported.direction.as_str(),
                            device_time: reported.device_time.as_millisecond(),
                            scanned_at: prepared.at.as_millisecond(),
                            received_at: j.received.as_millisecond(),
                            decision: "",
                            reason: None,
                        });
                        rows.len() - 1
                    });
                out.push(Source::Decided(n));
            }
            sources.push(out);
        }

        let lookups = scan_group::lookups(&facts, &rules);
        let mut pairs: Vec<(i64, i64)> = lookups
            .iter()
            .map(|k| (k.attendee_id, k.session_id))
            .collect();
        pairs.dedup();
        // Names for every badge that checked out: the admitted ones are among them.
        let mut name_ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.attendee_id)
            .chain(greeting::holders(earlier.values()))
            .collect();
        name_ids.sort_unstable();
        name_ids.dedup();
        let reads = w.group_reads(event_id, &pairs, &name_ids).await?;
        if reads.door_version != state.version {
            w.rollback().await?;
            state = states.reload(event_id).await?;
            continue;
        }
        let stored: Vec<StoredAccepted> = reads
            .accepted
            .into_iter()
            .filter_map(|(attendee_id, session_id, direction, at)| {
                let key = lookups.iter().find(|k| {
                    k.attendee_id == attendee_id
                        && k.session_id == session_id
                        && k.direction.as_str() == direction
                })?;
                Some(StoredAccepted {
                    key: *key,
                    at: crate::store::ts(at),
                })
            })
            .collect();
        let decisions = scan_group::decide_group(&facts, &stored, &rules);
        for (row, d) in rows.iter_mut().zip(&decisions) {
            row.session_id = d.session_id();
            row.decision = d.as_str();
            row.reason = match d {
                Decision::Refused(r) => Some(r.as_str()),
                _ => None,
            };
        }

        if w.insert_scans(event_id, &rows).await? != rows.len() as u64 {
            // Some were stored by an earlier request whose answer was lost (or by a retry of
            // the same batch that another instance committed before this group took the
            // lock): roll back, keep their verdicts, and decide the rest again without them,
            // since they may have been taken for doubles of those.
            w.rollback().await?;
            recheck = true;
            continue;
        }
        let verdict = |row: &NewScan| ScanVerdict {
            nonce: row.nonce.to_owned(),
            decision: row.decision.to_owned(),
            reason: row.reason.map(str::to_owned),
            session_id: row.session_id,
            attendee_id: row.attendee_id,
        };
        let verdicts: Vec<Option<Vec<ScanVerdict>>> = jobs
            .iter()
            .zip(sources)
            .map(|(j, srcs)| {
                live_job(j).then(|| {
                    j.batch
                        .scans
                        .iter()
                        .zip(srcs)
                        .map(|(reported, src)| match src {
                            Source::Decided(n) => verdict(&rows[n]),
                            _ => earlier[&(j.device.id, reported.nonce.clone())].clone(),
                        })
                        .collect()
                })
            })
            .collect();
        let names = greeting::first_names(reads.names);
        w.commit().await?;
        // Counted once committed, and only those decided now: a retried upload's scans
        // were counted when first stored.
        for row in &rows {
            crate::telemetry::scan_decided(row.decision, row.reason);
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
