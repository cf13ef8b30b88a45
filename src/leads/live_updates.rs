//! Live leads while the event runs. The door tells this worker which attendees a committed
//! scan group touched; the worker reads those attendees' registration and accepted scans,
//! grades each alone (`build::one_grade`: the build's scoring, without putting the tier
//! into words), stores the live interest and tier, and checks the event's watch rules: a
//! fired rule becomes an alert, claimed once per rule, person and window, then emailed and
//! posted (`alerts`). Updates are computed from every accepted scan of the person, so the order
//! scans arrive in, and how they were grouped, change nothing; an update lost to a stop is
//! caught up from the store (`Leads::live_behind`). The explanation is not stored: a page
//! that shows it scores the person again from the same scans (`explain`).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::{
    alerts,
    files::{self, FileChoice, LeadFiles},
    inputs::{self, ProgrammeInput},
};
use crate::{
    context::Context,
    domain::{
        leads::build::{self, EventFacts, LiveGrade},
        leads::insight::Insight,
        leads::package::{LeadPackage, topic_scores},
        leads::watch::{self, WatchRules, Watched},
    },
    store::{EventRecord, LiveBefore, LiveLeadRow, LivePerson, NewAlert, unpack_scans},
};

/// One attendee a committed scan group touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub attendee_id: i64,
    /// An accepted entry scan in the group: its session and scan time (unix ms).
    pub entered: Option<(i64, i64)>,
}

/// What the door reports after each commit.
#[derive(Debug)]
struct Committed {
    event_id: i64,
    touched: Vec<Touched>,
    at: Instant,
}

/// The handle the door reports commits through; cheap to clone. A disabled handle drops
/// every report.
#[derive(Clone)]
pub struct LiveUpdates {
    tx: Option<mpsc::UnboundedSender<Committed>>,
}

/// How long the worker keeps an event's programme, files and watch rules before reading
/// them again: an edit takes effect within this.
const REFRESH: Duration = Duration::from_secs(30);
/// How often the worker looks for updates a stop lost, and alerts still to deliver.
const SWEEP: Duration = Duration::from_secs(30);
/// How long the worker gathers commits before updating their attendees: well inside the
/// 2 s the live lead may lag behind the scan.
const GATHER: Duration = Duration::from_millis(100);
/// Attendees scored per read: the id lists the store unpacks stay small.
const CHUNK: usize = 500;

impl LiveUpdates {
    /// Starts the worker when `leads.live_updates` is on; it ends when every handle has
    /// been dropped.
    pub fn start(ctx: Context) -> LiveUpdates {
        if !ctx.settings.leads.live_updates {
            return LiveUpdates::disabled();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(ctx, rx));
        LiveUpdates { tx: Some(tx) }
    }

    pub fn disabled() -> LiveUpdates {
        LiveUpdates { tx: None }
    }

    /// Reports the attendees a scan group of the event touched, just after its commit.
    pub fn committed(&self, event_id: i64, touched: Vec<Touched>) {
        if let (Some(tx), false) = (&self.tx, touched.is_empty()) {
            let _ = tx.send(Committed {
                event_id,
                touched,
                at: Instant::now(),
            });
        }
    }
}

/// An event's programme, files and rules, as the worker scores with them.
struct EventModel {
    event: EventRecord,
    programme: ProgrammeInput,
    facts: EventFacts,
    files: LeadFiles,
    watch: WatchRules,
    insight: Option<Insight>,
    /// Login name -> user id, of accounts that may own leads.
    owner_ids: HashMap<String, i64>,
    read_at: Instant,
}

async fn model(ctx: &Context, event_id: i64) -> anyhow::Result<Option<EventModel>> {
    let Some(event) = ctx.store.events().event_by_id(event_id).await? else {
        return Ok(None);
    };
    let programme = inputs::programme(&ctx.store, event_id).await?;
    let facts = EventFacts::new(&programme.event_input(Vec::new()));
    let files = files::load(
        &ctx.settings.leads.config_dir,
        event.info.slug.as_str(),
        &FileChoice::default(),
    )?;
    let owner_ids: HashMap<String, i64> = ctx
        .store
        .leads()
        .lead_owner_ids()
        .await?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    let watch = match ctx.store.leads().watch_rules(event_id).await? {
        Some((text, _, _)) => {
            let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();
            let owners: Vec<&str> = owner_ids.keys().map(String::as_str).collect();
            crate::formats::lead_files::parse_watch(&text, &topics, &owners).unwrap_or_else(|e| {
                tracing::warn!(
                    event = event_id,
                    problems = e.len(),
                    "watch rules unreadable; none apply"
                );
                WatchRules::default()
            })
        }
        None => WatchRules::default(),
    };
    let insight = ctx
        .store
        .leads()
        .latest_done_lead_build(event_id)
        .await?
        .and_then(|b| b.insight)
        .and_then(|i| serde_json::from_str(&i).ok());
    Ok(Some(EventModel {
        event,
        programme,
        facts,
        files,
        watch,
        insight,
        owner_ids,
        read_at: Instant::now(),
    }))
}

async fn run(ctx: Context, mut rx: mpsc::UnboundedReceiver<Committed>) {
    let mut models: HashMap<i64, Arc<EventModel>> = HashMap::new();
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let first = tokio::select! {
            c = rx.recv() => match c { Some(c) => c, None => return },
            _ = sweep.tick() => {
                catch_up(&ctx, &mut models).await;
                alerts::deliver_pending(&ctx).await;
                continue;
            }
        };
        // Commits arriving within `GATHER` of the first are done together: one read and one
        // write per event for all of them, each attendee scored once however many scans
        // they had. Under door load this spares the door's writer many small transactions;
        // a lone commit waits `GATHER` at most.
        tokio::time::sleep_until((first.at + GATHER).into()).await;
        let mut pending = vec![first];
        while let Ok(c) = rx.try_recv() {
            pending.push(c);
        }
        let mut by_event: HashMap<i64, HashMap<i64, Option<(i64, i64)>>> = HashMap::new();
        for c in &pending {
            let people = by_event.entry(c.event_id).or_default();
            for t in &c.touched {
                let slot = people.entry(t.attendee_id).or_default();
                if t.entered
                    .is_some_and(|(_, at)| slot.is_none_or(|(_, was)| at > was))
                {
                    *slot = t.entered;
                }
            }
        }
        let mut alerted = false;
        for (event_id, people) in by_event {
            match update_event(&ctx, &mut models, event_id, people).await {
                Ok(n) => alerted |= n > 0,
                Err(e) => {
                    tracing::warn!(event = event_id, error = %e, "live lead update failed; caught up later")
                }
            }
        }
        let done = Instant::now();
        for c in &pending {
            crate::telemetry::live_lead_lag(done - c.at, c.touched.len());
        }
        if alerted {
            let ctx = ctx.clone();
            tokio::spawn(async move { alerts::deliver_pending(&ctx).await });
        }
    }
}

async fn current(
    ctx: &Context,
    models: &mut HashMap<i64, Arc<EventModel>>,
    event_id: i64,
) -> anyhow::Result<Option<Arc<EventModel>>> {
    if let Some(m) = models
        .get(&event_id)
        .filter(|m| m.read_at.elapsed() < REFRESH)
    {
        return Ok(Some(m.clone()));
    }
    let Some(m) = model(ctx, event_id).await? else {
        return Ok(None);
    };
    let m = Arc::new(m);
    models.insert(event_id, m.clone());
    Ok(Some(m))
}

/// Updates the touched attendees of one event; the number of alerts recorded.
async fn update_event(
    ctx: &Context,
    models: &mut HashMap<i64, Arc<EventModel>>,
    event_id: i64,
    people: HashMap<i64, Option<(i64, i64)>>,
) -> anyhow::Result<usize> {
    let Some(model) = current(ctx, models, event_id).await? else {
        return Ok(0);
    };
    let mut ids: Vec<i64> = people.keys().copied().collect();
    ids.sort_unstable();
    let mut alerts = 0;
    for chunk in ids.chunks(CHUNK) {
        alerts += update_chunk(ctx, &model, chunk, &people).await?;
    }
    Ok(alerts)
}

async fn update_chunk(
    ctx: &Context,
    model: &Arc<EventModel>,
    ids: &[i64],
    people: &HashMap<i64, Option<(i64, i64)>>,
) -> anyhow::Result<usize> {
    let store = &ctx.store;
    let event_id = model.event.id;
    let read = store.leads().live_people(event_id, ids).await?;
    let entered: HashMap<i64, Option<(i64, i64)>> = ids
        .iter()
        .map(|id| (*id, people.get(id).copied().flatten()))
        .collect();
    let webhook = ctx.settings.leads.alert_webhook_url.is_some();
    let now = Timestamp::now();
    // Scoring is CPU work of a few milliseconds a chunk: on a thread of its own, it never
    // holds up the runtime's threads, which answer the doors and commit their scans.
    let model = model.clone();
    let (rows, alerts) =
        tokio::task::spawn_blocking(move || score(&model, read, &entered, webhook, now)).await??;
    // Alerts are claimed before the live rows are stored: once a person's live lead shows a
    // scan, whatever it alerted is recorded too.
    let claimed = store
        .leads()
        .claim_alerts(event_id, &alerts, now.as_millisecond())
        .await?;
    store.leads().write_live_leads(&rows).await?;
    Ok(claimed.len())
}

/// Grades the people read, each alone: their live rows and the alerts the watch rules raise.
fn score(
    model: &EventModel,
    read: Vec<LivePerson>,
    entered: &HashMap<i64, Option<(i64, i64)>>,
    webhook: bool,
    now: Timestamp,
) -> anyhow::Result<(Vec<LiveLeadRow>, Vec<NewAlert>)> {
    let Read {
        input,
        seen,
        before,
    } = read_in(model, read);
    let rules = &model.files.rules;
    let grades: Vec<LiveGrade> = (0..input.attendees.len())
        .map(|i| build::one_grade(&input, &model.facts, i, rules))
        .collect();
    let rows: Vec<LiveLeadRow> = grades
        .iter()
        .zip(&input.attendees)
        .zip(&seen)
        .map(|((g, a), &scan_seen)| LiveLeadRow {
            attendee_id: a.id,
            event_id: model.event.id,
            tier: g.tier,
            score: g.score,
            top_topic: g
                .scored_topics(&input)
                .next()
                .map(|(slug, _)| slug.to_owned()),
            topic_scores: topic_scores(g.scored_topics(&input)),
            scan_seen,
            updated_at: now.as_millisecond(),
        })
        .collect();
    let alerts = alerts_for(model, &input, &grades, &before, entered, webhook, now)?;
    Ok((rows, alerts))
}

/// The people read, as the scoring takes them.
struct Read {
    input: build::EventInput,
    /// The newest accepted scan each person's row reflects, in the order read.
    seen: Vec<i64>,
    before: HashMap<i64, LiveBefore>,
}

/// The people read, put into the scoring's terms with the event's programme.
fn read_in(model: &EventModel, read: Vec<LivePerson>) -> Read {
    let mut before: HashMap<i64, LiveBefore> = HashMap::with_capacity(read.len());
    let mut seen = Vec::with_capacity(read.len());
    let inputs: Vec<_> = read
        .into_iter()
        .map(|p| {
            let a = p.attendee;
            seen.push(p.scan_seen);
            let declared: Vec<usize> = p
                .interests
                .iter()
                .filter_map(|topic| model.programme.topic_index.get(topic).copied())
                .collect();
            before.insert(a.id, p.before);
            model.programme.attendee(
                a,
                unpack_scans(&p.scans).collect::<Vec<_>>(),
                declared,
                (p.opens, p.clicks),
            )
        })
        .collect();
    Read {
        input: model.programme.event_input(inputs),
        seen,
        before,
    }
}

/// Person number `i` of `input` scored alone, package and words, as the build would.
fn package_of(model: &EventModel, input: &build::EventInput, i: usize) -> LeadPackage {
    build::one_package(
        input,
        &model.facts,
        i,
        &model.files.rules,
        &model.files.content,
        model.insight.as_ref(),
    )
}

/// The live explanation of each listed attendee of the event who has accepted scans, by
/// id: the person scored now from every accepted scan, as a live update scores them. The
/// live rows leave it out (it is most of a row's bytes, rewritten at every scan); a page
/// that shows it calls this.
pub async fn explain(
    ctx: &Context,
    event_id: i64,
    ids: &[i64],
) -> anyhow::Result<HashMap<i64, String>> {
    let Some(model) = model(ctx, event_id).await? else {
        return Ok(HashMap::new());
    };
    let mut read = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        read.extend(ctx.store.leads().live_people(event_id, chunk).await?);
    }
    read.retain(|p| p.scan_seen > 0);
    let out = tokio::task::spawn_blocking(move || {
        let Read { input, .. } = read_in(&model, read);
        (0..input.attendees.len())
            .map(|i| {
                let l = package_of(&model, &input, i);
                (l.attendee_id, l.explanation)
            })
            .collect()
    })
    .await?;
    Ok(out)
}

/// The alerts the watch rules raise for these updated leads.
fn alerts_for(
    model: &EventModel,
    input: &build::EventInput,
    grades: &[LiveGrade],
    before: &HashMap<i64, LiveBefore>,
    people: &HashMap<i64, Option<(i64, i64)>>,
    webhook: bool,
    now: Timestamp,
) -> anyhow::Result<Vec<NewAlert>> {
    if model.watch.rules.is_empty() {
        return Ok(Vec::new());
    }
    let fresh_after = now.as_millisecond() - i64::from(model.watch.fresh_minutes) * 60_000;
    let mut new_alerts = Vec::new();
    for (i, (grade, a)) in grades.iter().zip(&input.attendees).enumerate() {
        let was = before.get(&a.id);
        let tier_before = was.and_then(|b| b.live_tier.or(b.built_tier));
        let entered = people
            .get(&a.id)
            .copied()
            .flatten()
            .filter(|(_, at)| *at >= fresh_after);
        let title = entered.and_then(|(session, _)| {
            model
                .programme
                .session_index
                .get(&session)
                .map(|&i| model.programme.sessions[i].title.as_str())
        });
        let topics: Vec<(&str, &str)> = grade
            .topics
            .iter()
            .map(|&(t, _)| (input.topics[t].slug.as_str(), input.topics[t].name.as_str()))
            .collect();
        let who = Watched {
            tier: grade.tier,
            tier_before,
            role: a.answers.decision_role,
            company: &a.answers.company,
            email: &a.email,
            topics: &topics,
        };
        let fired = watch::fired(&model.watch, &who, title);
        if fired.is_empty() {
            continue;
        }
        let owner = was
            .and_then(|b| b.owner_id)
            .or_else(|| routed_owner(model, package_of(model, input, i)));
        for fired in fired {
            let rule = model
                .watch
                .rules
                .iter()
                .find(|r| r.name.trim() == fired.rule)
                .expect("fired rules come from the file");
            let window = i64::from(model.watch.window_of(rule)) * 60_000;
            let mut recipients: Vec<Option<i64>> = owner.into_iter().map(Some).collect();
            for name in &rule.notify {
                let id = model.owner_ids.get(name).copied();
                if id.is_some() && !recipients.contains(&id) {
                    recipients.push(id);
                }
            }
            if recipients.is_empty() {
                recipients.push(None);
            }
            new_alerts.push(NewAlert {
                attendee_id: a.id,
                rule: fired.rule,
                trigger: fired.trigger.key(),
                recipients,
                session_id: entered.map(|(s, _)| s),
                reason: fired.reason,
                window_start: now.as_millisecond() - window,
                email_state: "pending",
                webhook_state: if webhook { "pending" } else { "none" },
            });
        }
    }
    Ok(new_alerts)
}

/// The owner the routing file would give the lead, for a person with no routed lead yet.
fn routed_owner(model: &EventModel, lead: LeadPackage) -> Option<i64> {
    let routing = model.files.routing.as_ref()?;
    let tz = model.event.info.tz().ok()?;
    let mut one = [lead];
    build::route(&mut one, routing, &HashMap::new(), Timestamp::now(), &tz);
    let owner = one[0].routing.as_ref()?.owner.clone();
    model.owner_ids.get(&owner).copied()
}

/// Updates attendees whose newest accepted scan is missing from their live lead, for the
/// events on today in their own time zone.
async fn catch_up(ctx: &Context, models: &mut HashMap<i64, Arc<EventModel>>) {
    let events = match ctx.store.events().list_events().await {
        Ok(events) => events,
        Err(e) => return tracing::warn!(error = %e, "live leads: events not read"),
    };
    for event in events.into_iter().filter(on_now) {
        loop {
            let behind = match ctx.store.leads().live_behind(event.id, CHUNK as i64).await {
                Ok(b) if !b.is_empty() => b,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "live leads: catching up failed");
                    break;
                }
            };
            let n = behind.len();
            let people = behind.into_iter().map(|a| (a, None)).collect();
            if let Err(e) = update_event(ctx, models, event.id, people).await {
                tracing::warn!(error = %e, "live leads: catching up failed");
                break;
            }
            if n < CHUNK {
                break;
            }
        }
    }
}

fn on_now(event: &EventRecord) -> bool {
    let Ok(tz) = event.info.tz() else {
        return false;
    };
    let today = Timestamp::now().to_zoned(tz).date();
    event.info.starts_on <= today && today <= event.info.ends_on
}

/// Catches up once, now: every event's attendees whose live lead misses scans (the
/// command line, tests).
pub async fn catch_up_all(ctx: &Context) -> anyhow::Result<usize> {
    let mut models = HashMap::new();
    let mut done = 0;
    for event in ctx.store.events().list_events().await? {
        loop {
            let behind = ctx
                .store
                .leads()
                .live_behind(event.id, CHUNK as i64)
                .await?;
            let n = behind.len();
            if n == 0 {
                break;
            }
            done += n;
            let people = behind.into_iter().map(|a| (a, None)).collect();
            update_event(ctx, &mut models, event.id, people).await?;
            if n < CHUNK {
                break;
            }
        }
    }
    Ok(done)
}
