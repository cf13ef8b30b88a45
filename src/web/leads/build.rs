//! The "Build leads" button: starts a lead build in the background and reports its
//! progress (the list page refreshes itself while a build runs; `build.json` for scripts).

use axum::{
    Json, Router,
    extract::{Path, State},
    response::Redirect,
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, format};
use crate::{
    domain::user::Action,
    leads::{self, BuildOptions},
    store::{LeadBuildRecord, STALE_BUILD_MS},
    web::error::WebResult,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/leads/build", post(start))
        .route("/events/{slug}/leads/build.json", get(status))
}

/// The latest build of an event, as the list page and `build.json` show it.
#[derive(Debug, Clone, Serialize)]
pub struct BuildStatus {
    pub state: String,
    pub running: bool,
    pub done: i64,
    pub total: i64,
    pub started_by: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

impl BuildStatus {
    pub fn new(b: LeadBuildRecord, tz: &TimeZone) -> BuildStatus {
        let stale = Timestamp::now().as_millisecond() - b.heartbeat_at > STALE_BUILD_MS;
        let running = b.state == "running" && !stale;
        BuildStatus {
            state: if b.state == "running" && stale {
                "stopped".into()
            } else {
                b.state.clone()
            },
            running,
            done: b.done,
            total: b.total,
            started_by: b.started_by,
            started_at: format::local_time_zoned(b.started_at, tz),
            finished_at: b.finished_at.map(|at| format::local_time_zoned(at, tz)),
            error: (b.state == "failed").then(|| b.summary.unwrap_or_default()),
        }
    }
}

async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<crate::web::CsrfForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let opts = BuildOptions {
        started_by: user.username.clone(),
        ..BuildOptions::default()
    };
    // The slot is claimed before answering, so a refused build is never shown as started.
    let claimed = match leads::claim(&state.ctx, &event, &opts).await {
        Ok(claimed) => claimed,
        Err(leads::NotStarted::AlreadyRunning(_)) => {
            return Ok(Redirect::to(&format!(
                "/admin/events/{slug}/leads?build=running"
            )));
        }
        Err(leads::NotStarted::Failed(e)) => {
            return Err(crate::web::error::Error::BadRequest(format!(
                "The lead build did not start: {e:#}"
            )));
        }
    };
    let ctx = state.ctx.clone();
    let event_id = event.id;
    tokio::spawn(async move {
        match claimed.run_in_background(ctx, event, opts).await {
            Ok(r) => tracing::info!(event = event_id, leads = r.leads, "lead build finished"),
            Err(e) => tracing::warn!(event = event_id, error = %e, "lead build did not finish"),
        }
    });
    tracing::info!(user = user.id, event = event_id, "lead build started");
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/leads?build=started"
    )))
}

async fn status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Json<Option<BuildStatus>>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| crate::web::error::Error::Internal(anyhow::anyhow!(e)))?;
    let latest = state.ctx.store.leads().latest_lead_build(event.id).await?;
    Ok(Json(latest.map(|b| BuildStatus::new(b, &tz))))
}
