//! The content step's forms: a content block saved or removed per topic and tier.

use axum::{
    Router,
    extract::{Path, State},
    response::Redirect,
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken};
use crate::{
    domain::{
        campaigns::campaign::{Content, ContentKey},
        user::Action,
    },
    edm::{self},
    store::EventRecord,
    web::error::{Error, WebResult},
};

use super::steps::to_campaign;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/events/{slug}/campaigns/{c}/content",
            get(super::content::content_page).post(put_content),
        )
        .route(
            "/events/{slug}/campaigns/{c}/content/delete",
            post(delete_content),
        )
}

#[derive(Deserialize)]
struct ContentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    preheader: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    cta_label: String,
    #[serde(default)]
    cta_url: String,
}

async fn content_key(
    state: &AppState,
    event: &EventRecord,
    topic: &str,
    tier: &str,
) -> WebResult<ContentKey> {
    let key = ContentKey::from_stored(topic.trim(), tier.trim()).map_err(Error::BadRequest)?;
    if let Some(t) = &key.topic {
        let known = state.ctx.store.events().event_topics(event.id).await?;
        if !known.iter().any(|k| k.slug.as_str() == t) {
            return Err(Error::BadRequest(format!(
                "'{t}' is not a topic of this event."
            )));
        }
    }
    Ok(key)
}

async fn put_content(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<ContentForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let key = content_key(&state, &event, &form.topic, &form.tier).await?;
    let content = Content {
        subject: form.subject,
        preheader: form.preheader,
        body: form.body.replace("\r\n", "\n"),
        cta_label: form.cta_label,
        cta_url: form.cta_url.trim().to_owned(),
    };
    content
        .check()
        .map_err(|e| Error::BadRequest(format!("{}: {e}.", key.label())))?;
    edm::check_contents(&[(key.clone(), content.clone())]).map_err(Error::BadRequest)?;
    state
        .ctx
        .store
        .campaigns()
        .put_campaign_content(campaign.id, &key, &content, Timestamp::now())
        .await?;
    Ok(to_campaign(&slug, &c, "content", "saved"))
}

async fn delete_content(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<ContentForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let key = content_key(&state, &event, &form.topic, &form.tier).await?;
    state
        .ctx
        .store
        .campaigns()
        .delete_campaign_content(campaign.id, &key)
        .await?;
    Ok(to_campaign(&slug, &c, "content", "deleted"))
}
