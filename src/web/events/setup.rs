//! Setting up events from the staff pages: a new event, from a form or an event file, and
//! its settings; the programme itself is `programme`'s page. The checks and the words of
//! every refusal are `event_setup`'s, as for `badgetrail event import`.

use askama::Template;
use axum::{
    Router,
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, upload::Upload};
use crate::{
    domain::user::Action,
    event_setup::{
        self, Problem, Refused,
        edit::{self, EventFields},
        files::{self, ProgrammeFile},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/new", get(new_form).post(create))
        .route(
            "/events/new/upload",
            post(create_from_file).layer(crate::web::upload::limit()),
        )
        .route("/events/{slug}/settings", get(settings_form).post(settings))
}

/// The problems of a refused change, to show beside its form.
pub(super) fn refusal(e: Refused) -> Result<Vec<String>, Error> {
    match e {
        Refused::Problems(p) => Ok(p.iter().map(Problem::to_string).collect()),
        Refused::Conflict(m) => Ok(vec![m]),
        Refused::NotFound => Err(Error::NotFound),
        Refused::Failed(e) => Err(Error::Internal(e)),
    }
}

#[derive(Template)]
#[template(path = "admin/event_form.html")]
struct EventFormPage {
    user: CurrentUser,
    csrf: String,
    /// `None` for a new event.
    slug: Option<String>,
    event_name: String,
    fields: EventFields,
    problems: Vec<String>,
    file_problems: Vec<String>,
}

#[derive(Deserialize)]
struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: EventFields,
}

async fn new_form(
    State(_): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> WebResult<Html<String>> {
    user.require(Action::EditEventSetup)?;
    let fields = EventFields {
        time_zone: "Europe/Berlin".into(),
        ..EventFields::default()
    };
    let page = EventFormPage {
        user,
        csrf: csrf.0,
        slug: None,
        event_name: String::new(),
        fields,
        problems: Vec::new(),
        file_problems: Vec::new(),
    };
    Ok(Html(page.render()?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<EventForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::EditEventSetup)?;
    match edit::create_event(&state.ctx, &form.fields, Timestamp::now()).await {
        Ok(slug) => {
            tracing::info!(user = user.id, event = %slug, "event created");
            Ok(
                Redirect::to(&format!("/admin/events/{slug}/programme?done=created"))
                    .into_response(),
            )
        }
        Err(e) => {
            let page = EventFormPage {
                user,
                csrf: csrf.0,
                slug: None,
                event_name: String::new(),
                fields: form.fields,
                problems: refusal(e)?,
                file_problems: Vec::new(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// A new event from an event file; an event the file names that exists already is left
/// alone (its programme page takes the file).
async fn create_from_file(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Multipart,
) -> WebResult<Response> {
    let upload = Upload::read(form, &csrf).await?;
    user.require(Action::EditEventSetup)?;
    let refused = |problems: Vec<String>, user: CurrentUser, csrf: String| -> WebResult<Response> {
        let page = EventFormPage {
            user,
            csrf,
            slug: None,
            event_name: String::new(),
            fields: EventFields {
                time_zone: "Europe/Berlin".into(),
                ..EventFields::default()
            },
            problems: Vec::new(),
            file_problems: problems,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    let name = upload.file_name.clone();
    let Some(ProgrammeFile::Event(format)) = ProgrammeFile::from_name(&name) else {
        return refused(
            vec![format!(
                "{name}: a new event comes from an event file ending in .toml, .yaml or .yml"
            )],
            user,
            csrf.0,
        );
    };
    let parsed = match files::read_event_file(&upload.bytes, format) {
        Ok(p) => p,
        Err(errors) => {
            return refused(
                errors.iter().map(|e| format!("{name}: {e}")).collect(),
                user,
                csrf.0,
            );
        }
    };
    let slug = parsed.programme.event.slug.to_string();
    if state
        .ctx
        .store
        .events()
        .event_by_slug(&slug)
        .await?
        .is_some()
    {
        return refused(
            vec![format!(
                "{name}: an event '{slug}' already exists; upload the file on its programme page to update it"
            )],
            user,
            csrf.0,
        );
    }
    if let Err(e) =
        event_setup::store_checked(&state.ctx, &parsed.programme, Timestamp::now()).await
    {
        let problems = refusal(e)?;
        return refused(
            problems.iter().map(|p| format!("{name}: {p}")).collect(),
            user,
            csrf.0,
        );
    }
    tracing::info!(user = user.id, event = %slug, "event created from an event file");
    let csv = if parsed.sessions_csv.is_some() {
        "&csv=1"
    } else {
        ""
    };
    Ok(Redirect::to(&format!("/admin/events/{slug}/programme?done=created{csv}")).into_response())
}

async fn settings_form(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(Action::EditEventSetup)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let info = event.info;
    let page = EventFormPage {
        user,
        csrf: csrf.0,
        event_name: info.name.clone(),
        fields: EventFields {
            slug: info.slug.to_string(),
            name: info.name,
            venue: info.venue,
            time_zone: info.time_zone,
            starts_on: info.starts_on.to_string(),
            ends_on: info.ends_on.to_string(),
        },
        slug: Some(slug),
        problems: Vec::new(),
        file_problems: Vec::new(),
    };
    Ok(Html(page.render()?))
}

async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<EventForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::EditEventSetup)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    match edit::update_event(&state.ctx, &slug, &form.fields, Timestamp::now()).await {
        Ok(()) => {
            tracing::info!(user = user.id, event = %slug, "event settings changed");
            Ok(
                Redirect::to(&format!("/admin/events/{slug}/programme?done=settings"))
                    .into_response(),
            )
        }
        Err(e) => {
            let mut fields = form.fields;
            fields.slug.clone_from(&slug);
            let page = EventFormPage {
                user,
                csrf: csrf.0,
                event_name: event.info.name,
                slug: Some(slug),
                fields,
                problems: refusal(e)?,
                file_problems: Vec::new(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}
