//! A campaign's overview: each step with what it holds so far, and where sending stands.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::Html,
    routing::get,
};

use crate::web::{
    AppState,
    auth::CurrentUser,
    campaign_of,
    campaigns::audience::{ReachView, reach_view},
    campaigns::content::blocks,
    campaigns::figures::{AudienceFigures, audience_figures, topic_names},
    campaigns::report::report_rows,
    campaigns::send::{ProgressView, progress_view},
    campaigns::steps::{CampaignHead, DoneQuery, StepLink, state_label},
    csrf::CsrfToken,
};
use crate::{
    domain::user::Action,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/campaigns/{c}", get(page))
}

/// One step's line on the overview.
struct StepSummary {
    number: usize,
    label: &'static str,
    href: String,
    /// Where the step stands, in words.
    status: String,
}

#[derive(Template)]
#[template(path = "campaigns/campaign.html")]
struct CampaignPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    reach: ReachView,
    summaries: Vec<StepSummary>,
    progress: ProgressView,
    started: bool,
    /// The step to go on with.
    next: StepLink,
}

/// The overview's line for each step, and the step to go on with.
fn step_summaries(
    head: &CampaignHead,
    figures: &AudienceFigures,
    blocks: &[String],
    started: bool,
    delivered: &str,
) -> (Vec<StepSummary>, usize) {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let audience = format!(
        "{}{}",
        plural(figures.recipients, "recipient", "recipients"),
        if figures.excluded_total > 0 {
            format!(", {} left out", figures.excluded_total)
        } else {
            String::new()
        }
    );
    let content = if blocks.is_empty() {
        "No content yet".to_owned()
    } else {
        format!(
            "{}: {}",
            plural(blocks.len(), "version", "versions"),
            blocks.join("; ")
        )
    };
    let send = if started {
        state_label(head.state).to_owned()
    } else {
        "Not started".to_owned()
    };
    let report = if started {
        format!("{delivered} delivered")
    } else {
        "After sending".to_owned()
    };
    let status = [
        audience,
        content,
        "Any attendee's email, and a test to your inbox".to_owned(),
        send,
        report,
    ];
    let next = if started {
        4
    } else if figures.recipients == 0 {
        0
    } else if blocks.is_empty() {
        1
    } else {
        3
    };
    let summaries = head
        .steps
        .iter()
        .zip(status)
        .map(|(s, status)| StepSummary {
            number: s.number,
            label: s.label,
            href: s.href.clone(),
            status,
        })
        .collect();
    (summaries, next)
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let store = &state.ctx.store;
    let names = topic_names(&state).await?;
    let figures = audience_figures(&state, &campaign, &names).await?;
    let blocks: Vec<String> = blocks(&state, &campaign, &names)
        .await?
        .into_iter()
        .map(|b| b.label)
        .collect();
    let progress = store.campaigns().campaign_progress(campaign.id).await?;
    let started = !campaign.state().editable();
    let (_, total) = report_rows(
        &store.campaigns().campaign_report(campaign.id).await?,
        &names,
    );
    let reach = reach_view(store, &campaign, &event.info.name).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let head = CampaignHead::new(&event, &campaign, "", &q.done);
    let (summaries, next) = step_summaries(&head, &figures, &blocks, started, &total.delivered);
    let next_step = &head.steps[next];
    let page = CampaignPage {
        user,
        csrf: csrf.0,
        next: StepLink {
            number: next_step.number,
            label: next_step.label,
            href: next_step.href.clone(),
            current: false,
        },
        head,
        reach,
        summaries,
        progress: progress_view(&campaign, progress, &tz),
        started,
    };
    Ok(Html(page.render()?))
}
