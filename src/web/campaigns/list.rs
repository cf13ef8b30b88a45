//! Campaign pages for marketers: the list, create, the overview of a campaign's steps, and
//! what the step pages post: settings, content per topic and tier, the campaign file,
//! start / pause / resume / cancel; live progress as JSON. The step pages are
//! `campaign_steps`.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::header,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    campaign_of,
    campaigns::audience::{ReachView, reach_view},
    campaigns::content::{self, blocks},
    campaigns::figures::{AudienceFigures, audience_figures, topic_names},
    campaigns::report::report_rows,
    campaigns::send::{ProgressView, progress_view},
    campaigns::steps::{CampaignHead, DoneQuery, StepLink, state_label},
    csrf::CsrfToken,
    format,
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{
        campaigns::campaign::{
            CampaignAction, Content, ContentKey, Tier, check_frequency_hours, check_name,
        },
        slug::Slug,
        user::Action,
    },
    edm::{self, FileError, StartError},
    store::{
        CampaignRecord, CampaignSettings, EventRecord,
        list_order::{ListOrder, SortColumn},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/campaigns", get(list).post(create))
        .route("/events/{slug}/campaigns/{c}", get(page))
        .route("/events/{slug}/campaigns/{c}/settings", post(settings))
        .route(
            "/events/{slug}/campaigns/{c}/content",
            get(content::content_page).post(put_content),
        )
        .route(
            "/events/{slug}/campaigns/{c}/content/delete",
            post(delete_content),
        )
        .route("/events/{slug}/campaigns/{c}/campaign.toml", get(export))
        .route("/events/{slug}/campaigns/{c}/import", post(import))
        .route("/events/{slug}/campaigns/{c}/progress.json", get(progress))
        .route("/events/{slug}/campaigns/{c}/{action}", post(act))
}

/// Back to the campaign's `step` ("" for the overview) with the alert `done`.
fn to_campaign(slug: &str, c: &str, step: &str, done: &str) -> Redirect {
    let step = if step.is_empty() {
        String::new()
    } else {
        format!("/{step}")
    };
    Redirect::to(&format!(
        "/admin/events/{slug}/campaigns/{c}{step}?done={done}"
    ))
}

struct CampaignLine {
    slug: String,
    name: String,
    state: &'static str,
    created: String,
    started: String,
}

/// The campaign list's sortable columns (a list read whole, sorted in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CampaignSort {
    Name,
    State,
    Created,
    Started,
}

impl SortColumn for CampaignSort {
    const KEYS: &'static [(&'static str, CampaignSort)] = &[
        ("name", CampaignSort::Name),
        ("state", CampaignSort::State),
        ("created", CampaignSort::Created),
        ("started", CampaignSort::Started),
    ];
}

/// The campaigns in the order asked for (newest first by default); ties by short name.
fn sort_campaigns(rows: &mut [CampaignRecord], order: Option<ListOrder<CampaignSort>>) {
    let Some(o) = order else { return };
    match o.column {
        CampaignSort::Name => {
            sorting::sort_rows(rows, o.dir, |c| (c.name.to_lowercase(), c.slug.clone()))
        }
        CampaignSort::State => {
            sorting::sort_rows(rows, o.dir, |c| (state_label(c.state()), c.slug.clone()))
        }
        CampaignSort::Created => sorting::sort_rows(rows, o.dir, |c| (c.created_at, c.id)),
        // Never started: last either way.
        CampaignSort::Started => {
            sorting::sort_rows(rows, o.dir, |c| (c.started_at, c.id));
            rows.sort_by_key(|c| c.started_at.is_none());
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    campaigns: Vec<CampaignLine>,
    heads: Vec<SortHeader>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let order = ListOrder::from_query(&q.sort, &q.dir);
    let mut rows = state.ctx.store.campaigns().list_campaigns(event.id).await?;
    sort_campaigns(&mut rows, order);
    let campaigns = rows
        .into_iter()
        .map(|c| CampaignLine {
            state: state_label(c.state()),
            created: format::local_time(c.created_at, &tz),
            started: c
                .started_at
                .map(|t| format::local_time(t, &tz))
                .unwrap_or_default(),
            slug: c.slug,
            name: c.name,
        })
        .collect();
    let zone = &event.info.time_zone;
    let heads = sorting::headers(
        &format!("/admin/events/{slug}/campaigns"),
        &[],
        order,
        vec![
            Column::by(CampaignSort::Name, "Campaign"),
            Column::by(CampaignSort::State, "State"),
            Column::by(CampaignSort::Created, format!("Created ({zone})")),
            Column::by(CampaignSort::Started, format!("Started ({zone})")),
        ],
    );
    let page = ListPage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        campaigns,
        heads,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    name: String,
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<CreateForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let short =
        Slug::parse(&form.short_name).map_err(|e| Error::BadRequest(format!("Short name {e}.")))?;
    check_name(&form.name).map_err(|e| Error::BadRequest(format!("Campaign {e}.")))?;
    state
        .ctx
        .store
        .campaigns()
        .create_campaign(
            event.id,
            short.as_str(),
            form.name.trim(),
            state.ctx.settings.edm.frequency_hours,
            Timestamp::now(),
        )
        .await?;
    tracing::info!(user = user.id, campaign = %short, "campaign created");
    Ok(to_campaign(&slug, short.as_str(), "audience", "created"))
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
