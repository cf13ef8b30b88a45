//! The event's lead report (counts, tier mix, sales acceptance, conversions, funnel, with
//! inline SVG charts, and the scoring's calibration from `lead_calibration`) and the
//! cross-topic insight stored by the latest finished build.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, State},
    response::Html,
    routing::get,
};
use jiff::Timestamp;

use crate::web::{
    AppState,
    auth::CurrentUser,
    charts::{BarChart, BarInput, PLAIN, tier_color},
    csrf::CsrfToken,
    format,
    leads::calibration::Labels,
};
use crate::{
    domain::{
        leads::calibration::Calibration,
        leads::feedback_deadline::{DeadlineFact, responsiveness},
        leads::insight::Insight,
        leads::package::Tier,
        leads::report::{LeadReport, lead_report},
        programme::Topic,
        user::Action,
    },
    store::EventRecord,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/leads/report", get(report_page))
        .route("/events/{slug}/leads/report.json", get(report_json))
        .route("/events/{slug}/leads/insight", get(insight_page))
}

async fn event_report(state: &AppState, event: &EventRecord) -> WebResult<LeadReport> {
    let store = &state.ctx.store;
    let now = Timestamp::now().as_millisecond();
    let cells = store.leads().lead_report_cells(event.id, now).await?;
    let seen = store.leads().event_attendance(event.id).await?;
    Ok(lead_report(
        seen.registered.max(0) as u64,
        seen.checked_in.max(0) as u64,
        &cells,
    ))
}

pub struct TopicRow {
    pub name: String,
    pub leads: u64,
    pub by_tier: [u64; 4],
}

pub struct Row {
    pub label: String,
    pub count: u64,
    pub share: String,
}

#[derive(Template)]
#[template(path = "leads/report.html")]
struct ReportPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    report: LeadReport,
    tiers: Vec<Row>,
    topics: Vec<TopicRow>,
    outcomes: Vec<Row>,
    funnel: Vec<Row>,
    acceptance: String,
    conversion: String,
    tier_chart: String,
    topic_chart: String,
    funnel_chart: String,
    calibration: crate::web::leads::calibration::CalibrationView,
    owners: Vec<OwnerLine>,
}

/// How one owner kept their feedback deadlines.
pub struct OwnerLine {
    pub owner: String,
    pub on_time: u64,
    pub late: u64,
    pub never: u64,
    pub reassigned_away: u64,
    pub open: u64,
    pub share: String,
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let read = read_report(&state, &event).await?;
    let page = report_view(user, csrf.0, slug, event.info.name, read)?;
    Ok(Html(page.render()?))
}

/// What the report page is made from, read for one event.
struct ReportRead {
    report: LeadReport,
    topics: Vec<Topic>,
    calibration: Calibration,
    labels: Labels,
    deadlines: Vec<DeadlineFact>,
    /// (owner, leads reassigned away from them).
    reassigned: Vec<(String, u64)>,
    now: Timestamp,
}

async fn read_report(state: &AppState, event: &EventRecord) -> WebResult<ReportRead> {
    let report = event_report(state, event).await?;
    let topics = state.ctx.store.events().event_topics(event.id).await?;
    let (calibration, labels) = crate::web::leads::calibration::load(state, Some(event.id)).await?;
    let (deadlines, reassigned) = state.ctx.store.leads().deadline_facts(event.id).await?;
    Ok(ReportRead {
        report,
        topics,
        calibration,
        labels,
        deadlines,
        reassigned,
        now: Timestamp::now(),
    })
}

/// The report page: tables, charts and words from the numbers read.
fn report_view(
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    read: ReportRead,
) -> WebResult<ReportPage> {
    let ReportRead {
        report,
        topics: names,
        calibration,
        labels,
        deadlines,
        reassigned,
        now,
    } = read;
    let topic_name = |slug: &str| {
        if slug.is_empty() {
            return "(no topic)".to_owned();
        }
        names
            .iter()
            .find(|t| t.slug.as_str() == slug)
            .map_or_else(|| slug.to_owned(), |t| t.name.clone())
    };
    let tiers: Vec<Row> = report
        .by_tier
        .iter()
        .map(|t| Row {
            label: format!("{} ({})", t.tier.as_str(), t.tier.meaning()),
            count: t.leads,
            share: format::percent(t.percent),
        })
        .collect();
    let tier_chart = BarChart::new(
        "Tier mix",
        report
            .by_tier
            .iter()
            .map(|t| BarInput {
                label: format!("Tier {}", t.tier.as_str()),
                count: t.leads,
                value: format!("{} ({})", t.leads, format::percent(t.percent)),
                color: tier_color(t.tier),
            })
            .collect(),
    )
    .svg()?;
    let topics: Vec<TopicRow> = report
        .by_topic
        .iter()
        .map(|t| TopicRow {
            name: topic_name(&t.topic),
            leads: t.leads,
            by_tier: t.by_tier,
        })
        .collect();
    let topic_chart = BarChart::new(
        "Leads by top topic",
        topics
            .iter()
            .map(|t| BarInput {
                label: t.name.clone(),
                count: t.leads,
                value: t.leads.to_string(),
                color: PLAIN,
            })
            .collect(),
    )
    .svg()?;
    let funnel: Vec<Row> = report
        .funnel
        .iter()
        .map(|s| Row {
            label: s.step.to_owned(),
            count: s.people,
            share: format::percent(s.percent),
        })
        .collect();
    let funnel_chart = BarChart::new(
        "Funnel from registered to won",
        report
            .funnel
            .iter()
            .map(|s| BarInput {
                label: s.step.to_owned(),
                count: s.people,
                value: format!("{} ({})", s.people, format::percent(s.percent)),
                color: tier_color(Tier::A),
            })
            .collect(),
    )
    .svg()?;
    let outcomes = report
        .acceptance
        .by_outcome
        .iter()
        .map(|(o, n)| Row {
            label: o.label().to_owned(),
            count: *n,
            share: crate::domain::leads::report::percent(*n, report.acceptance.with_feedback)
                .map(format::percent)
                .unwrap_or_default(),
        })
        .collect();
    let owners = responsiveness(&deadlines, &reassigned, now)
        .into_iter()
        .map(|(owner, r)| OwnerLine {
            share: r
                .on_time_share()
                .map_or_else(|| "none due yet".to_owned(), |s| format::percent(s * 100.0)),
            owner,
            on_time: r.on_time,
            late: r.late,
            never: r.never,
            reassigned_away: r.reassigned_away,
            open: r.open,
        })
        .collect();
    Ok(ReportPage {
        owners,
        calibration: crate::web::leads::calibration::view(&calibration, &labels),
        acceptance: report
            .acceptance
            .acceptance_percent
            .map_or_else(|| "no feedback yet".to_owned(), format::percent),
        conversion: report
            .conversion_percent
            .map_or_else(|| "no tiered leads".to_owned(), format::percent),
        tiers,
        topics,
        outcomes,
        funnel,
        tier_chart,
        topic_chart,
        funnel_chart,
        report,
        user,
        csrf,
        slug,
        event_name,
    })
}

/// The same numbers for scripts and spreadsheets.
async fn report_json(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Json<LeadReport>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    Ok(Json(event_report(&state, &event).await?))
}

pub struct MatrixCell {
    pub count: u64,
    /// A CSS colour whose strength follows the count.
    pub shade: String,
    pub diagonal: bool,
}

pub struct MatrixRow {
    pub name: String,
    pub cells: Vec<MatrixCell>,
}

pub struct PairLine {
    pub from: String,
    pub to: String,
    pub both: u64,
    pub support: String,
    pub confidence: String,
    pub lift: String,
    pub above: bool,
}

#[derive(Template)]
#[template(path = "leads/insight.html")]
struct InsightPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    /// Why nothing is shown, when nothing is.
    missing: Option<&'static str>,
    built: String,
    attendees: u64,
    names: Vec<String>,
    matrix: Vec<MatrixRow>,
    /// Plain-words lines for the strongest cross-topic signals.
    highlights: Vec<String>,
    pairs: Vec<PairLine>,
}

/// Pairs with lift above this and enough people in common are spelled out at the top.
const HIGHLIGHT_LIFT: f64 = 1.2;
const HIGHLIGHTS: usize = 5;

async fn insight_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let build = state
        .ctx
        .store
        .leads()
        .latest_done_lead_build(event.id)
        .await?;
    let mut page = InsightPage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        missing: None,
        built: String::new(),
        attendees: 0,
        names: Vec::new(),
        matrix: Vec::new(),
        highlights: Vec::new(),
        pairs: Vec::new(),
    };
    let Some(build) = build else {
        page.missing = Some("No lead build has run yet, so there is no insight to show.");
        return Ok(Html(page.render()?));
    };
    let insight = match build
        .insight
        .as_deref()
        .map(serde_json::from_str::<Insight>)
    {
        Some(Ok(i)) => i,
        Some(Err(e)) => {
            tracing::warn!(build = build.id, error = %e, "stored insight could not be read");
            page.missing =
                Some("The latest lead build's insight could not be read. Build the leads again.");
            return Ok(Html(page.render()?));
        }
        None => {
            page.missing = Some("The latest lead build stored no insight. Build the leads again.");
            return Ok(Html(page.render()?));
        }
    };
    page.built = build
        .finished_at
        .map(|at| format::local_time_zoned(at, &tz))
        .unwrap_or_default();
    fill_insight(&mut page, &insight);
    Ok(Html(page.render()?))
}

fn fill_insight(page: &mut InsightPage, insight: &Insight) {
    page.attendees = insight.attendees;
    page.names = insight.topics.iter().map(|t| t.name.clone()).collect();
    let n = insight.topics.len();
    let max_off = (0..n)
        .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
        .filter_map(|(i, j)| insight.both.get(i).and_then(|r| r.get(j)).copied())
        .max()
        .unwrap_or(0);
    page.matrix = insight
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| MatrixRow {
            name: t.name.clone(),
            cells: (0..n)
                .map(|j| {
                    let count = insight
                        .both
                        .get(i)
                        .and_then(|r| r.get(j))
                        .copied()
                        .unwrap_or(0);
                    let strength = if i == j || max_off == 0 {
                        0.0
                    } else {
                        count as f64 / max_off as f64 * 0.6
                    };
                    MatrixCell {
                        count,
                        shade: format!("rgba(11, 92, 173, {strength:.2})"),
                        diagonal: i == j,
                    }
                })
                .collect(),
        })
        .collect();
    page.highlights = insight
        .pairs
        .iter()
        .filter(|p| p.lift >= HIGHLIGHT_LIFT && p.both >= 2)
        .take(HIGHLIGHTS)
        .map(|p| {
            format!(
                "People interested in {} are {:.1} times as likely as the average attendee to be interested in {} ({} of them are, {} people).",
                insight.topic_name(&p.from),
                p.lift,
                insight.topic_name(&p.to),
                format::percent(p.confidence * 100.0),
                p.both
            )
        })
        .collect();
    page.pairs = insight
        .pairs
        .iter()
        .map(|p| PairLine {
            from: insight.topic_name(&p.from).to_owned(),
            to: insight.topic_name(&p.to).to_owned(),
            both: p.both,
            support: format::percent(p.support * 100.0),
            confidence: format::percent(p.confidence * 100.0),
            lift: format!("{:.2}", p.lift),
            above: p.lift > 1.0,
        })
        .collect();
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
