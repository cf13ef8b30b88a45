//! The send step: test sends, start, pause and cancel, and the sending progress.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::Html,
    routing::get,
};
use jiff::tz::TimeZone;

use super::figures::{AudienceFigures, audience_figures, topic_names};
use super::steps::{CampaignHead, DoneQuery, event_tz};
use crate::web::{AppState, auth::CurrentUser, campaign_of, csrf::CsrfToken, format};
use crate::{
    domain::{
        campaigns::campaign::{CampaignAction, CampaignState},
        user::Action,
    },
    store::{CampaignProgress, CampaignRecord},
    web::error::WebResult,
};

/// The send step.
pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/campaigns/{c}/send", get(send_page))
}

/// Where the messages are, for the progress card.
pub(super) struct ProgressView {
    pub progress: CampaignProgress,
    pub percent: i64,
    pub started: String,
    pub finished: String,
}

pub(super) fn progress_view(
    c: &CampaignRecord,
    progress: CampaignProgress,
    tz: &TimeZone,
) -> ProgressView {
    let zoned = |ms: Option<i64>| {
        ms.map(|ms| format::local_time_zoned(ms, tz))
            .unwrap_or_default()
    };
    ProgressView {
        percent: if progress.total() > 0 {
            progress.finished() * 100 / progress.total()
        } else {
            0
        },
        progress,
        started: zoned(c.started_at),
        finished: zoned(c.finished_at),
    }
}

#[derive(Template)]
#[template(path = "campaigns/send.html")]
struct SendPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    campaign: CampaignRecord,
    sending: bool,
    can_start: bool,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    figures: AudienceFigures,
    blocks: usize,
    has_general: bool,
    progress: ProgressView,
}

async fn send_page(
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
    let contents = state
        .ctx
        .store
        .campaigns()
        .campaign_contents(campaign.id)
        .await?;
    let progress = state
        .ctx
        .store
        .campaigns()
        .campaign_progress(campaign.id)
        .await?;
    let cs = campaign.state();
    let page = SendPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "send", &q.done),
        slug,
        sending: cs == CampaignState::Sending,
        can_start: cs.after(CampaignAction::Start).is_ok(),
        can_pause: cs.after(CampaignAction::Pause).is_ok(),
        can_resume: cs.after(CampaignAction::Resume).is_ok(),
        can_cancel: cs.after(CampaignAction::Cancel).is_ok(),
        figures,
        blocks: contents.len(),
        has_general: contents.iter().any(|(k, _)| k.topic.is_none()),
        progress: progress_view(&campaign, progress, &event_tz(&event)?),
        campaign,
    };
    Ok(Html(page.render()?))
}
