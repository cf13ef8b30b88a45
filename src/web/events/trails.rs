//! Trails for staff: one attendee's visits as JSON, and the whole event's as CSV.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};

use crate::web::{AppState, auth::CurrentUser};
use crate::{
    domain::user::Action,
    trails::{self, VisitView},
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/attendees/{id}/trail.json", get(trail_json))
        .route("/events/{slug}/trails.csv", get(trails_csv))
}

async fn trail_json(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, i64)>,
) -> WebResult<Json<Vec<VisitView>>> {
    user.require(Action::SeeEvents)?;
    let event = state
        .ctx
        .store
        .events()
        .event_by_slug(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    let attendee = state
        .ctx
        .store
        .attendees()
        .attendee(id)
        .await?
        .ok_or(Error::NotFound)?;
    if attendee.event_id != event.id {
        return Err(Error::NotFound);
    }
    Ok(Json(
        trails::attendee_trail(&state.ctx, event.id, id).await?,
    ))
}

async fn trails_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<impl IntoResponse> {
    user.require(Action::SeeEvents)?;
    let event = state
        .ctx
        .store
        .events()
        .event_by_slug(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    let csv = trails::event_trails_csv(&state.ctx, &event).await?;
    tracing::info!(user = user.id, event = %slug, "trails exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-trails.csv\""),
            ),
        ],
        csv,
    ))
}
