//! Pages for attendees: the event list, the registration form and the badge page with its images.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{
    AppState,
    attendees::answers_form::{AnswersForm, WithEmail},
    client_addr::client_ip,
    csrf::CsrfToken,
    format::EventLine,
};
use crate::{
    domain::{
        attendee::{Answers, CONSENT_WORDING, FieldErrors, RegistrationInput},
        badge,
    },
    qr,
    registration::{self, RegisterError, Source},
    store::{AttendeeRecord, EventRecord},
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/e/{event}/register", get(register_form).post(register))
        .route("/e/{event}/registered", get(registered))
        .route("/b/{token}", get(badge_page))
        .route("/b/{token}/badge.png", get(badge_png))
        .route("/b/{token}/badge.svg", get(badge_svg))
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    events: Vec<EventLine>,
}

async fn index(State(state): State<AppState>) -> WebResult<Html<String>> {
    let events = state
        .ctx
        .store
        .events()
        .list_events()
        .await?
        .into_iter()
        .map(EventLine::from)
        .collect();
    Ok(Html(IndexPage { events }.render()?))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    event_slug: String,
    event_name: String,
    dates: String,
    venue: String,
    csrf: String,
    form: AnswersForm,
    consent_checked: bool,
    consent_wording: &'static str,
}

async fn render_form(
    state: &AppState,
    event: &EventRecord,
    csrf: String,
    input: &RegistrationInput,
    errors: &FieldErrors,
) -> WebResult<String> {
    let topics = state.ctx.store.events().event_topics(event.id).await?;
    let page = RegisterPage {
        event_slug: event.info.slug.to_string(),
        event_name: event.info.name.clone(),
        dates: event.info.dates(),
        venue: event.info.venue.clone(),
        csrf,
        form: AnswersForm::new(&topics, input, errors, WithEmail::Yes),
        consent_checked: input.marketing_consent,
        consent_wording: CONSENT_WORDING,
    };
    Ok(page.render()?)
}

async fn register_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    csrf: CsrfToken,
) -> WebResult<Html<String>> {
    let event = crate::web::event_or_404(&state, &slug).await?;
    let html = render_form(
        &state,
        &event,
        csrf.0,
        &RegistrationInput::default(),
        &FieldErrors::default(),
    )
    .await?;
    Ok(Html(html))
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    csrf: String,
    /// Hidden from people; bots that fill every field fill this one too.
    #[serde(default)]
    website: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    decision_role: String,
    #[serde(default)]
    purchase_stage: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    company_size: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    interests: Vec<String>,
    #[serde(default)]
    marketing_consent: Option<String>,
}

/// The one answer every accepted submission gets, whether the address was new, already
/// registered or a bot's: the badge is only ever shown through the link emailed to it.
#[derive(Template)]
#[template(path = "registered.html")]
struct CheckInboxPage {
    event_slug: String,
    event_name: String,
}

async fn registered(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    let event = crate::web::event_or_404(&state, &slug).await?;
    let page = CheckInboxPage {
        event_slug: event.info.slug.to_string(),
        event_name: event.info.name,
    };
    Ok(Html(page.render()?))
}

fn check_inbox(event: &EventRecord) -> Response {
    Redirect::to(&format!("/e/{}/registered", event.info.slug)).into_response()
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<RegisterForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    let settings = &state.ctx.settings;
    state
        .registration_limit
        .check(
            client_ip(&headers, peer, settings.proxy_hops()),
            Timestamp::now(),
        )
        .await?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    if !form.website.is_empty() {
        tracing::info!("registration refused: honeypot field filled");
        return Ok(check_inbox(&event));
    }
    let input = RegistrationInput {
        email: form.email,
        name: form.name,
        answers: Answers {
            company: form.company,
            job_title: form.job_title,
            decision_role: form.decision_role,
            purchase_stage: form.purchase_stage,
            industry: form.industry,
            company_size: form.company_size,
            country: form.country,
        },
        phone: form.phone,
        interests: form.interests,
        marketing_consent: form.marketing_consent.is_some(),
    };
    match registration::register(
        &state.ctx,
        &state.registrations,
        &event,
        &input,
        Source::Web,
    )
    .await
    {
        Ok(_) => Ok(check_inbox(&event)),
        Err(RegisterError::Invalid(errors)) => {
            let html = render_form(&state, &event, csrf.0, &input, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(RegisterError::Failed(e)) => Err(Error::Internal(e)),
    }
}

/// A badge the (upper-case) token names, after its signature has been checked with the event's keys.
async fn valid_badge(
    state: &AppState,
    token: &str,
) -> WebResult<(AttendeeRecord, EventRecord, bool)> {
    let claims = badge::read_unverified(token).map_err(|_| Error::NotFound)?;
    let event = state
        .ctx
        .store
        .events()
        .event_by_id(i64::from(claims.event_id))
        .await?
        .ok_or(Error::NotFound)?;
    let keys = state
        .ctx
        .badges
        .keys_for(event.id, Timestamp::now())
        .await?;
    // Forged, retired-key and malformed tokens all look like a page that does not exist.
    badge::verify(token, &keys.verifying).map_err(|_| Error::NotFound)?;
    let (badge, attendee) = state
        .ctx
        .store
        .attendees()
        .badge_by_token(token)
        .await?
        .ok_or(Error::NotFound)?;
    let current = badge.revoked_at.is_none() && badge.serial == attendee.badge_serial;
    Ok((attendee, event, current))
}

#[derive(Template)]
#[template(path = "badge.html")]
struct BadgePage {
    token: String,
    name: String,
    company: String,
    job_title: String,
    event_name: String,
    dates: String,
    venue: String,
    just_registered: bool,
    /// "a6" or "4x3": the stock the print layout targets.
    stock: &'static str,
}

#[derive(Template)]
#[template(path = "badge_replaced.html")]
struct ReplacedPage {
    event_name: String,
}

#[derive(Deserialize)]
struct BadgeQuery {
    registered: Option<String>,
    stock: Option<String>,
}

async fn badge_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<BadgeQuery>,
) -> WebResult<Response> {
    let token = token.trim().to_ascii_uppercase();
    let (attendee, event, current) = valid_badge(&state, &token).await?;
    if !current {
        let page = ReplacedPage {
            event_name: event.info.name,
        };
        return Ok((StatusCode::GONE, Html(page.render()?)).into_response());
    }
    let page = BadgePage {
        token,
        name: attendee.name,
        company: attendee.answers.company,
        job_title: attendee.answers.job_title,
        dates: event.info.dates(),
        event_name: event.info.name,
        venue: event.info.venue,
        just_registered: q.registered.is_some(),
        stock: if q.stock.as_deref() == Some("4x3") {
            "4x3"
        } else {
            "a6"
        },
    };
    Ok(Html(page.render()?).into_response())
}

async fn badge_png(state: State<AppState>, token: Path<String>) -> WebResult<Response> {
    badge_image(state, token, ImageKind::Png).await
}

async fn badge_svg(state: State<AppState>, token: Path<String>) -> WebResult<Response> {
    badge_image(state, token, ImageKind::Svg).await
}

enum ImageKind {
    Png,
    Svg,
}

/// The QR image of a valid badge. PNGs are decoded back before they are sent (see `qr`).
async fn badge_image(
    State(state): State<AppState>,
    Path(token): Path<String>,
    kind: ImageKind,
) -> WebResult<Response> {
    let token = token.trim().to_ascii_uppercase();
    let (_, _, current) = valid_badge(&state, &token).await?;
    if !current {
        return Err(Error::NotFound);
    }
    let internal = |e: qr::QrError| Error::Internal(e.into());
    let (content_type, body) = match kind {
        ImageKind::Png => ("image/png", qr::render_png(&token).map_err(internal)?),
        ImageKind::Svg => (
            "image/svg+xml",
            qr::render_svg(&token).map_err(internal)?.into_bytes(),
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        body,
    )
        .into_response())
}
