//! The attendee list as CSV: everyone the list's search matches, with their answers and when
//! they were first scanned in, for the organiser's own tools.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, format};
use crate::{
    domain::{choice::or_blank, user::Action},
    trails::safe_cell,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/attendees.csv", get(attendees_csv))
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    q: String,
}

async fn attendees_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> WebResult<impl IntoResponse> {
    user.require(Action::ExportAttendees)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let rows = state
        .ctx
        .store
        .attendees()
        .attendee_list_export(event.id, &q.q)
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "attendee_id",
        "name",
        "email",
        "company",
        "job_title",
        "decision_role",
        "purchase_stage",
        "industry",
        "company_size",
        "country",
        "marketing_consent",
        "registered_at",
        "badge_serial",
        "checked_in_at",
    ];
    out.write_record(header).map_err(anyhow::Error::from)?;
    for r in &rows {
        out.write_record([
            r.id.to_string(),
            safe_cell(&r.name),
            safe_cell(&r.email),
            safe_cell(&r.answers.company),
            safe_cell(&r.answers.job_title),
            or_blank::key(r.answers.decision_role).to_owned(),
            or_blank::key(r.answers.purchase_stage).to_owned(),
            or_blank::key(r.answers.industry).to_owned(),
            or_blank::key(r.answers.company_size).to_owned(),
            safe_cell(&r.answers.country),
            if r.marketing_consent { "yes" } else { "no" }.to_owned(),
            format::local_time(r.registered_at, &tz),
            r.badge_serial.to_string(),
            r.checked_in_at
                .map(|ms| format::local_time(ms, &tz))
                .unwrap_or_default(),
        ])
        .map_err(anyhow::Error::from)?;
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    // Who took the list, not what was in it.
    tracing::info!(user = user.id, event = %slug, rows = rows.len(), "attendee list exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-attendees.csv\""),
            ),
        ],
        body,
    ))
}
