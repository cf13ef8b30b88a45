//! The audience step's settings form: name, tiers left out, tracking, how often a person may
//! be mailed.

use axum::{
    Router,
    extract::{Path, State},
    response::Redirect,
    routing::post,
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken};
use crate::{
    domain::{
        campaigns::campaign::{Tier, check_frequency_hours, check_name},
        user::Action,
    },
    store::CampaignSettings,
    web::error::{Error, WebResult},
};

use super::steps::to_campaign;

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/campaigns/{c}/settings", post(settings))
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    excluded_tiers: Vec<String>,
    track_opens: Option<String>,
    track_clicks: Option<String>,
    #[serde(default)]
    frequency_hours: String,
}

async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<SettingsForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (_, campaign) = campaign_of(&state, &slug, &c).await?;
    check_name(&form.name).map_err(|e| Error::BadRequest(format!("Campaign {e}.")))?;
    let frequency_hours: i64 =
        form.frequency_hours.trim().parse().map_err(|_| {
            Error::BadRequest("The frequency window must be a number of hours.".into())
        })?;
    check_frequency_hours(frequency_hours).map_err(Error::BadRequest)?;
    let excluded_tiers =
        Tier::parse_list(&form.excluded_tiers.join(",")).map_err(Error::BadRequest)?;
    state
        .ctx
        .store
        .campaigns()
        .update_campaign_settings(
            campaign.id,
            &CampaignSettings {
                name: form.name.trim().to_owned(),
                excluded_tiers,
                track_opens: form.track_opens.is_some(),
                track_clicks: form.track_clicks.is_some(),
                frequency_hours,
                scope: campaign.audience_scope()?,
            },
            Timestamp::now(),
        )
        .await?;
    Ok(to_campaign(&slug, &c, "audience", "saved"))
}
