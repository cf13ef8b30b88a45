//! The lead builder: trails -> topic interest -> tiered, explained, routed lead packages,
//! stored per event; plus the export and the webhook. The scoring itself is pure
//! (`domain::lead_build`); this module loads, routes, stores and reports.

pub mod alerts;
pub mod export;
pub mod feedback;
pub mod files;
pub mod inputs;
pub mod live_updates;
pub mod reassign;
pub mod settings;
pub mod watch_file;
pub mod webhook;

use std::collections::{BTreeMap, HashMap};

use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;

pub use files::FileChoice;
pub use settings::LeadSettings;

use crate::{
    context::Context,
    domain::{
        account_routing::AccountOwners,
        lead::{LeadPackage, Tier},
        lead_build::{self, KeptRoute, Scorer, TierMoves},
        lead_follow_up::{self, PriorOutcome},
    },
    store::{EventRecord, StoreError, StoredLead, ts},
};

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub files: FileChoice,
    /// Compute and compare with the stored leads, store nothing.
    pub dry_run: bool,
    /// Login name (or `cli`) recorded with the build.
    pub started_by: String,
}

/// Where a build is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Scoring,
    Writing,
    Done,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Reading => "reading trails",
            Phase::Scoring => "scoring",
            Phase::Writing => "saving",
            Phase::Done => "done",
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    pub build_id: Option<i64>,
    pub dry_run: bool,
    pub leads: usize,
    pub tiers: BTreeMap<String, usize>,
    pub routed: usize,
    /// Leads whose tier differs from the stored build (or that had none).
    pub moved: usize,
    #[serde(skip)]
    pub moves: TierMoves,
    pub sources: Vec<String>,
    pub webhook_posted: usize,
    pub webhook_failed: usize,
}

/// Leads are scored and written this many at a time inside the one replacing transaction.
const WRITE_CHUNK: usize = crate::store::LEAD_INSERT_CHUNK;

/// Builds (or with `dry_run`, previews) the leads of one event.
pub async fn build(
    ctx: &Context,
    event: &EventRecord,
    opts: &BuildOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> anyhow::Result<BuildReport> {
    claim(ctx, event, opts)
        .await
        .map_err(anyhow::Error::from)?
        .run(ctx, event, opts, progress)
        .await
}

/// Why a build did not start.
#[derive(Debug, thiserror::Error)]
pub enum NotStarted {
    /// Another build of the event is running (the store's one-running-build rule).
    #[error("{0}")]
    AlreadyRunning(String),
    /// The lead files or the accounts they name are wrong, or the store failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// A build that holds the event's build slot (or a dry run, which needs none), with its
/// files read and checked, ready to run.
pub struct ClaimedBuild {
    files: files::LeadFiles,
    owner_ids: HashMap<String, i64>,
    build_id: Option<i64>,
}

/// Reads and checks the lead files and claims the event's build slot; fails at once, before
/// any work, when another build is running.
pub async fn claim(
    ctx: &Context,
    event: &EventRecord,
    opts: &BuildOptions,
) -> Result<ClaimedBuild, NotStarted> {
    let files = files::load(
        &ctx.settings.leads.config_dir,
        event.info.slug.as_str(),
        &opts.files,
    )?;
    let owner_ids: HashMap<String, i64> = ctx
        .store
        .leads()
        .lead_owner_ids()
        .await
        .map_err(anyhow::Error::from)?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    if let Some(routing) = &files.routing {
        let unknown: Vec<&str> = routing
            .owners()
            .into_iter()
            .filter(|o| !owner_ids.contains_key(*o))
            .collect();
        if !unknown.is_empty() {
            return Err(anyhow::anyhow!(
                "the routing file names owners without an enabled sales, marketer or admin account: {}",
                unknown.join(", ")
            )
            .into());
        }
    }
    let build_id = if opts.dry_run {
        None
    } else {
        let who = if opts.started_by.is_empty() {
            "cli"
        } else {
            &opts.started_by
        };
        Some(
            ctx.store
                .leads()
                .start_lead_build(event.id, who, Timestamp::now())
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(m) => NotStarted::AlreadyRunning(m),
                    e => NotStarted::Failed(e.into()),
                })?,
        )
    };
    Ok(ClaimedBuild {
        files,
        owner_ids,
        build_id,
    })
}

impl ClaimedBuild {
    /// Scores, writes and routes; a failure is recorded on the build.
    pub async fn run(
        self,
        ctx: &Context,
        event: &EventRecord,
        opts: &BuildOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> anyhow::Result<BuildReport> {
        let build_id = self.build_id;
        let started = std::time::Instant::now();
        let result = run(
            ctx,
            event,
            opts,
            self.files,
            &self.owner_ids,
            build_id,
            progress,
        )
        .await;
        crate::telemetry::lead_build(result.is_ok(), started.elapsed());
        if let (Err(e), Some(id)) = (&result, build_id) {
            let _ = ctx
                .store
                .leads()
                .fail_lead_build(id, &format!("{e:#}"), Timestamp::now())
                .await;
        }
        result
    }

    /// `run` with owned arguments, for `tokio::spawn` (the web UI's button).
    pub async fn run_in_background(
        self,
        ctx: Context,
        event: EventRecord,
        opts: BuildOptions,
    ) -> anyhow::Result<BuildReport> {
        let quiet = |_: Progress| {};
        self.run(&ctx, &event, &opts, &quiet).await
    }
}

/// `build` with owned arguments, for `tokio::spawn` (tests).
pub async fn build_in_background(
    ctx: Context,
    event: EventRecord,
    opts: BuildOptions,
) -> anyhow::Result<BuildReport> {
    let quiet = |_: Progress| {};
    let progress: &(dyn Fn(Progress) + Send + Sync) = &quiet;
    build(&ctx, &event, &opts, progress).await
}

async fn run(
    ctx: &Context,
    event: &EventRecord,
    opts: &BuildOptions,
    files: files::LeadFiles,
    owner_ids: &HashMap<String, i64>,
    build_id: Option<i64>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> anyhow::Result<BuildReport> {
    let store = &ctx.store;
    let total = store.leads().lead_attendee_count(event.id).await? as usize;
    progress(Progress {
        phase: Phase::Reading,
        done: 0,
        total,
    });
    let record = build_id.map(|build_id| inputs::BuildRecord {
        build_id,
        total: total as i64,
    });
    let reading = move |done: usize| {
        progress(Progress {
            phase: Phase::Reading,
            done,
            total,
        })
    };
    let reading: &(dyn Fn(usize) + Send + Sync) = &reading;
    let now = Timestamp::now();
    // On PostgreSQL the replacing transaction opens (and deletes the old leads) while the
    // inputs are read: readers keep seeing the old leads until it commits. SQLite has one
    // writer at a time, so there it opens only once there is something to write, leaving
    // the door's scan writes free meanwhile.
    let early = build_id.filter(|_| !store.writers_queue());
    let started = std::time::Instant::now();
    let by_account = files.routing.as_ref().is_some_and(|r| r.by_account);
    let (input, owners, feedback, companies, summaries, early_write) = tokio::try_join!(
        inputs::load(store, event.id, record, reading),
        async { Ok(store.leads().lead_owners(event.id).await?) },
        async { Ok(store.leads().latest_lead_feedback(event.id).await?) },
        async {
            match by_account {
                true => Ok(store.data_pool().event_companies(event.id).await?),
                false => Ok(Vec::new()),
            }
        },
        async { Ok(store.leads().event_lead_summaries(event.id).await?) },
        async {
            match early {
                Some(id) => Ok(Some(
                    store.leads().begin_lead_write(id, event.id, now).await?,
                )),
                None => Ok::<_, anyhow::Error>(None),
            }
        },
    )?;
    let read_s = started.elapsed().as_secs_f64();
    let scorer = Scorer::new(&input, &files.rules, &files.content);
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let kept: HashMap<i64, KeptRoute> = {
        let names: HashMap<i64, &String> = owner_ids.iter().map(|(n, id)| (*id, n)).collect();
        owners
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
            .collect()
    };
    let company_of: HashMap<i64, i64> = companies.into_iter().collect();
    let mut accounts = AccountOwners::from_kept(
        kept.iter().map(|(a, k)| (*a, k.owner.as_str())),
        &company_of,
    );
    let prior: HashMap<i64, PriorOutcome> = feedback
        .into_iter()
        .map(|f| {
            let p = PriorOutcome {
                label: files.playbook.label(&f.outcome),
                outcome: f.outcome,
                at: ts(f.at),
                next: f.next,
            };
            (f.attendee_id, p)
        })
        .collect();
    let day = |t: Timestamp| t.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string();
    let before: HashMap<i64, Tier> = summaries
        .into_iter()
        .map(|l| (l.attendee_id, l.tier))
        .collect();
    let mut report = BuildReport {
        build_id,
        dry_run: opts.dry_run,
        sources: files.sources.clone(),
        ..BuildReport::default()
    };
    // Chunk k+1 is scored while chunk k is written: the writer is its own task, so the
    // database (SQLite's worker thread or the PostgreSQL server) works on the other core
    // while this one scores, instead of taking turns.
    let (to_writer, mut chunks) = tokio::sync::mpsc::channel::<Vec<StoredLead>>(2);
    let writer = match (early_write, build_id) {
        (Some(w), _) => Some(w),
        (None, Some(id)) => Some(store.leads().begin_lead_write(id, event.id, now).await?),
        (None, None) => None,
    };
    let writer = writer.map(|mut w| {
        tokio::spawn(async move {
            while let Some(rows) = chunks.recv().await {
                w.write(rows).await?;
            }
            Ok::<_, StoreError>(w)
        })
    });
    // Kept only for the webhook: packages of routed tiers that are new or changed tier.
    let webhook = build_id.is_some() && ctx.settings.leads.webhook_url.is_some();
    let mut changed: Vec<LeadPackage> = Vec::new();
    let mut score_chunk = |start: usize| -> anyhow::Result<(Vec<LeadPackage>, Vec<StoredLead>)> {
        let end = (start + WRITE_CHUNK).min(scorer.len());
        let mut chunk: Vec<LeadPackage> = (start..end).map(|i| scorer.package(i)).collect();
        if let Some(routing) = &files.routing {
            lead_build::route(&mut chunk, routing, &kept, now, &tz);
            if routing.by_account {
                accounts.apply(&mut chunk, &company_of, |id| kept.contains_key(&id));
            }
        }
        lead_follow_up::apply(&mut chunk, &prior, &day);
        let rows = chunk
            .iter_mut()
            .map(|l| stored(l, owner_ids))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((chunk, rows))
    };
    let mut start = 0;
    while start < scorer.len() {
        let (chunk, rows) = score_chunk(start)?;
        start += chunk.len();
        // A closed channel means the writer stopped on an error, which joining it reports.
        if writer.is_some() && to_writer.send(rows).await.is_err() {
            break;
        }
        let moves = lead_build::tier_moves(&before, &chunk);
        for (k, v) in moves.counts {
            *report.moves.counts.entry(k).or_default() += v;
        }
        report.moves.moved.extend(moves.moved);
        for lead in chunk {
            *report
                .tiers
                .entry(lead.tier.as_str().to_owned())
                .or_default() += 1;
            report.routed += usize::from(lead.routing.is_some());
            report.leads += 1;
            let routed_tier = files.routing.as_ref().is_some_and(|r| r.routes(lead.tier));
            if webhook && routed_tier && before.get(&lead.attendee_id) != Some(&lead.tier) {
                changed.push(lead);
            }
        }
        progress(Progress {
            phase: Phase::Scoring,
            done: report.leads,
            total,
        });
    }
    report.moved = report.moves.moved.len();
    drop(to_writer);
    if let Some(w) = writer {
        let w = w.await.context("the lead writer stopped")??;
        progress(Progress {
            phase: Phase::Writing,
            done: report.leads,
            total,
        });
        let summary = serde_json::to_string(&report).context("summarising the build")?;
        let insight =
            serde_json::to_string(scorer.insight()).context("writing the cross-topic insight")?;
        let scored_s = started.elapsed().as_secs_f64();
        w.finish(&summary, Some(&insight))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => anyhow::anyhow!("{m}"),
                e => anyhow::Error::new(e),
            })?;
        tracing::info!(
            event = event.id,
            leads = report.leads,
            read_s,
            scored_and_written_s = scored_s - read_s,
            committed_s = started.elapsed().as_secs_f64() - scored_s,
            "lead build stored"
        );
        if let Some(url) = &ctx.settings.leads.webhook_url {
            let sent =
                webhook::post_all(&ctx.settings.leads, url, event.info.slug.as_str(), &changed)
                    .await;
            report.webhook_posted = sent.posted;
            report.webhook_failed = sent.failed;
        }
    }
    progress(Progress {
        phase: Phase::Done,
        done: report.leads,
        total,
    });
    Ok(report)
}

/// Room for the JSON of a typical stored package (3 to 4 KB at the sample event).
const PACKAGE_BYTES: usize = 4096;

/// The stored form of a package: the explanation goes in its own column only (a tenth of
/// the row, which on SQLite is the difference between one page a lead and two).
fn stored(l: &mut LeadPackage, owner_ids: &HashMap<String, i64>) -> anyhow::Result<StoredLead> {
    let (owner_id, due_at) = match &l.routing {
        Some(r) => (
            owner_ids.get(&r.owner).copied(),
            r.due_at
                .parse::<Timestamp>()
                .ok()
                .map(|t| t.as_millisecond()),
        ),
        None => (None, None),
    };
    let explanation = std::mem::take(&mut l.explanation);
    // Sized for a typical package up front: growing the buffer from empty reallocates it
    // a dozen times per lead.
    let mut json = Vec::with_capacity(PACKAGE_BYTES);
    let written = serde_json::to_writer(&mut json, l);
    l.explanation.clone_from(&explanation);
    written.context("writing a lead package")?;
    let package = String::from_utf8(json).context("writing a lead package")?;
    Ok(StoredLead {
        attendee_id: l.attendee_id,
        tier: l.tier.as_str().into(),
        top_topic: l.top_topic().map(|t| t.slug.clone()),
        score: l.score,
        fit: l.fit,
        engagement: l.engagement,
        stage: l.needs.stage.clone(),
        topic_scores: l.topic_scores(),
        explanation,
        package,
        owner_id,
        due_at,
        next_need: l.next_need.as_ref().map(|n| n.slug.clone()),
    })
}
