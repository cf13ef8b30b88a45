//! A campaign in five steps, one page each: audience, content, preview, send, report. The
//! step bar, and the figures the steps share (who is in the audience and why others are
//! not, the report's totals and rates), built by pure functions from stored values.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::Html,
    routing::get,
};
use jiff::{Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    campaign_of,
    campaigns::audience::{ReachView, reach_view},
    charts::{BarChart, BarInput, PLAIN},
    csrf::CsrfToken,
    format,
};
use crate::{
    domain::{
        campaigns::audience::{AudienceSummary, Exclusion, exclusions_from_stored},
        campaigns::campaign::{CampaignAction, CampaignState, Content, Tier},
        campaigns::report::{Rates, SendCounts},
        user::Action,
    },
    edm,
    store::{CampaignProgress, CampaignRecord, EventRecord, ReportLine},
    web::error::{Error, WebResult},
};

/// The audience, send and report steps (the audience form's POST handler is in
/// `campaign_audience`); the content step is routed with its form in `campaigns`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/events/{slug}/campaigns/{c}/audience",
            get(audience_page).post(crate::web::campaigns::audience::save),
        )
        .route("/events/{slug}/campaigns/{c}/send", get(send_page))
        .route("/events/{slug}/campaigns/{c}/report", get(report_page))
}

/// The steps in order: the path under the campaign and the name on the bar.
pub(super) const STEPS: [(&str, &str); 5] = [
    ("audience", "Audience"),
    ("content", "Content"),
    ("preview", "Preview"),
    ("send", "Send"),
    ("report", "Report"),
];

/// One step on the bar.
pub(super) struct StepLink {
    pub number: usize,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// What every campaign page shows above its own part: where it is, the campaign's state and
/// the step bar.
pub(super) struct CampaignHead {
    pub slug: String,
    pub event_name: String,
    pub campaign_slug: String,
    pub campaign_name: String,
    pub state: CampaignState,
    pub steps: Vec<StepLink>,
    /// The alert after an action, in words; empty for none.
    pub done: &'static str,
}

impl CampaignHead {
    /// The head of `step` ("" for the overview).
    pub fn new(event: &EventRecord, c: &CampaignRecord, step: &str, done: &str) -> CampaignHead {
        let slug = event.info.slug.to_string();
        let base = format!("/admin/events/{slug}/campaigns/{}", c.slug);
        CampaignHead {
            steps: STEPS
                .iter()
                .enumerate()
                .map(|(i, (path, label))| StepLink {
                    number: i + 1,
                    label,
                    href: format!("{base}/{path}"),
                    current: *path == step,
                })
                .collect(),
            slug,
            event_name: event.info.name.clone(),
            campaign_slug: c.slug.clone(),
            campaign_name: c.name.clone(),
            state: c.state(),
            done: done_message(done),
        }
    }

    /// "Draft", "Sending", ... for the state badge.
    pub fn state_label(&self) -> &'static str {
        state_label(self.state)
    }
}

pub(super) fn state_label(s: CampaignState) -> &'static str {
    match s {
        CampaignState::Draft => "Draft",
        CampaignState::Sending => "Sending",
        CampaignState::Paused => "Paused",
        CampaignState::Cancelled => "Cancelled",
        CampaignState::Done => "Sent",
    }
}

fn done_message(done: &str) -> &'static str {
    match done {
        "" => "",
        "created" => "Campaign created. Choose who it reaches, then write its content.",
        "saved" => "Saved.",
        "deleted" => "Content removed.",
        "imported" => "Campaign file imported.",
        "test_sent" => "Test email sent.",
        "sending" => "Campaign started: the audience is queued and sending.",
        "paused" => "Paused.",
        "cancelled" => "Cancelled: messages not yet sent will not be sent.",
        _ => "Done.",
    }
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

/// A label and a number, for the audience tables.
pub(super) struct Count {
    pub label: String,
    pub count: usize,
}

/// Who is in the audience and why others are not: before the start as it would be queued
/// now, after it as it was queued.
pub(super) struct AudienceFigures {
    pub started: bool,
    pub recipients: usize,
    pub by_topic: Vec<Count>,
    pub by_tier: Vec<Count>,
    pub excluded: Vec<Count>,
    pub excluded_total: usize,
    /// False for a campaign started before the reasons were kept with it.
    pub exclusions_known: bool,
}

/// A content topic's name ("General content" for the fallback).
fn topic_name(names: &HashMap<String, String>, topic: &str) -> String {
    if topic.is_empty() || topic == "general" {
        return "General content".to_owned();
    }
    names
        .get(topic)
        .cloned()
        .unwrap_or_else(|| topic.to_owned())
}

fn tier_label(t: Tier) -> String {
    match t {
        Tier::None => "no lead".to_owned(),
        t => format!("tier {t}"),
    }
}

fn exclusion_counts(excluded: &BTreeMap<Exclusion, usize>) -> Vec<Count> {
    excluded
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| Count {
            label: r.label().to_owned(),
            count: *n,
        })
        .collect()
}

/// The figures of a draft, from the audience as planned now.
pub(super) fn figures_planned(
    s: &AudienceSummary,
    names: &HashMap<String, String>,
) -> AudienceFigures {
    AudienceFigures {
        started: false,
        recipients: s.recipients,
        by_topic: s
            .by_topic
            .iter()
            .map(|(t, n)| Count {
                label: topic_name(names, t),
                count: *n,
            })
            .collect(),
        by_tier: s
            .by_tier
            .iter()
            .map(|(t, n)| Count {
                label: tier_label(*t),
                count: *n,
            })
            .collect(),
        excluded: exclusion_counts(&s.excluded),
        excluded_total: s.excluded_total(),
        exclusions_known: true,
    }
}

/// The figures of a started campaign, from its ledger and the reasons kept at the start.
pub(super) fn figures_queued(
    report: &[ReportLine],
    stored_exclusions: Option<&str>,
    names: &HashMap<String, String>,
) -> AudienceFigures {
    let mut by_topic: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_tier: BTreeMap<Tier, usize> = BTreeMap::new();
    for l in report {
        let n = l.queued.max(0) as usize;
        *by_topic.entry(topic_name(names, &l.topic)).or_default() += n;
        *by_tier.entry(l.tier).or_default() += n;
    }
    let excluded = stored_exclusions
        .map(exclusions_from_stored)
        .unwrap_or_default();
    AudienceFigures {
        started: true,
        recipients: by_topic.values().sum(),
        by_topic: by_topic
            .into_iter()
            .map(|(label, count)| Count { label, count })
            .collect(),
        by_tier: by_tier
            .into_iter()
            .map(|(t, count)| Count {
                label: tier_label(t),
                count,
            })
            .collect(),
        excluded_total: excluded.values().sum(),
        excluded: exclusion_counts(&excluded),
        exclusions_known: stored_exclusions.is_some(),
    }
}

/// Topic names by slug, of every event (a pool campaign reaches people of several).
pub(super) async fn topic_names(state: &AppState) -> WebResult<HashMap<String, String>> {
    Ok(state
        .ctx
        .store
        .leads()
        .topic_names(None)
        .await?
        .into_iter()
        .map(|t| (t.slug, t.name))
        .collect())
}

/// The campaign's audience figures, planned now for a draft, as queued after the start.
pub(super) async fn audience_figures(
    state: &AppState,
    campaign: &CampaignRecord,
    names: &HashMap<String, String>,
) -> WebResult<AudienceFigures> {
    if campaign.state().editable() {
        let s = edm::audience(&state.ctx, campaign, Timestamp::now())
            .await?
            .summary;
        Ok(figures_planned(&s, names))
    } else {
        let report = state
            .ctx
            .store
            .campaigns()
            .campaign_report(campaign.id)
            .await?;
        Ok(figures_queued(
            &report,
            campaign.exclusions.as_deref(),
            names,
        ))
    }
}

fn event_tz(event: &EventRecord) -> WebResult<TimeZone> {
    event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))
}

// ---------------------------------------------------------------------------------------
// Audience.

struct TierChoice {
    value: &'static str,
    excluded: bool,
}

#[derive(Template)]
#[template(path = "campaigns/audience.html")]
struct AudiencePage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    event_name: String,
    campaign: CampaignRecord,
    editable: bool,
    reach: ReachView,
    tiers: Vec<TierChoice>,
    figures: AudienceFigures,
}

pub(super) async fn audience_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let figures = audience_figures(&state, &campaign, &names).await?;
    let reach = reach_view(&state.ctx.store, &campaign, &event.info.name).await?;
    let excluded_tiers = campaign.excluded_tiers()?;
    let page = AudiencePage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "audience", &q.done),
        slug,
        event_name: event.info.name,
        editable: campaign.state().editable(),
        reach,
        tiers: Tier::ALL
            .iter()
            .map(|t| TierChoice {
                value: t.as_str(),
                excluded: excluded_tiers.contains(t),
            })
            .collect(),
        figures,
        campaign,
    };
    Ok(Html(page.render()?))
}

// ---------------------------------------------------------------------------------------
// Content.

pub(super) struct BlockView {
    pub topic: String,
    pub tier: String,
    pub label: String,
    pub content: Content,
}

/// The campaign's content blocks with topic names.
pub(super) async fn blocks(
    state: &AppState,
    campaign: &CampaignRecord,
    names: &HashMap<String, String>,
) -> WebResult<Vec<BlockView>> {
    Ok(state
        .ctx
        .store
        .campaigns()
        .campaign_contents(campaign.id)
        .await?
        .into_iter()
        .map(|(key, content)| {
            let (topic, tier) = key.stored();
            BlockView {
                label: key.label_named(
                    key.topic
                        .as_ref()
                        .and_then(|t| names.get(t))
                        .map(String::as_str),
                ),
                topic,
                tier,
                content,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "campaigns/content.html")]
struct ContentPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    campaign: CampaignRecord,
    editable: bool,
    blocks: Vec<BlockView>,
    /// The event's topics for new content: slug and name.
    topics: Vec<(String, String)>,
    tiers: Vec<&'static str>,
}

pub(super) async fn content_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let blocks = blocks(&state, &campaign, &names).await?;
    let topics = state
        .ctx
        .store
        .events()
        .event_topics(event.id)
        .await?
        .into_iter()
        .map(|t| (t.slug.to_string(), t.name))
        .collect();
    let page = ContentPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "content", &q.done),
        slug,
        editable: campaign.state().editable(),
        blocks,
        topics,
        tiers: Tier::ALL.iter().map(|t| t.as_str()).collect(),
        campaign,
    };
    Ok(Html(page.render()?))
}

// ---------------------------------------------------------------------------------------
// Send.

/// Where the messages are, for the progress card.
pub(super) struct ProgressView {
    pub progress: CampaignProgress,
    pub percent: i64,
    pub started: String,
    pub finished: String,
}

pub(super) fn progress_view(
    c: &CampaignRecord,
    progress: CampaignProgress,
    tz: &TimeZone,
) -> ProgressView {
    let zoned = |ms: Option<i64>| {
        ms.map(|ms| format::local_time_zoned(ms, tz))
            .unwrap_or_default()
    };
    ProgressView {
        percent: if progress.total() > 0 {
            progress.finished() * 100 / progress.total()
        } else {
            0
        },
        progress,
        started: zoned(c.started_at),
        finished: zoned(c.finished_at),
    }
}

#[derive(Template)]
#[template(path = "campaigns/send.html")]
struct SendPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    campaign: CampaignRecord,
    sending: bool,
    can_start: bool,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    figures: AudienceFigures,
    blocks: usize,
    has_general: bool,
    progress: ProgressView,
}

async fn send_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let figures = audience_figures(&state, &campaign, &names).await?;
    let contents = state
        .ctx
        .store
        .campaigns()
        .campaign_contents(campaign.id)
        .await?;
    let progress = state
        .ctx
        .store
        .campaigns()
        .campaign_progress(campaign.id)
        .await?;
    let cs = campaign.state();
    let page = SendPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "send", &q.done),
        slug,
        sending: cs == CampaignState::Sending,
        can_start: cs.after(CampaignAction::Start).is_ok(),
        can_pause: cs.after(CampaignAction::Pause).is_ok(),
        can_resume: cs.after(CampaignAction::Resume).is_ok(),
        can_cancel: cs.after(CampaignAction::Cancel).is_ok(),
        figures,
        blocks: contents.len(),
        has_general: contents.iter().any(|(k, _)| k.topic.is_none()),
        progress: progress_view(&campaign, progress, &event_tz(&event)?),
        campaign,
    };
    Ok(Html(page.render()?))
}

// ---------------------------------------------------------------------------------------
// Report.

/// One line of the report: counts and their shares in words.
pub(super) struct ReportRow {
    pub topic: String,
    pub tier: String,
    pub counts: SendCounts,
    pub delivered: String,
    pub opened: String,
    pub clicked: String,
    pub unsubscribed: String,
    pub bounced: String,
}

/// A share as a page shows it: "42.5%", or a dash when there was nothing to count from.
fn share(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |v| format::percent(v * 100.0))
}

fn counts_of(l: &ReportLine) -> SendCounts {
    let n = |v: i64| v.max(0) as u64;
    SendCounts {
        queued: n(l.queued),
        delivered: n(l.delivered),
        opened: n(l.opened),
        clicked: n(l.clicked),
        unsubscribed: n(l.unsubscribed),
        bounced: n(l.bounced),
        failed: n(l.failed),
    }
}

fn report_row(topic: String, tier: String, counts: SendCounts) -> ReportRow {
    let r: Rates = counts.rates();
    ReportRow {
        topic,
        tier,
        counts,
        delivered: share(r.delivered),
        opened: share(r.opened),
        clicked: share(r.clicked),
        unsubscribed: share(r.unsubscribed),
        bounced: share(r.bounced),
    }
}

/// The report's lines with topic names, and the whole campaign's line.
pub(super) fn report_rows(
    lines: &[ReportLine],
    names: &HashMap<String, String>,
) -> (Vec<ReportRow>, ReportRow) {
    let rows: Vec<ReportRow> = lines
        .iter()
        .map(|l| {
            report_row(
                topic_name(names, &l.topic),
                tier_label(l.tier),
                counts_of(l),
            )
        })
        .collect();
    let total = SendCounts::total(rows.iter().map(|r| &r.counts));
    (rows, report_row("All".into(), String::new(), total))
}

/// The rates as bars on a scale of 100 %.
fn rates_chart(total: &ReportRow) -> WebResult<String> {
    let r = total.counts.rates();
    let bar = |label: &str, v: Option<f64>, text: &str| BarInput {
        label: label.to_owned(),
        count: (v.unwrap_or(0.0) * 1000.0).round() as u64,
        value: text.to_owned(),
        color: PLAIN,
    };
    BarChart::on_scale(
        "Campaign rates",
        vec![
            bar("Delivered, of queued", r.delivered, &total.delivered),
            bar("Opened, of delivered", r.opened, &total.opened),
            bar("Clicked, of delivered", r.clicked, &total.clicked),
            bar(
                "Unsubscribed, of delivered",
                r.unsubscribed,
                &total.unsubscribed,
            ),
            bar("Bounced, of delivered", r.bounced, &total.bounced),
        ],
        1000,
    )
    .svg()
}

#[derive(Template)]
#[template(path = "campaigns/report.html")]
struct ReportPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    started: bool,
    rows: Vec<ReportRow>,
    total: ReportRow,
    chart: String,
    tracks_opens: bool,
    tracks_clicks: bool,
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let lines = state
        .ctx
        .store
        .campaigns()
        .campaign_report(campaign.id)
        .await?;
    let (rows, total) = report_rows(&lines, &names);
    let page = ReportPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "report", ""),
        started: !campaign.state().editable(),
        chart: rates_chart(&total)?,
        rows,
        total,
        tracks_opens: campaign.track_opens,
        tracks_clicks: campaign.track_clicks,
    };
    Ok(Html(page.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(topic: &str, tier: &str, queued: i64, delivered: i64, opened: i64) -> ReportLine {
        ReportLine {
            topic: topic.into(),
            tier: Tier::parse(tier).unwrap(),
            queued,
            delivered,
            opened,
            ..ReportLine::default()
        }
    }

    #[test]
    fn the_report_names_topics_and_totals_the_rates() {
        let names = HashMap::from([("big-data".to_owned(), "Big data".to_owned())]);
        let (rows, total) = report_rows(
            &[line("", "none", 2, 2, 0), line("big-data", "A", 2, 1, 1)],
            &names,
        );
        assert_eq!(rows[0].topic, "General content");
        assert_eq!(rows[0].tier, "no lead");
        assert_eq!(rows[1].topic, "Big data");
        assert_eq!(rows[1].opened, "100.0%");
        assert_eq!(total.counts.queued, 4);
        assert_eq!(total.delivered, "75.0%");
        assert_eq!(total.opened, "33.3%");
        assert_eq!(total.bounced, "0.0%");
        let (_, empty) = report_rows(&[], &names);
        assert_eq!(empty.opened, "–");
    }

    #[test]
    fn reasons_kept_at_the_start_stay_with_the_queued_figures() {
        let names = HashMap::new();
        let f = figures_queued(
            &[line("", "B", 3, 0, 0)],
            Some("no_marketing_consent=2,excluded_tier=1"),
            &names,
        );
        assert_eq!((f.recipients, f.excluded_total), (3, 3));
        assert!(f.exclusions_known);
        assert_eq!(f.excluded[0].label, "no marketing consent");
        let old = figures_queued(&[], None, &names);
        assert!(!old.exclusions_known);
    }
}
