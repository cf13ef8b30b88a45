//! The audience step: who the campaign reaches, by topic and tier, and who it leaves out and why.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::Html,
    routing::get,
};

use super::figures::{AudienceFigures, audience_figures, topic_names};
use super::steps::{CampaignHead, DoneQuery};
use crate::web::{
    AppState,
    auth::CurrentUser,
    campaign_of,
    campaigns::audience::{ReachView, reach_view},
    csrf::CsrfToken,
};
use crate::{
    domain::{campaigns::campaign::Tier, user::Action},
    store::CampaignRecord,
    web::error::WebResult,
};

/// The audience step; its form posts to `audience::save`.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/events/{slug}/campaigns/{c}/audience",
        get(audience_page).post(super::audience::save),
    )
}

struct TierChoice {
    value: &'static str,
    excluded: bool,
}

#[derive(Template)]
#[template(path = "campaigns/audience.html")]
struct AudiencePage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    event_name: String,
    campaign: CampaignRecord,
    editable: bool,
    reach: ReachView,
    tiers: Vec<TierChoice>,
    figures: AudienceFigures,
}

async fn audience_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let figures = audience_figures(&state, &campaign, &names).await?;
    let reach = reach_view(&state.ctx.store, &campaign, &event.info.name).await?;
    let excluded_tiers = campaign.excluded_tiers()?;
    let page = AudiencePage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "audience", &q.done),
        slug,
        event_name: event.info.name,
        editable: campaign.state().editable(),
        reach,
        tiers: Tier::ALL
            .iter()
            .map(|t| TierChoice {
                value: t.as_str(),
                excluded: excluded_tiers.contains(t),
            })
            .collect(),
        figures,
        campaign,
    };
    Ok(Html(page.render()?))
}
