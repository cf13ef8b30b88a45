//! One try at deciding a scan group, as pure steps between the write transaction's statements.
//!
//! `write::write_group` runs the statements; everything it works out between them (which
//! devices report, which scans to decide, what to read, the rows to insert, each scan's
//! verdict) is a method here, on values only, so each step is tested without a database.

use std::collections::{HashMap, HashSet};

use super::prepare::PreparedBatch;
use crate::{
    domain::{
        dashboard::Decision as StoredDecision,
        door::scan::{Decision, PreviousLookup, ScanFacts, ScanRules, SessionSlot},
        door::scan_group::{self, StoredAccepted},
    },
    store::{AcceptedScan, DeviceContact, NewScan, ScanVerdict},
};

use super::greeting;

/// Verdicts found stored already, by (device, nonce).
pub type Earlier = HashMap<(i64, String), ScanVerdict>;

/// (device id, token hash) of the devices that may still write.
pub type Live = HashSet<(i64, Option<String>)>;

/// The (device, nonce) pairs of `jobs` whose stored verdict is not in `earlier` yet.
pub fn unknown_pairs<'a>(jobs: &'a [PreparedBatch], earlier: &Earlier) -> Vec<(i64, &'a str)> {
    jobs.iter()
        .flat_map(|j| {
            j.batch
                .scans
                .iter()
                .map(|s| (j.device.id, s.nonce.as_str()))
        })
        .filter(|(d, n)| !earlier.contains_key(&(*d, (*n).to_owned())))
        .collect()
}

/// One try at a group: its batches once the event's lock is held, each checked against the
/// door state whose session slots are `slots`, and the verdicts earlier tries found stored.
pub struct Attempt<'a> {
    pub jobs: &'a [PreparedBatch],
    pub slots: &'a [SessionSlot],
    pub earlier: &'a Earlier,
    pub rules: &'a ScanRules,
}

/// Where one scan's verdict comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `n`-th scan decided in this try.
    Decided(usize),
    /// Stored by an earlier request: its verdict is kept.
    Stored,
}

/// What a try decides, once it knows which devices may write.
#[derive(Debug)]
pub struct Plan<'a> {
    /// Per batch, where each scan's verdict comes from; `None` when the device is gone.
    pub sources: Vec<Option<Vec<Source>>>,
    /// The scans to decide, in arrival order, as (batch, scan) indices: each (device, nonce)
    /// once, its repeats in the group sharing its decision.
    pub todo: Vec<(usize, usize)>,
    /// The facts of each scan in `todo`.
    pub facts: Vec<ScanFacts<'a>>,
    /// The keys whose stored accepted scans the decisions need.
    pub lookups: Vec<PreviousLookup>,
}

impl<'a> Attempt<'a> {
    /// The devices' last contact: the latest arrival in the group.
    pub fn now_ms(&self) -> i64 {
        self.jobs
            .iter()
            .map(|j| j.received.as_millisecond())
            .max()
            .unwrap_or_default()
    }

    /// One contact per device and token, the latest request's: a device whose token was
    /// rotated between two of its requests in this group may write only with the token it
    /// holds now.
    pub fn contacts(&self) -> Vec<DeviceContact<'a>> {
        let mut contacts: HashMap<(i64, Option<&str>), DeviceContact> = HashMap::new();
        for j in self.jobs {
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
        contacts.into_values().collect()
    }

    fn is_live(j: &PreparedBatch, live: &Live) -> bool {
        live.contains(&(j.device.id, j.token_hash.clone()))
    }

    /// Which scans to decide now, given the devices that may still write: none of a gone
    /// device's, none already stored, and each (device, nonce) of the group once.
    pub fn plan(&self, live: &Live) -> Plan<'a> {
        let mut sources = Vec::with_capacity(self.jobs.len());
        let mut todo = Vec::new();
        let mut facts = Vec::new();
        let mut first: HashMap<(i64, &str), usize> = HashMap::new();
        for (b, j) in self.jobs.iter().enumerate() {
            if !Self::is_live(j, live) {
                sources.push(None);
                continue;
            }
            let mut out = Vec::with_capacity(j.scans.len());
            for (s, (reported, prepared)) in j.batch.scans.iter().zip(&j.scans).enumerate() {
                if self
                    .earlier
                    .contains_key(&(j.device.id, reported.nonce.clone()))
                {
                    out.push(Source::Stored);
                    continue;
                }
                let n = *first
                    .entry((j.device.id, reported.nonce.as_str()))
                    .or_insert_with(|| {
                        facts.push(prepared.facts(reported.direction, self.slots));
                        todo.push((b, s));
                        todo.len() - 1
                    });
                out.push(Source::Decided(n));
            }
            sources.push(Some(out));
        }
        let lookups = scan_group::lookups(&facts, self.rules);
        Plan {
            sources,
            todo,
            facts,
            lookups,
        }
    }

    /// The attendees whose names the door may greet by: every badge to decide that checked
    /// out (the admitted ones are among them) and the holders of the verdicts stored already.
    pub fn name_ids(&self, plan: &Plan<'_>) -> Vec<i64> {
        let mut ids: Vec<i64> = plan
            .todo
            .iter()
            .filter_map(|&(b, s)| self.jobs[b].scans[s].check.ok().map(|c| c.attendee_id))
            .chain(greeting::holders(self.earlier.values()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The scans of the plan as rows to insert, each with its decision against `accepted`,
    /// the stored accepted scans the store read for `plan.lookup_pairs()`.
    pub fn rows(&self, plan: &Plan<'_>, accepted: Vec<AcceptedScan>) -> Vec<NewScan<'a>> {
        let stored = plan.stored_accepted(accepted);
        let decisions = scan_group::decide_group(&plan.facts, &stored, self.rules);
        plan.todo
            .iter()
            .zip(decisions)
            .map(|(&(b, s), d)| {
                let j = &self.jobs[b];
                let (reported, prepared) = (&j.batch.scans[s], &j.scans[s]);
                NewScan {
                    device_id: j.device.id,
                    nonce: &reported.nonce,
                    badge: &prepared.badge,
                    attendee_id: prepared.check.ok().map(|c| c.attendee_id),
                    room_id: prepared.room_id,
                    session_id: d.session_id(),
                    direction: reported.direction,
                    device_time: reported.device_time.as_millisecond(),
                    scanned_at: prepared.at.as_millisecond(),
                    received_at: j.received.as_millisecond(),
                    decision: stored_decision(&d),
                    reason: match d {
                        Decision::Refused(r) => Some(r),
                        _ => None,
                    },
                }
            })
            .collect()
    }

    /// Per batch, in order, each scan's verdict: decided now (`rows`, as inserted) or stored
    /// earlier; `None` for a batch whose device is gone.
    pub fn verdicts(&self, plan: &Plan<'_>, rows: &[NewScan<'_>]) -> Vec<Option<Vec<ScanVerdict>>> {
        self.jobs
            .iter()
            .zip(&plan.sources)
            .map(|(j, srcs)| {
                let srcs = srcs.as_ref()?;
                Some(
                    j.batch
                        .scans
                        .iter()
                        .zip(srcs)
                        .map(|(reported, src)| match src {
                            Source::Decided(n) => verdict(&rows[*n]),
                            Source::Stored => {
                                self.earlier[&(j.device.id, reported.nonce.clone())].clone()
                            }
                        })
                        .collect(),
                )
            })
            .collect()
    }
}

impl Plan<'_> {
    /// The (attendee, session) pairs whose stored accepted scans the decisions need.
    pub fn lookup_pairs(&self) -> Vec<(i64, i64)> {
        let mut pairs: Vec<(i64, i64)> = self
            .lookups
            .iter()
            .map(|k| (k.attendee_id, k.session_id))
            .collect();
        pairs.dedup();
        pairs
    }

    /// The stored accepted scans that match a lookup of the plan (the read returns both
    /// directions of each pair).
    pub fn stored_accepted(&self, accepted: Vec<AcceptedScan>) -> Vec<StoredAccepted> {
        accepted
            .into_iter()
            .filter_map(|(attendee_id, session_id, direction, at)| {
                let key = self.lookups.iter().find(|k| {
                    k.attendee_id == attendee_id
                        && k.session_id == session_id
                        && k.direction.as_str() == direction
                })?;
                Some(StoredAccepted {
                    key: *key,
                    at: crate::store::ts(at),
                })
            })
            .collect()
    }
}

/// A decision as the scans table keeps it: what happened, without its details.
fn stored_decision(d: &Decision) -> StoredDecision {
    match d {
        Decision::Accepted { .. } => StoredDecision::Accepted,
        Decision::Duplicate { .. } => StoredDecision::Duplicate,
        Decision::Refused(_) => StoredDecision::Refused,
    }
}

/// The verdict of a scan decided now, as the store would give it back.
fn verdict(row: &NewScan) -> ScanVerdict {
    ScanVerdict {
        nonce: row.nonce.to_owned(),
        decision: row.decision,
        reason: row.reason,
        session_id: row.session_id,
        attendee_id: row.attendee_id,
    }
}

#[cfg(test)]
#[path = "attempt_tests.rs"]
mod tests;
