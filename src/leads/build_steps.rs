//! The pure steps of a lead build: what it reads, what earlier builds and feedback leave it,
//! the scoring of one chunk, and the tally of what it built.

use std::collections::HashMap;

use jiff::{Timestamp, tz::TimeZone};

use super::{BuildReport, inputs::BuildRecord};
use crate::{
    domain::{
        leads::account_routing::AccountOwners,
        leads::build::{self, KeptRoute, Scorer},
        leads::follow_up::{self, PriorOutcome},
        leads::package::{LeadPackage, Tier},
        leads::playbook::Playbook,
        leads::routing::RoutingRules,
    },
    store::{FeedbackRecord, LeadSummary, StoredLead, ts},
};

/// What a build reads besides the trails, and when its replacing transaction opens.
#[derive(Debug, Clone, Copy)]
pub struct ReadPlan {
    /// Where the reading records its progress: only a build that stores something.
    pub record: Option<BuildRecord>,
    /// The build whose replacing transaction opens (and deletes the old leads) while the
    /// inputs are read.
    pub early_write: Option<i64>,
    /// Whether the attendees' companies are read: only to route by account.
    pub companies: bool,
}

/// What to read for the build `build_id` (`None`: a dry run) of `total` attendees.
/// `writers_queue`: the database has one writer at a time (SQLite); readers keep seeing the old
/// leads until the replacing transaction commits, but on such a database it opens only once
/// there is something to write, leaving the door's scan writes free meanwhile.
pub fn read_plan(
    build_id: Option<i64>,
    total: usize,
    writers_queue: bool,
    routing: Option<&RoutingRules>,
) -> ReadPlan {
    ReadPlan {
        record: build_id.map(|build_id| BuildRecord {
            build_id,
            total: total as i64,
        }),
        early_write: build_id.filter(|_| !writers_queue),
        companies: routing.is_some_and(|r| r.by_account),
    }
}

/// What earlier builds and sales feedback leave the build, keyed by attendee.
#[derive(Debug, Default)]
pub struct Carried {
    /// Routes kept: a routed lead keeps its owner and deadline.
    pub kept: HashMap<i64, KeptRoute>,
    /// Company by attendee, for routing by account.
    pub company_of: HashMap<i64, i64>,
    /// The latest outcome sales recorded.
    pub prior: HashMap<i64, PriorOutcome>,
    /// The tier each lead had, to count moves.
    pub before: HashMap<i64, Tier>,
}

impl Carried {
    /// From the stored (attendee, owner id, due at) routes, of owners in `owner_ids` (login
    /// name -> id) only; (attendee, company) pairs; the latest feedback, labelled by the
    /// playbook; and the stored leads' tiers (an unreadable tier counts as none).
    pub fn new(
        routes: Vec<(i64, i64, i64)>,
        owner_ids: &HashMap<String, i64>,
        companies: Vec<(i64, i64)>,
        feedback: Vec<FeedbackRecord>,
        summaries: Vec<LeadSummary>,
        playbook: &Playbook,
    ) -> Carried {
        let names: HashMap<i64, &String> = owner_ids.iter().map(|(n, id)| (*id, n)).collect();
        let kept = routes
            .into_iter()
            .filter_map(|(attendee, owner, due)| {
                names.get(&owner).map(|n| {
                    (
                        attendee,
                        KeptRoute {
                            owner: (*n).clone(),
                            due_at: ts(due),
                        },
                    )
                })
            })
            .collect();
        let prior = feedback
            .into_iter()
            .map(|f| {
                let p = PriorOutcome {
                    label: playbook.label(&f.outcome),
                    outcome: f.outcome,
                    at: ts(f.at),
                    next: f.next,
                };
                (f.attendee_id, p)
            })
            .collect();
        let before = summaries
            .into_iter()
            .map(|l| (l.attendee_id, l.tier))
            .collect();
        Carried {
            kept,
            company_of: companies.into_iter().collect(),
            prior,
            before,
        }
    }
}

/// Scores, routes and follows up the leads one chunk at a time, in attendee order.
pub struct Scoring<'a> {
    pub scorer: &'a Scorer<'a>,
    pub routing: Option<&'a RoutingRules>,
    pub carried: &'a Carried,
    pub owner_ids: &'a HashMap<String, i64>,
    pub now: Timestamp,
    pub tz: &'a TimeZone,
    /// Owners of companies so far: a company's leads go to one owner across chunks.
    accounts: AccountOwners,
}

impl<'a> Scoring<'a> {
    pub fn new(
        scorer: &'a Scorer<'a>,
        routing: Option<&'a RoutingRules>,
        carried: &'a Carried,
        owner_ids: &'a HashMap<String, i64>,
        now: Timestamp,
        tz: &'a TimeZone,
    ) -> Scoring<'a> {
        let accounts = AccountOwners::from_kept(
            carried.kept.iter().map(|(a, k)| (*a, k.owner.as_str())),
            &carried.company_of,
        );
        Scoring {
            scorer,
            routing,
            carried,
            owner_ids,
            now,
            tz,
            accounts,
        }
    }

    /// The packages from the `start`-th lead on, at most `size`, and their stored form.
    pub fn chunk(
        &mut self,
        start: usize,
        size: usize,
    ) -> anyhow::Result<(Vec<LeadPackage>, Vec<StoredLead>)> {
        let end = (start + size).min(self.scorer.len());
        let mut chunk: Vec<LeadPackage> = (start..end).map(|i| self.scorer.package(i)).collect();
        let kept = &self.carried.kept;
        if let Some(routing) = self.routing {
            build::route(&mut chunk, routing, kept, self.now, self.tz);
            if routing.by_account {
                self.accounts
                    .apply(&mut chunk, &self.carried.company_of, |id| {
                        kept.contains_key(&id)
                    });
            }
        }
        let tz = self.tz;
        let day = |t: Timestamp| t.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string();
        follow_up::apply(&mut chunk, &self.carried.prior, &day);
        let rows = chunk
            .iter_mut()
            .map(|l| super::stored(l, self.owner_ids))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((chunk, rows))
    }
}

impl BuildReport {
    /// Counts a chunk of built leads in: tiers, routes and moves against `before`. Returns
    /// the leads the webhook is told about when `webhook` is on: those of routed tiers that
    /// are new or changed tier.
    pub fn count(
        &mut self,
        chunk: Vec<LeadPackage>,
        before: &HashMap<i64, Tier>,
        routing: Option<&RoutingRules>,
        webhook: bool,
    ) -> Vec<LeadPackage> {
        let moves = build::tier_moves(before, &chunk);
        for (k, v) in moves.counts {
            *self.moves.counts.entry(k).or_default() += v;
        }
        self.moves.moved.extend(moves.moved);
        self.moved = self.moves.moved.len();
        let mut changed = Vec::new();
        for lead in chunk {
            *self.tiers.entry(lead.tier.as_str().to_owned()).or_default() += 1;
            self.routed += usize::from(lead.routing.is_some());
            self.leads += 1;
            let routed_tier = routing.is_some_and(|r| r.routes(lead.tier));
            if webhook && routed_tier && before.get(&lead.attendee_id) != Some(&lead.tier) {
                changed.push(lead);
            }
        }
        changed
    }
}

#[cfg(test)]
#[path = "build_steps_tests.rs"]
mod tests;
