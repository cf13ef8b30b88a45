//! The campaign's preview step: any attendee's rendered message (HTML and text) in the
//! browser, and a test send of it to a given address.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::header,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, campaigns::steps::CampaignHead, csrf::CsrfToken};
use crate::{
    domain::{campaigns::campaign::Tier, campaigns::link::TEST_SEND, email::Email, user::Action},
    edm::{CampaignMailer, Preview, RecipientData},
    store::{AttendeeRecord, CampaignRecord, EventRecord},
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/campaigns/{c}/preview", get(preview))
        .route(
            "/events/{slug}/campaigns/{c}/preview.html",
            get(preview_html),
        )
        .route("/events/{slug}/campaigns/{c}/test-send", post(test_send))
}

#[derive(Deserialize)]
struct WhoQuery {
    /// An attendee id or email address.
    #[serde(default)]
    who: String,
}

/// The attendee `who` names: an id or an email address of this event.
async fn attendee(state: &AppState, event: &EventRecord, who: &str) -> WebResult<AttendeeRecord> {
    let who = who.trim();
    let store = &state.ctx.store;
    let id = match who.parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            let email = Email::parse(who).map_err(|_| {
                Error::BadRequest("Give an attendee number or email address.".into())
            })?;
            let (found, _) = store
                .attendees()
                .list_attendees(event.id, email.as_str(), 5, 0)
                .await?;
            found
                .into_iter()
                .find(|a| a.email == email.as_str())
                .map(|a| a.id)
        }
    };
    let found = match id {
        Some(id) => store.attendees().attendee(id).await?,
        None => None,
    };
    found
        .filter(|a| a.event_id == event.id)
        .ok_or_else(|| Error::BadRequest("No attendee of this event matches.".into()))
}

/// The message `attendee` would get, with test links, sent to `to`.
async fn render(
    state: &AppState,
    event: &EventRecord,
    campaign: CampaignRecord,
    attendee: &AttendeeRecord,
    to: &str,
) -> WebResult<(lettre::Message, Preview)> {
    let lead = state
        .ctx
        .store
        .campaigns()
        .lead_of(event.id, attendee.id)
        .await?;
    let (tier, topic, next_need) = match &lead {
        Some((tier, topic, next)) => (*tier, topic.as_deref(), next.as_deref()),
        None => (Tier::None, None, None),
    };
    let mailer = CampaignMailer::load(&state.ctx, campaign)
        .await
        .map_err(|e| Error::BadRequest(format!("{e:#}")))?;
    let (message, _, preview) = mailer
        .compose(
            &state.ctx.edm,
            &RecipientData {
                send_id: TEST_SEND,
                email: to,
                name: &attendee.name,
                company: &attendee.answers.company,
                job_title: &attendee.answers.job_title,
                topic,
                tier,
                next_need,
            },
        )
        .map_err(|e| Error::BadRequest(format!("This email cannot be written: {e:#}")))?;
    Ok((message, preview))
}

/// The email one attendee would get.
struct Shown {
    attendee_name: String,
    attendee_email: String,
    exclusion: Option<&'static str>,
    preview: Preview,
}

#[derive(Template)]
#[template(path = "campaigns/preview.html")]
struct PreviewPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    slug: String,
    campaign_slug: String,
    /// What was asked for, as typed.
    asked: String,
    /// The attendee's number once found, for the frame and the test send.
    who: String,
    shown: Option<Shown>,
}

#[derive(Deserialize)]
struct PreviewQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    done: String,
}

/// The preview step: pick an attendee, see their email, send it to yourself.
async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = crate::web::campaign_of(&state, &slug, &c).await?;
    let head = CampaignHead::new(&event, &campaign, "preview", &q.done);
    let campaign_slug = campaign.slug.clone();
    let (who, shown) = if q.who.trim().is_empty() {
        (String::new(), None)
    } else {
        let attendee = attendee(&state, &event, &q.who).await?;
        let view = crate::edm::audience(&state.ctx, &campaign, Timestamp::now()).await?;
        let exclusion = view.plan.exclusion_of(attendee.id).map(|e| e.label());
        let (_, preview) = render(&state, &event, campaign, &attendee, &attendee.email).await?;
        (
            attendee.id.to_string(),
            Some(Shown {
                attendee_name: attendee.name.clone(),
                attendee_email: attendee.email.clone(),
                exclusion,
                preview,
            }),
        )
    };
    let page = PreviewPage {
        user,
        csrf: csrf.0,
        head,
        slug,
        campaign_slug,
        asked: q.who,
        who,
        shown,
    };
    Ok(Html(page.render()?))
}

/// The HTML part itself, for the preview frame: sandboxed, no scripts, framable only by us.
async fn preview_html(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, c)): Path<(String, String)>,
    Query(q): Query<WhoQuery>,
) -> WebResult<Response> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = crate::web::campaign_of(&state, &slug, &c).await?;
    let attendee = attendee(&state, &event, &q.who).await?;
    let (_, preview) = render(&state, &event, campaign, &attendee, &attendee.email).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
            ),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        ],
        preview.html,
    )
        .into_response())
}

#[derive(Deserialize)]
struct TestSendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    address: String,
}

async fn test_send(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<TestSendForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = crate::web::campaign_of(&state, &slug, &c).await?;
    let to = Email::parse(&form.address)
        .map_err(|e| Error::BadRequest(format!("The test address {e}.")))?;
    let attendee = attendee(&state, &event, &form.who).await?;
    let (message, _) = render(&state, &event, campaign, &attendee, to.as_str()).await?;
    state
        .ctx
        .edm
        .transport
        .send(&message)
        .await
        .map_err(|e| Error::Conflict(format!("The test email was not sent: {e}")))?;
    tracing::info!(user = user.id, to = %to.masked(), "campaign test email sent");
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/campaigns/{c}/preview?who={}&done=test_sent",
        attendee.id
    )))
}
