//! `/admin/events/{slug}/attendees/import`: people registered elsewhere, from an attendee
//! CSV, as `badgetrail attendees import` takes them: every row checked as the online form
//! checks it, all rows or none, each problem named by line and column.

use askama::Template;
use axum::{
    Router,
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use jiff::Timestamp;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, upload::Upload};
use crate::{
    domain::user::Action,
    formats,
    registration::{self, Source},
    web::error::WebResult,
};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/events/{slug}/attendees/import",
        get(page).post(import).layer(crate::web::upload::limit()),
    )
}

#[derive(Template)]
#[template(path = "admin/attendee_import.html")]
struct ImportPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    topics: Vec<String>,
    problems: Vec<String>,
    warnings: Vec<String>,
    /// "Imported 120 attendees (100 new, 20 updated); badge emails queued."
    done: Option<String>,
}

async fn view(
    state: &AppState,
    user: CurrentUser,
    csrf: String,
    slug: String,
) -> WebResult<ImportPage> {
    let event = crate::web::event_or_404(state, &slug).await?;
    let topics = state
        .ctx
        .store
        .events()
        .event_topics(event.id)
        .await?
        .into_iter()
        .map(|t| t.slug.to_string())
        .collect();
    Ok(ImportPage {
        user,
        csrf,
        slug,
        event_name: event.info.name,
        topics,
        problems: Vec::new(),
        warnings: Vec::new(),
        done: None,
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(Action::ImportAttendees)?;
    Ok(Html(view(&state, user, csrf.0, slug).await?.render()?))
}

async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    form: Multipart,
) -> WebResult<Response> {
    let upload = Upload::read(form, &csrf).await?;
    user.require(Action::ImportAttendees)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let user_id = user.id;
    let mut page = view(&state, user, csrf.0, slug.clone()).await?;
    let known: Vec<&str> = page.topics.iter().map(String::as_str).collect();
    let name = &upload.file_name;
    let parsed = match formats::parse_attendees_csv(&upload.bytes, &known) {
        Ok(parsed) => parsed,
        Err(errors) => {
            // How many problems, never the rows: they hold people's details.
            tracing::info!(user = user_id, event = %slug, problems = errors.len(), "attendee import refused");
            page.problems = errors.iter().map(|e| format!("{name}: {e}")).collect();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    let send_email = upload.ticked("send_email");
    let outcomes = registration::record(
        &state.ctx,
        &event,
        &parsed.rows,
        Source::Import,
        send_email,
        Timestamp::now(),
    )
    .await?;
    let created = outcomes.iter().filter(|o| o.created).count();
    tracing::info!(user = user_id, event = %slug, rows = outcomes.len(), created, "attendees imported");
    page.warnings = parsed
        .warnings
        .iter()
        .map(|w| format!("{name}: warning: {w}"))
        .collect();
    page.done = Some(format!(
        "Imported {} attendees ({created} new, {} updated){}.",
        outcomes.len(),
        outcomes.len() - created,
        if send_email {
            "; badge emails queued"
        } else {
            "; no badge emails were sent"
        }
    ));
    Ok(Html(page.render()?).into_response())
}
