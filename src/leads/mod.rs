//! The lead builder: trails -> topic interest -> tiered, explained, routed lead packages,
//! stored per event; plus the export and the webhook. The scoring itself is pure
//! (`domain::leads::build`); this module loads, routes, stores and reports.

pub mod alerts;
mod build_steps;
pub mod export;
pub mod feedback;
pub mod files;
pub mod inputs;
pub mod live_updates;
pub mod reassign;
pub mod watch_file;
pub mod webhook;

use std::collections::{BTreeMap, HashMap};

use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;

pub use crate::config::LeadSettings;
pub use files::FileChoice;

use crate::{
    context::Context,
    domain::{
        leads::build::{EventInput, Scorer, TierMoves},
        leads::elsewhere::Elsewhere,
        leads::insight::Insight,
        leads::package::LeadPackage,
    },
    store::{EventRecord, FeedbackRecord, LeadSummary, LeadWrite, Store, StoreError, StoredLead},
};
use build_steps::{Carried, ReadPlan, Scoring};

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
    let at = |phase, done| progress(Progress { phase, done, total });
    at(Phase::Reading, 0);
    let plan = build_steps::read_plan(
        build_id,
        total,
        store.writers_queue(),
        files.routing.as_ref(),
    );
    let now = Timestamp::now();
    let started = std::time::Instant::now();
    let read = read_inputs(store, event.id, &plan, now, &|done| {
        at(Phase::Reading, done)
    })
    .await?;
    let read_s = started.elapsed().as_secs_f64();
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let carried = Carried::new(
        read.routes,
        owner_ids,
        read.companies,
        read.feedback,
        read.summaries,
        &files.playbook,
    );
    let scorer = Scorer::across_events(&read.input, &files.rules, &files.content, &read.elsewhere);
    let routing = files.routing.as_ref();
    let mut scoring = Scoring::new(&scorer, routing, &carried, owner_ids, now, &tz);
    let mut report = BuildReport {
        build_id,
        dry_run: opts.dry_run,
        sources: files.sources.clone(),
        ..BuildReport::default()
    };
    let writer = match (read.early_write, build_id) {
        (Some(w), _) => Some(w),
        (None, Some(id)) => Some(store.leads().begin_lead_write(id, event.id, now).await?),
        (None, None) => None,
    };
    let writer = writer.map(ChunkWriter::spawn);
    // Kept only for the webhook: packages of routed tiers that are new or changed tier.
    let webhook = build_id.is_some() && ctx.settings.leads.webhook_url.is_some();
    let mut changed: Vec<LeadPackage> = Vec::new();
    let mut start = 0;
    while start < scorer.len() {
        let (chunk, rows) = scoring.chunk(start, WRITE_CHUNK)?;
        start += chunk.len();
        if let Some(w) = &writer
            && !w.send(rows).await
        {
            break;
        }
        changed.extend(report.count(chunk, &carried.before, routing, webhook));
        at(Phase::Scoring, report.leads);
    }
    if let Some(w) = writer {
        let w = w.join().await?;
        at(Phase::Writing, report.leads);
        let timing = Timing { started, read_s };
        store_build(
            ctx,
            event,
            w,
            &mut report,
            scorer.insight(),
            &changed,
            timing,
        )
        .await?;
    }
    at(Phase::Done, report.leads);
    Ok(report)
}

/// The writer task: each chunk goes to the replacing transaction while the next is scored,
/// so the database (SQLite's worker thread or the PostgreSQL server) works on the other core
/// instead of taking turns with the scoring.
struct ChunkWriter {
    to_writer: tokio::sync::mpsc::Sender<Vec<StoredLead>>,
    task: tokio::task::JoinHandle<Result<LeadWrite, StoreError>>,
}

impl ChunkWriter {
    fn spawn(mut w: LeadWrite) -> ChunkWriter {
        let (to_writer, mut chunks) = tokio::sync::mpsc::channel::<Vec<StoredLead>>(2);
        let task = tokio::spawn(async move {
            while let Some(rows) = chunks.recv().await {
                w.write(rows).await?;
            }
            Ok(w)
        });
        ChunkWriter { to_writer, task }
    }

    /// Hands a chunk over; `false` when the writer stopped on an error, which `join` reports.
    async fn send(&self, rows: Vec<StoredLead>) -> bool {
        self.to_writer.send(rows).await.is_ok()
    }

    /// Waits for every chunk handed over to be written.
    async fn join(self) -> anyhow::Result<LeadWrite> {
        drop(self.to_writer);
        Ok(self.task.await.context("the lead writer stopped")??)
    }
}

/// When a build started and how long its reading took, for the log.
struct Timing {
    started: std::time::Instant,
    read_s: f64,
}

/// Stores the build's summary and insight and commits it, then posts the `changed` leads to
/// the webhook, if one is set.
async fn store_build(
    ctx: &Context,
    event: &EventRecord,
    w: LeadWrite,
    report: &mut BuildReport,
    insight: &Insight,
    changed: &[LeadPackage],
    Timing { started, read_s }: Timing,
) -> anyhow::Result<()> {
    let summary = serde_json::to_string(&report).context("summarising the build")?;
    let insight = serde_json::to_string(insight).context("writing the cross-topic insight")?;
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
            webhook::post_all(&ctx.settings.leads, url, event.info.slug.as_str(), changed).await;
        report.webhook_posted = sent.posted;
        report.webhook_failed = sent.failed;
    }
    Ok(())
}

/// What a build reads, all at once.
struct Read {
    input: EventInput,
    /// (attendee, owner id, due at) of the stored routed leads.
    /// What other events showed of the same people.
    elsewhere: Elsewhere,
    routes: Vec<(i64, i64, i64)>,
    feedback: Vec<FeedbackRecord>,
    companies: Vec<(i64, i64)>,
    summaries: Vec<LeadSummary>,
    /// The replacing transaction, when the plan opens it while reading.
    early_write: Option<LeadWrite>,
}

/// Reads what `plan` says, concurrently.
async fn read_inputs(
    store: &Store,
    event_id: i64,
    plan: &ReadPlan,
    now: Timestamp,
    reading: &(dyn Fn(usize) + Send + Sync),
) -> anyhow::Result<Read> {
    let (input, pool, routes, feedback, companies, summaries, early_write) = tokio::try_join!(
        inputs::load(store, event_id, plan.record, reading),
        async { Ok(store.leads().pool_interests(event_id).await?) },
        async { Ok(store.leads().lead_owners(event_id).await?) },
        async { Ok(store.leads().latest_lead_feedback(event_id).await?) },
        async {
            match plan.companies {
                true => Ok(store.data_pool().event_companies(event_id).await?),
                false => Ok(Vec::new()),
            }
        },
        async { Ok(store.leads().event_lead_summaries(event_id).await?) },
        async {
            match plan.early_write {
                Some(id) => Ok(Some(
                    store.leads().begin_lead_write(id, event_id, now).await?,
                )),
                None => Ok::<_, anyhow::Error>(None),
            }
        },
    )?;
    let elsewhere = inputs::elsewhere(pool, &input);
    Ok(Read {
        input,
        elsewhere,
        routes,
        feedback,
        companies,
        summaries,
        early_write,
    })
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
        tier: l.tier,
        top_topic: l.top_topic().map(|t| t.slug.clone()),
        score: l.score,
        fit: l.fit,
        engagement: l.engagement,
        stage: l.needs.stage,
        topic_scores: l.topic_scores(),
        explanation,
        package,
        owner_id,
        due_at,
        next_need: l.next_need.as_ref().map(|n| n.slug.clone()),
        genuine: l.genuine_interests().join(","),
    })
}
