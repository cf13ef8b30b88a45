//! Starting, pausing, resuming and cancelling a campaign, and its progress as JSON.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::Redirect,
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;

use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken};
use crate::{
    domain::{campaigns::campaign::CampaignAction, user::Action},
    edm::{self, StartError},
    web::error::{Error, WebResult},
};

use super::steps::to_campaign;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/campaigns/{c}/progress.json", get(progress))
        .route("/events/{slug}/campaigns/{c}/{action}", post(act))
}

async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c, action)): Path<(String, String, String)>,
    Form(form): Form<crate::web::CsrfForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let action = match action.as_str() {
        "start" => CampaignAction::Start,
        "pause" => CampaignAction::Pause,
        "resume" => CampaignAction::Resume,
        "cancel" => CampaignAction::Cancel,
        _ => return Err(Error::NotFound),
    };
    let (_, campaign) = campaign_of(&state, &slug, &c).await?;
    let to = edm::control(&state.ctx, &campaign, action, Timestamp::now())
        .await
        .map_err(|e| match e {
            StartError::Refused(m) => Error::Conflict(m),
            StartError::Failed(e) => Error::Internal(e),
        })?;
    tracing::info!(user = user.id, campaign = campaign.id, state = %to, "campaign changed by staff");
    Ok(to_campaign(&slug, &c, "send", to.as_str()))
}

/// Live progress for the campaign page and scripts.
async fn progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Json<serde_json::Value>> {
    user.require(Action::RunCampaigns)?;
    let (_, campaign) = campaign_of(&state, &slug, &c).await?;
    let p = state
        .ctx
        .store
        .campaigns()
        .campaign_progress(campaign.id)
        .await?;
    Ok(Json(serde_json::json!({
        "state": campaign.state,
        "total": p.total(),
        "queued": p.queued,
        "sending": p.sending,
        "sent": p.sent,
        "failed": p.failed,
        "skipped": p.skipped,
        "cancelled": p.cancelled,
    })))
}
