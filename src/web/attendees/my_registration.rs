//! "My registration": an attendee's own page, reached only through the signed, expiring link
//! emailed to their address. There they see their badge, change their answers and their
//! marketing consent, download what is held about them and erase themselves. Anyone can
//! ask for the link to be emailed again; the answer never says whether an address is known.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{
    AppState,
    attendees::answers_form::{AnswersFields, AnswersForm, WithEmail, input_of},
    client_addr::client_ip,
    csrf::CsrfToken,
};
use crate::{
    domain::{
        attendee::{CONSENT_WORDING, FieldErrors, Registration, RegistrationInput},
        email::Email,
        manage_link::LinkError,
    },
    store::{AttendeeRecord, EventRecord, SELF_SERVICE_SOURCE},
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/e/{event}/my-link", get(ask_link_form).post(ask_link))
        .route("/me/{link}", get(page))
        .route("/me/{link}/answers", post(save_answers))
        .route("/me/{link}/consent", post(save_consent))
        .route("/me/{link}/data.json", get(download))
        .route("/me/{link}/erase", post(erase))
}

/// Pages about one person are never kept by browsers or proxies.
fn private(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

#[derive(Template)]
#[template(path = "my_link.html")]
struct AskLinkPage {
    event_slug: String,
    event_name: String,
    csrf: String,
    error: Option<String>,
}

async fn ask_link_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    csrf: CsrfToken,
) -> WebResult<Html<String>> {
    let event = crate::web::event_or_404(&state, &slug).await?;
    let page = AskLinkPage {
        event_slug: event.info.slug.to_string(),
        event_name: event.info.name,
        csrf: csrf.0,
        error: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct AskLinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Emails the badge and link to the address if it is registered (at most once an hour), and
/// answers exactly as for an unknown address.
async fn ask_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<AskLinkForm>,
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
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = AskLinkPage {
                event_slug: event.info.slug.to_string(),
                event_name: event.info.name,
                csrf: csrf.0,
                error: Some(format!("Email {e}")),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    let store = &state.ctx.store;
    if let Some(id) = store
        .attendees()
        .attendee_id_by_email(event.id, email.as_str())
        .await?
    {
        store
            .attendees()
            .resend_badge_mail(id, Timestamp::now())
            .await?;
    }
    Ok(Redirect::to(&format!("/e/{}/registered", event.info.slug)).into_response())
}

/// The attendee and event a link opens, or a page saying why it does not.
async fn open(state: &AppState, link: &str) -> Result<(AttendeeRecord, EventRecord), Response> {
    let refused = |why: LinkError| {
        let page = LinkRefusedPage {
            expired: why == LinkError::Expired,
        };
        match page.render() {
            Ok(html) => private((StatusCode::NOT_FOUND, Html(html))),
            Err(e) => Error::from(e).into_response(),
        }
    };
    let id = state
        .ctx
        .edm
        .manage_links
        .verify(link, Timestamp::now())
        .map_err(refused)?;
    let found = async {
        let Some(attendee) = state.ctx.store.attendees().attendee(id).await? else {
            return Ok(None);
        };
        if attendee.erased_at.is_some() {
            return Ok(None);
        }
        let event = state
            .ctx
            .store
            .events()
            .event_by_id(attendee.event_id)
            .await?;
        WebResult::Ok(event.map(|e| (attendee, e)))
    };
    match found.await {
        Ok(Some(pair)) => Ok(pair),
        // Erased since the link was sent: the same page as a link that is not ours.
        Ok(None) => Err(refused(LinkError::Invalid)),
        Err(e) => Err(e.into_response()),
    }
}

#[derive(Template)]
#[template(path = "my_link_refused.html")]
struct LinkRefusedPage {
    expired: bool,
}

#[derive(Template)]
#[template(path = "my_registration.html")]
struct MyRegistrationPage {
    link: String,
    csrf: String,
    event_name: String,
    dates: String,
    email: String,
    badge_token: String,
    form: AnswersForm,
    consent_granted: bool,
    consent_wording: &'static str,
    /// What was just saved, for the confirmation line.
    saved: Option<&'static str>,
}

#[derive(Deserialize)]
struct PageQuery {
    saved: Option<String>,
}

async fn render(
    state: &AppState,
    link: String,
    csrf: String,
    (attendee, event): (&AttendeeRecord, &EventRecord),
    input: &RegistrationInput,
    errors: &FieldErrors,
    saved: Option<&'static str>,
) -> WebResult<String> {
    let topics = state.ctx.store.events().event_topics(event.id).await?;
    let page = MyRegistrationPage {
        link,
        csrf,
        event_name: event.info.name.clone(),
        dates: event.info.dates(),
        email: attendee.email.clone(),
        badge_token: attendee.token.clone(),
        form: AnswersForm::new(&topics, input, errors, WithEmail::No),
        consent_granted: attendee.marketing_consent,
        consent_wording: CONSENT_WORDING,
        saved,
    };
    Ok(page.render()?)
}

async fn page(
    State(state): State<AppState>,
    Path(link): Path<String>,
    Query(q): Query<PageQuery>,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let (attendee, event) = match open(&state, &link).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let saved = match q.saved.as_deref() {
        Some("answers") => Some("Your answers were saved."),
        Some("consent") => Some("Your email choice was saved."),
        _ => None,
    };
    let input = input_of(&attendee);
    let html = render(
        &state,
        link,
        csrf.0,
        (&attendee, &event),
        &input,
        &FieldErrors::default(),
        saved,
    )
    .await?;
    Ok(private(Html(html)))
}

async fn save_answers(
    State(state): State<AppState>,
    Path(link): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<AnswersFields>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    let (attendee, event) = match open(&state, &link).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let input = form.into_input(attendee.email.clone(), attendee.marketing_consent);
    let topics = state.ctx.store.events().event_topics(event.id).await?;
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    match Registration::parse(&input, &known) {
        Ok(reg) => {
            state
                .ctx
                .store
                .attendees()
                .update_answers(attendee.id, &reg, Timestamp::now())
                .await?;
            tracing::info!(attendee_id = attendee.id, "answers changed by the attendee");
            Ok(Redirect::to(&format!("/me/{link}?saved=answers")).into_response())
        }
        Err(errors) => {
            let html = render(
                &state,
                link,
                csrf.0,
                (&attendee, &event),
                &input,
                &errors,
                None,
            )
            .await?;
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, Html(html))))
        }
    }
}

#[derive(Deserialize)]
struct ConsentPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    marketing_consent: Option<String>,
}

async fn save_consent(
    State(state): State<AppState>,
    Path(link): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<ConsentPost>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    let (attendee, _) = match open(&state, &link).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let granted = form.marketing_consent.is_some();
    let changed = state
        .ctx
        .store
        .attendees()
        .set_marketing_consent(attendee.id, granted, SELF_SERVICE_SOURCE, Timestamp::now())
        .await?;
    if changed {
        tracing::info!(
            attendee_id = attendee.id,
            granted,
            "marketing consent changed by the attendee"
        );
    }
    Ok(Redirect::to(&format!("/me/{link}?saved=consent")).into_response())
}

async fn download(State(state): State<AppState>, Path(link): Path<String>) -> WebResult<Response> {
    let (attendee, _) = match open(&state, &link).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let data = crate::privacy::export_attendee(&state.ctx, attendee.id).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-registration.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "my_erased.html")]
struct ErasedPage {
    event_name: String,
}

async fn erase(
    State(state): State<AppState>,
    Path(link): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<crate::web::ConfirmForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    let (attendee, event) = match open(&state, &link).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    form.confirmed("delete your registration")?;
    crate::privacy::erase_attendee(
        &state.ctx,
        attendee.id,
        Timestamp::now(),
        crate::privacy::ErasureRequester::Attendee,
    )
    .await?;
    let page = ErasedPage {
        event_name: event.info.name,
    };
    Ok(private(Html(page.render()?)))
}
