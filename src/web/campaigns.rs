//! Campaign pages for marketers: create, settings, content per topic and tier, the campaign
//! file, the audience summary, start / pause / resume / cancel, live progress and the report.

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

use super::{
    AppState,
    auth::CurrentUser,
    campaign_audience::{ReachView, reach_view},
    csrf::CsrfToken,
};
use crate::{
    domain::{
        campaign::{
            CampaignAction, CampaignState, Content, ContentKey, Tier, check_frequency_hours,
            check_name,
        },
        slug::Slug,
        user::Role,
    },
    edm::{self, FileError, StartError},
    error::{Error, WebResult},
    store::{CampaignProgress, CampaignRecord, CampaignSettings, EventRecord, ReportLine},
};

/// Who runs campaigns.
pub(super) const CAMPAIGNS: &[Role] = &[Role::Admin, Role::Marketer];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/campaigns", get(list).post(create))
        .route("/events/{slug}/campaigns/{c}", get(page))
        .route("/events/{slug}/campaigns/{c}/settings", post(settings))
        .route("/events/{slug}/campaigns/{c}/content", post(put_content))
        .route(
            "/events/{slug}/campaigns/{c}/content/delete",
            post(delete_content),
        )
        .route("/events/{slug}/campaigns/{c}/campaign.toml", get(export))
        .route("/events/{slug}/campaigns/{c}/import", post(import))
        .route("/events/{slug}/campaigns/{c}/progress.json", get(progress))
        .route("/events/{slug}/campaigns/{c}/{action}", post(act))
}

pub(super) async fn campaign_of(
    state: &AppState,
    slug: &str,
    c: &str,
) -> WebResult<(EventRecord, CampaignRecord)> {
    let event = super::event_or_404(state, slug).await?;
    let campaign = state
        .ctx
        .store
        .campaign_by_slug(event.id, c)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((event, campaign))
}

fn to_campaign(slug: &str, c: &str, done: &str) -> Redirect {
    Redirect::to(&format!("/admin/events/{slug}/campaigns/{c}?done={done}"))
}

struct CampaignLine {
    slug: String,
    name: String,
    state: String,
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    campaigns: Vec<CampaignLine>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(CAMPAIGNS)?;
    let event = super::event_or_404(&state, &slug).await?;
    let campaigns = state
        .ctx
        .store
        .list_campaigns(event.id)
        .await?
        .into_iter()
        .map(|c| CampaignLine {
            slug: c.slug,
            name: c.name,
            state: c.state,
        })
        .collect();
    let page = ListPage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        campaigns,
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
    user.require(CAMPAIGNS)?;
    let event = super::event_or_404(&state, &slug).await?;
    let short =
        Slug::parse(&form.short_name).map_err(|e| Error::BadRequest(format!("Short name {e}.")))?;
    check_name(&form.name).map_err(|e| Error::BadRequest(format!("Campaign {e}.")))?;
    state
        .ctx
        .store
        .create_campaign(
            event.id,
            short.as_str(),
            form.name.trim(),
            state.ctx.settings.edm.frequency_hours,
            Timestamp::now(),
        )
        .await?;
    tracing::info!(user = user.id, campaign = %short, "campaign created");
    Ok(to_campaign(&slug, short.as_str(), "created"))
}

struct BlockView {
    topic: String,
    tier: String,
    label: String,
    content: Content,
}

struct Count {
    label: String,
    count: usize,
}

struct TierChoice {
    value: &'static str,
    excluded: bool,
}

#[derive(Template)]
#[template(path = "campaigns/campaign.html")]
struct CampaignPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    campaign: CampaignRecord,
    editable: bool,
    sending: bool,
    can_start: bool,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    tiers: Vec<TierChoice>,
    topics: Vec<(String, String)>,
    blocks: Vec<BlockView>,
    recipients: usize,
    by_topic: Vec<Count>,
    by_tier: Vec<Count>,
    excluded: Vec<Count>,
    excluded_total: usize,
    progress: CampaignProgress,
    percent: i64,
    report: Vec<ReportLine>,
    reach: ReachView,
    done: String,
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    done: String,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> WebResult<Html<String>> {
    user.require(CAMPAIGNS)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let store = &state.ctx.store;
    let now = Timestamp::now();
    let cs = campaign.state();
    let blocks = store
        .campaign_contents(campaign.id)
        .await?
        .into_iter()
        .map(|(key, content)| {
            let (topic, tier) = key.stored();
            BlockView {
                topic,
                tier,
                label: key.label(),
                content,
            }
        })
        .collect();
    let topics = store
        .event_topics(event.id)
        .await?
        .into_iter()
        .map(|t| (t.slug.to_string(), t.name))
        .collect();
    // Before the start, the audience as it would be queued now; after, what was queued
    // (exclusions were decided at the start and are not recomputed on every refresh).
    let progress = store.campaign_progress(campaign.id).await?;
    let report = store.campaign_report(campaign.id).await?;
    let excluded_tiers = campaign.excluded_tiers();
    let (s, excluded_total) = if cs.editable() {
        let s = edm::audience(&state.ctx, &campaign, now).await?.summary;
        let total = s.excluded_total();
        (s, total)
    } else {
        let mut s = crate::domain::audience::AudienceSummary::default();
        for l in &report {
            let n = l.queued as usize;
            s.recipients += n;
            let topic = if l.topic.is_empty() {
                "general".to_owned()
            } else {
                l.topic.clone()
            };
            *s.by_topic.entry(topic).or_default() += n;
            *s.by_tier
                .entry(Tier::parse(&l.tier).unwrap_or(Tier::None))
                .or_default() += n;
        }
        (s, 0)
    };
    let reach = reach_view(store, &campaign, &event.info.name).await?;
    let page = CampaignPage {
        reach,
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        editable: cs.editable(),
        sending: cs == CampaignState::Sending,
        can_start: cs.after(CampaignAction::Start).is_ok(),
        can_pause: cs.after(CampaignAction::Pause).is_ok(),
        can_resume: cs.after(CampaignAction::Resume).is_ok(),
        can_cancel: cs.after(CampaignAction::Cancel).is_ok(),
        tiers: Tier::ALL
            .iter()
            .map(|t| TierChoice {
                value: t.as_str(),
                excluded: excluded_tiers.contains(t),
            })
            .collect(),
        topics,
        blocks,
        recipients: s.recipients,
        by_topic: s
            .by_topic
            .iter()
            .map(|(t, n)| Count {
                label: t.clone(),
                count: *n,
            })
            .collect(),
        by_tier: s
            .by_tier
            .iter()
            .map(|(t, n)| Count {
                label: t.to_string(),
                count: *n,
            })
            .collect(),
        excluded_total,
        excluded: s
            .excluded
            .iter()
            .map(|(r, n)| Count {
                label: r.label().to_owned(),
                count: *n,
            })
            .collect(),
        percent: if progress.total() > 0 {
            progress.finished() * 100 / progress.total()
        } else {
            0
        },
        progress,
        report,
        campaign,
        done: q.done,
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
    user.require(CAMPAIGNS)?;
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
    Ok(to_campaign(&slug, &c, "saved"))
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
        let known = state.ctx.store.event_topics(event.id).await?;
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
    user.require(CAMPAIGNS)?;
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
        .put_campaign_content(campaign.id, &key, &content, Timestamp::now())
        .await?;
    Ok(to_campaign(&slug, &c, "saved"))
}

async fn delete_content(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<ContentForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(CAMPAIGNS)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let key = content_key(&state, &event, &form.topic, &form.tier).await?;
    state
        .ctx
        .store
        .delete_campaign_content(campaign.id, &key)
        .await?;
    Ok(to_campaign(&slug, &c, "deleted"))
}

async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Response> {
    user.require(CAMPAIGNS)?;
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
    user.require(CAMPAIGNS)?;
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
        Ok(_) => Ok(to_campaign(&slug, &c, "imported")),
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
    Form(form): Form<super::CsrfForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(CAMPAIGNS)?;
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
    Ok(to_campaign(&slug, &c, to.as_str()))
}

/// Live progress for the campaign page and scripts.
async fn progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Json<serde_json::Value>> {
    user.require(CAMPAIGNS)?;
    let (_, campaign) = campaign_of(&state, &slug, &c).await?;
    let p = state.ctx.store.campaign_progress(campaign.id).await?;
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
