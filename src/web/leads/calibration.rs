//! Did the scoring predict the outcome: acceptance and conversion by tier, top topic, decision
//! role and stage, for one event (a section of its report, and CSV) and across every event.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::{Html, IntoResponse},
    routing::get,
};

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, format};
use crate::{
    domain::{
        attendee::{DecisionRole, PurchaseStage},
        leads::calibration::{Calibration, CalibrationRow, calibration},
        leads::package::Tier,
        leads::tier::{role_words, stage_words},
        user::Action,
    },
    formats::calibration_csv::{Dimension, write_calibration_csv},
    store::TopicName,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/leads/calibration.csv", get(event_csv))
        .route("/leads/calibration", get(all_events_page))
        .route("/leads/calibration.csv", get(all_events_csv))
}

/// Names each row's key in words.
#[derive(Default)]
pub struct Labels {
    topics: Vec<TopicName>,
}

impl Labels {
    pub fn label(&self, dimension: Dimension, key: &str) -> String {
        let unknown = || "(unknown)".to_owned();
        match dimension {
            Dimension::All => "All leads".to_owned(),
            Dimension::Tier => Tier::parse(key).map_or_else(
                |_| key.to_owned(),
                |t| format!("{} ({})", t.as_str(), t.meaning()),
            ),
            Dimension::TopTopic if key.is_empty() => "(no topic)".to_owned(),
            Dimension::TopTopic => self
                .topics
                .iter()
                .find(|t| t.slug == key)
                .map_or_else(|| key.to_owned(), |t| t.name.clone()),
            Dimension::DecisionRole => {
                DecisionRole::parse(key).map_or_else(|_| unknown(), |r| role_words(r).to_owned())
            }
            Dimension::Stage => {
                PurchaseStage::parse(key).map_or_else(|_| unknown(), |s| stage_words(s).to_owned())
            }
        }
    }
}

/// The calibration of one event (`Some(id)`) or of every event, with its labels.
pub async fn load(state: &AppState, event_id: Option<i64>) -> WebResult<(Calibration, Labels)> {
    let store = &state.ctx.store;
    let cells = store.leads().lead_calibration_cells(event_id).await?;
    let topics = store.leads().topic_names(event_id).await?;
    Ok((calibration(&cells), Labels { topics }))
}

/// One line of a table as shown.
pub struct CalibrationLine {
    pub label: String,
    pub leads: u64,
    pub with_outcome: u64,
    pub outcome_share: String,
    pub accepted: u64,
    pub acceptance: String,
    pub won: u64,
    pub conversion: String,
    pub won_of_outcomes: String,
}

/// One table: by tier, by top topic, by role or by stage.
pub struct CalibrationTable {
    /// Used in the table's `id`.
    pub id: &'static str,
    pub heading: &'static str,
    pub first_column: &'static str,
    pub lines: Vec<CalibrationLine>,
}

/// The calibration as the pages show it.
pub struct CalibrationView {
    pub total: CalibrationLine,
    pub tables: Vec<CalibrationTable>,
}

fn share(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_owned(), format::percent)
}

fn line(labels: &Labels, dimension: Dimension, r: &CalibrationRow) -> CalibrationLine {
    CalibrationLine {
        label: labels.label(dimension, &r.key),
        leads: r.leads,
        with_outcome: r.with_outcome,
        outcome_share: share(r.outcome_percent),
        accepted: r.accepted,
        acceptance: share(r.acceptance_percent),
        won: r.won,
        conversion: share(r.conversion_percent),
        won_of_outcomes: share(r.won_of_outcomes_percent),
    }
}

pub fn view(c: &Calibration, labels: &Labels) -> CalibrationView {
    let table = |id, heading, first_column, dimension, rows: &[CalibrationRow]| CalibrationTable {
        id,
        heading,
        first_column,
        lines: rows.iter().map(|r| line(labels, dimension, r)).collect(),
    };
    CalibrationView {
        total: line(labels, Dimension::All, &c.total),
        tables: vec![
            table("tier", "By tier", "Tier", Dimension::Tier, &c.by_tier),
            table(
                "topic",
                "By top topic",
                "Top topic",
                Dimension::TopTopic,
                &c.by_topic,
            ),
            table(
                "role",
                "By decision role",
                "Decision role",
                Dimension::DecisionRole,
                &c.by_role,
            ),
            table(
                "stage",
                "By purchase stage",
                "Stage",
                Dimension::Stage,
                &c.by_stage,
            ),
        ],
    }
}

fn csv_response(
    filename: &str,
    c: &Calibration,
    labels: &Labels,
) -> WebResult<([(header::HeaderName, String); 2], String)> {
    let csv = write_calibration_csv(c, |d, key| labels.label(d, key))
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        csv,
    ))
}

async fn event_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<impl IntoResponse> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let (c, labels) = load(&state, Some(event.id)).await?;
    csv_response(&format!("{slug}-calibration.csv"), &c, &labels)
}

async fn all_events_csv(
    State(state): State<AppState>,
    user: CurrentUser,
) -> WebResult<impl IntoResponse> {
    user.require(Action::WorkOnLeads)?;
    let (c, labels) = load(&state, None).await?;
    csv_response("calibration.csv", &c, &labels)
}

#[derive(Template)]
#[template(path = "leads/calibration.html")]
struct AllEventsPage {
    user: CurrentUser,
    csrf: String,
    events: usize,
    calibration: CalibrationView,
}

async fn all_events_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let events = state.ctx.store.events().list_events().await?.len();
    let (c, labels) = load(&state, None).await?;
    let page = AllEventsPage {
        user,
        csrf: csrf.0,
        events,
        calibration: view(&c, &labels),
    };
    Ok(Html(page.render()?))
}
