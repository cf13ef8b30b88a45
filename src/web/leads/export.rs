//! An event's stored leads as a file, CSV or JSON, the very rows `badgetrail leads export`
//! writes (`leads::export`), and the bulk re-assignment of ticked leads to one owner.

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken};
use crate::{
    domain::user::Action,
    leads::{
        export::{ExportFormat, export},
        reassign::{ReassignError, reassign},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/leads.csv", get(leads_csv))
        .route("/events/{slug}/leads.json", get(leads_json))
        .route("/events/{slug}/leads/reassign", post(bulk_reassign))
}

async fn file(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    format: ExportFormat,
) -> WebResult<Response> {
    user.require(Action::ExportLeads)?;
    let event = crate::web::event_or_404(state, slug).await?;
    let mut body = Vec::new();
    let n = export(&state.ctx.store, &event, format, &mut body).await?;
    // Who took the leads and how many, not what was in them.
    tracing::info!(user = user.id, event = %slug, leads = n, "leads exported");
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-leads.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn leads_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Response> {
    file(&state, &user, &slug, ExportFormat::Csv).await
}

async fn leads_json(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Response> {
    file(&state, &user, &slug, ExportFormat::Json).await
}

/// The leads list's re-assign form: the ticked leads (`lead`, repeated) and the new owner.
#[derive(Deserialize)]
struct ReassignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lead: Vec<i64>,
    #[serde(default)]
    owner: String,
    /// The list's query string, to go back to the same filter and page.
    #[serde(default)]
    back: String,
}

async fn bulk_reassign(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<ReassignForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ExportLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let owner: i64 = form
        .owner
        .trim()
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::BadRequest("Choose the new owner; nothing was changed.".into()))?;
    let mut ids = form.lead.clone();
    ids.sort_unstable();
    ids.dedup();
    let moved = reassign(&state.ctx, &event, &ids, owner, Timestamp::now())
        .await
        .map_err(|e| match e {
            ReassignError::Refused(m) => Error::Conflict(format!("Not re-assigned: {m}.")),
            ReassignError::Failed(e) => Error::Internal(e),
        })?;
    tracing::info!(user = user.id, event = %slug, leads = moved, owner, "leads re-assigned by hand");
    // Back to the same view of the list; only a plain query string is taken back.
    let back = if form
        .back
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"=&_-%+.".contains(&b))
    {
        form.back.as_str()
    } else {
        ""
    };
    let sep = if back.is_empty() { "" } else { "&" };
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/leads?{back}{sep}moved={moved}"
    )))
}
