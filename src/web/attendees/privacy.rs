//! Staff actions on a person's data, on their request: download everything held, erase.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;

use crate::web::{
    AppState, attendees::list::attendee_of_event, auth::CurrentUser, csrf::CsrfToken,
};
use crate::{
    domain::user::Action,
    privacy::{self, ErasureRequester},
    web::error::WebResult,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/events/{slug}/attendees/{id}/export.json",
            get(export_data),
        )
        .route("/events/{slug}/attendees/{id}/erase", post(erase))
}

async fn export_data(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, i64)>,
) -> WebResult<Response> {
    user.require(Action::HandleDataRequests)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    attendee_of_event(&state, &event, id).await?;
    let data = privacy::export_attendee(&state.ctx, id).await?;
    tracing::info!(
        user = user.id,
        attendee = id,
        "personal data exported by staff"
    );
    Ok((
        [
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attendee-{id}.json\""),
            ),
        ],
        Json(data),
    )
        .into_response())
}

async fn erase(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<crate::web::ConfirmForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::HandleDataRequests)?;
    form.confirmed("erase this person's data")?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    attendee_of_event(&state, &event, id).await?;
    privacy::erase_attendee(
        &state.ctx,
        id,
        Timestamp::now(),
        ErasureRequester::Staff(user.username.clone()),
    )
    .await?;
    tracing::info!(user = user.id, attendee = id, "erasure requested by staff");
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/attendees/{id}?erased=1"
    )))
}
