//! The content step: the campaign's content blocks by topic and tier, and the form for new ones.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::Html,
};

use super::figures::topic_names;
use super::steps::{CampaignHead, DoneQuery};
use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken};
use crate::{
    domain::{
        campaigns::campaign::{Content, Tier},
        user::Action,
    },
    store::CampaignRecord,
    web::error::WebResult,
};

pub(super) struct BlockView {
    pub topic: String,
    pub tier: String,
    pub label: String,
    pub content: Content,
}

/// The campaign's content blocks with topic names.
pub(super) async fn blocks(
    state: &AppState,
    campaign: &CampaignRecord,
    names: &HashMap<String, String>,
) -> WebResult<Vec<BlockView>> {
    Ok(state
        .ctx
        .store
        .campaigns()
        .campaign_contents(campaign.id)
        .await?
        .into_iter()
        .map(|(key, content)| {
            let (topic, tier) = key.stored();
            BlockView {
                label: key.label_named(
                    key.topic
                        .as_ref()
                        .and_then(|t| names.get(t))
                        .map(String::as_str),
                ),
                topic,
                tier,
                content,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "campaigns/content.html")]
struct ContentPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    campaign: CampaignRecord,
    editable: bool,
    blocks: Vec<BlockView>,
    /// The event's topics for new content: slug and name.
    topics: Vec<(String, String)>,
    tiers: Vec<&'static str>,
}

pub(super) async fn content_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let blocks = blocks(&state, &campaign, &names).await?;
    let topics = state
        .ctx
        .store
        .events()
        .event_topics(event.id)
        .await?
        .into_iter()
        .map(|t| (t.slug.to_string(), t.name))
        .collect();
    let page = ContentPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "content", &q.done),
        slug,
        editable: campaign.state().editable(),
        blocks,
        topics,
        tiers: Tier::ALL.iter().map(|t| t.as_str()).collect(),
        campaign,
    };
    Ok(Html(page.render()?))
}
