//! A campaign as a file: exported as TOML, imported (settings and content) in one transaction.

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

use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken};
use crate::{
    domain::user::Action,
    edm::{self, FileError},
    web::error::{Error, WebResult},
};

use super::steps::to_campaign;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/campaigns/{c}/campaign.toml", get(export))
        .route("/events/{slug}/campaigns/{c}/import", post(import))
}

async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Response> {
    user.require(Action::RunCampaigns)?;
    let (_, campaign) = campaign_of(&state, &slug, &c).await?;
    let text = edm::export_campaign_file(&state.ctx, &campaign).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.toml\"", campaign.slug),
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    file: String,
}

async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<ImportForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    match edm::import_campaign_file(
        &state.ctx,
        &event,
        &campaign.slug,
        &form.file,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(to_campaign(&slug, &c, "content", "imported")),
        Err(FileError::Invalid(problems)) => Err(Error::BadRequest(format!(
            "The campaign file was not taken: {}",
            problems.join("; ")
        ))),
        Err(FileError::Failed(e)) => Err(Error::Internal(e)),
    }
}
