//! An event's programme page: topics, rooms and sessions added, changed and removed one at a
//! time, the programme replaced from an event file or sessions CSV, and downloaded again as
//! `badgetrail event export` writes it. The checks and the words of every refusal are
//! `event_setup`'s, as for `badgetrail event import`.

use askama::Template;
use axum::{
    Router,
    extract::{Multipart, Path, Query, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::{Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::web::{
    AppState, auth::CurrentUser, csrf::CsrfToken, events::setup::refusal, upload::Upload,
};
use crate::{
    domain::programme::{Programme, SessionKind},
    domain::user::Action,
    event_setup::{
        self, Refused,
        edit::{self, Part, SessionFields},
        files::{self, ProgrammeFile},
    },
    formats::EventFileFormat,
    store::ImportSummary,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/programme", get(page))
        .route(
            "/events/{slug}/programme/upload",
            post(upload).layer(crate::web::upload::limit()),
        )
        .route("/events/{slug}/programme/{part}", post(change))
        .route("/events/{slug}/programme.toml", get(download_toml))
        .route("/events/{slug}/programme.yaml", get(download_yaml))
        .route("/events/{slug}/sessions.csv", get(download_csv))
}

struct TopicView {
    slug: String,
    name: String,
    sessions: usize,
    problems: Vec<String>,
}

struct RoomView {
    name: String,
    capacity: String,
    sessions: usize,
    problems: Vec<String>,
}

struct SessionView {
    fields: SessionFields,
    /// "2026-05-12 09:00-09:45, Main Hall".
    when: String,
    problems: Vec<String>,
}

/// Where a refused change came from, so its problems show beside its form, with what was
/// typed.
#[derive(Default)]
struct Failure {
    /// `upload`, `topic`, `room` or `session`.
    part: &'static str,
    /// The item changed; empty for a new one.
    key: String,
    problems: Vec<String>,
    form: ChangeForm,
}

#[derive(Template)]
#[template(path = "admin/programme.html")]
struct ProgrammePage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    dates: String,
    venue: String,
    time_zone: String,
    can_edit: bool,
    done: Option<String>,
    warnings: Vec<String>,
    topics: Vec<TopicView>,
    rooms: Vec<RoomView>,
    sessions: Vec<SessionView>,
    kinds: Vec<&'static str>,
    room_names: Vec<String>,
    upload_problems: Vec<String>,
    new_topic: (String, String),
    new_topic_problems: Vec<String>,
    new_room: (String, String),
    new_room_problems: Vec<String>,
    new_session: SessionFields,
    new_session_problems: Vec<String>,
}

/// `2026-05-12T09:00`, what a `datetime-local` field shows, in the event's zone.
fn local_input(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Topics as a sessions CSV writes them: `slug` or `slug:weight`, `; ` between.
fn topics_text(s: &crate::domain::programme::Session) -> String {
    s.topics
        .iter()
        .map(|tw| {
            if tw.weight == 1.0 {
                tw.topic.to_string()
            } else {
                format!("{}:{}", tw.topic, tw.weight)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn session_fields(s: &crate::domain::programme::Session, tz: &TimeZone) -> SessionFields {
    SessionFields {
        session_id: s.id.clone(),
        title: s.title.clone(),
        room: s.room.clone(),
        starts_at: local_input(s.starts_at, tz),
        ends_at: local_input(s.ends_at, tz),
        kind: s.kind.as_str().to_owned(),
        topics: topics_text(s),
        speakers: s.speakers.join("; "),
    }
}

fn done_words(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "The event was created. Add its topics, rooms and sessions here, or upload its programme file.",
            "settings" => "The event's settings were saved.",
            "topic" => "The topic was saved.",
            "room" => "The room was saved.",
            "session" => "The session was saved.",
            "removed" => "It was removed.",
            _ => return None,
        }
        .to_owned(),
    )
}

struct Shown {
    done: Option<String>,
    warnings: Vec<String>,
    failure: Option<Failure>,
}

async fn render(
    state: &AppState,
    user: CurrentUser,
    csrf: String,
    slug: &str,
    shown: Shown,
) -> WebResult<String> {
    let p: Programme = state
        .ctx
        .store
        .events()
        .load_programme(slug)
        .await?
        .ok_or(Error::NotFound)?;
    let tz = p
        .event
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    Ok(programme_view(user, csrf, slug, &p, &tz, shown).render()?)
}

impl Failure {
    /// The problems to show beside item `key` of `part` (`key` empty: the form for a new
    /// one): the refused change's, when it was that item's.
    fn problems_at(&self, part: &str, key: &str) -> Vec<String> {
        if self.part == part && self.key == key {
            self.problems.clone()
        } else {
            Vec::new()
        }
    }

    /// Whether the refused change was a new item of `part`.
    fn was_new(&self, part: &str) -> bool {
        self.part == part && self.key.is_empty()
    }

    /// What the form for a new item of `part` shows: what was typed into it, if the change
    /// refused was one, else nothing.
    fn typed_new(&self, part: &str, a: &str, b: &str) -> (String, String) {
        if self.was_new(part) {
            (a.to_owned(), b.to_owned())
        } else {
            (String::new(), String::new())
        }
    }
}

/// The programme page for programme `p`, whose times are shown in `tz`: each item with
/// what refers to it, and a refused change's problems beside its form with what was typed.
fn programme_view(
    user: CurrentUser,
    csrf: String,
    slug: &str,
    p: &Programme,
    tz: &TimeZone,
    shown: Shown,
) -> ProgrammePage {
    let failure = shown.failure.unwrap_or_default();
    let form = &failure.form;
    ProgrammePage {
        can_edit: user.may(Action::EditEventSetup),
        user,
        csrf,
        slug: slug.to_owned(),
        dates: p.event.dates(),
        venue: p.event.venue.clone(),
        time_zone: p.event.time_zone.clone(),
        event_name: p.event.name.clone(),
        done: shown.done,
        warnings: shown.warnings,
        topics: topic_views(p, &failure),
        rooms: room_views(p, &failure),
        sessions: session_views(p, tz, &failure),
        kinds: SessionKind::ALL.iter().map(|k| k.as_str()).collect(),
        room_names: p.rooms.iter().map(|r| r.name.clone()).collect(),
        upload_problems: failure.problems_at("upload", ""),
        new_topic: failure.typed_new("topic", &form.slug, &form.name),
        new_topic_problems: failure.problems_at("topic", ""),
        new_room: failure.typed_new("room", &form.name, &form.capacity),
        new_room_problems: failure.problems_at("room", ""),
        new_session: new_session(p, &failure),
        new_session_problems: failure.problems_at("session", ""),
    }
}

/// Each topic with how many sessions are about it.
fn topic_views(p: &Programme, failure: &Failure) -> Vec<TopicView> {
    p.topics
        .iter()
        .map(|t| {
            let problems = failure.problems_at("topic", t.slug.as_str());
            TopicView {
                name: if problems.is_empty() {
                    t.name.clone()
                } else {
                    failure.form.name.clone()
                },
                sessions: p
                    .sessions
                    .iter()
                    .filter(|s| s.topics.iter().any(|tw| tw.topic == t.slug))
                    .count(),
                slug: t.slug.to_string(),
                problems,
            }
        })
        .collect()
}

/// Each room with how many sessions it holds.
fn room_views(p: &Programme, failure: &Failure) -> Vec<RoomView> {
    p.rooms
        .iter()
        .map(|r| {
            let problems = failure.problems_at("room", &r.name);
            let (name, capacity) = if problems.is_empty() {
                (r.name.clone(), r.capacity.to_string())
            } else {
                (failure.form.name.clone(), failure.form.capacity.clone())
            };
            RoomView {
                sessions: p.sessions.iter().filter(|s| s.room == r.name).count(),
                name,
                capacity,
                problems,
            }
        })
        .collect()
}

/// Each session's form and when and where it is, in the event's zone.
fn session_views(p: &Programme, tz: &TimeZone, failure: &Failure) -> Vec<SessionView> {
    p.sessions
        .iter()
        .map(|s| {
            let problems = failure.problems_at("session", &s.id);
            let fields = if problems.is_empty() {
                session_fields(s, tz)
            } else {
                SessionFields {
                    session_id: s.id.clone(),
                    ..failure.form.session.clone()
                }
            };
            SessionView {
                when: format!(
                    "{}-{}, {}",
                    s.starts_at
                        .to_zoned(tz.clone())
                        .strftime("%a %Y-%m-%d %H:%M"),
                    s.ends_at.to_zoned(tz.clone()).strftime("%H:%M"),
                    s.room
                ),
                fields,
                problems,
            }
        })
        .collect()
}

/// The form for a new session: what was typed, if adding one was refused, else a talk in the
/// first room.
fn new_session(p: &Programme, failure: &Failure) -> SessionFields {
    if failure.was_new("session") {
        failure.form.session.clone()
    } else {
        SessionFields {
            kind: SessionKind::Talk.as_str().into(),
            room: p.rooms.first().map(|r| r.name.clone()).unwrap_or_default(),
            ..SessionFields::default()
        }
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
    /// The event file named a sessions CSV, which is uploaded on its own.
    #[serde(default)]
    csv: String,
}

fn csv_reminder() -> String {
    "The event file names a sessions CSV; upload that file here too to add its sessions.".to_owned()
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::ReadEventSetup)?;
    let shown = Shown {
        done: done_words(&q.done),
        warnings: if q.csv.is_empty() {
            Vec::new()
        } else {
            vec![csv_reminder()]
        },
        failure: None,
    };
    Ok(Html(render(&state, user, csrf.0, &slug, shown).await?))
}

fn summary_words(s: &ImportSummary) -> String {
    let mut words = format!(
        "The programme was imported: {} topics, {} rooms, {} sessions.",
        s.topics, s.rooms, s.sessions
    );
    if !s.sessions_not_in_file.is_empty() {
        words.push_str(&format!(
            " Kept {} stored session(s) the file no longer lists: {}.",
            s.sessions_not_in_file.len(),
            s.sessions_not_in_file.join(", ")
        ));
    }
    words
}

async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    form: Multipart,
) -> WebResult<Response> {
    let upload = Upload::read(form, &csrf).await?;
    user.require(Action::EditEventSetup)?;
    let current = state
        .ctx
        .store
        .events()
        .load_programme(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    let name = &upload.file_name;
    let mut warnings = Vec::new();
    let stored = match files::read_upload(current, name, &upload.bytes) {
        Ok(read) => {
            warnings = read.warnings;
            if read.names_sessions_csv {
                warnings.push(csv_reminder());
            }
            event_setup::store_checked(&state.ctx, &read.programme, Timestamp::now())
                .await
                .map_err(|e| {
                    refusal(e).map(|ps| ps.iter().map(|p| format!("{name}: {p}")).collect())
                })
        }
        Err(problems) => Err(Ok(problems)),
    };
    let shown = match stored {
        Ok(summary) => {
            tracing::info!(user = user.id, event = %slug, sessions = summary.sessions, "programme uploaded");
            Shown {
                done: Some(summary_words(&summary)),
                warnings,
                failure: None,
            }
        }
        Err(problems) => {
            let problems = problems?;
            tracing::info!(user = user.id, event = %slug, problems = problems.len(), "programme upload refused");
            let html = render(
                &state,
                user,
                csrf.0,
                &slug,
                Shown {
                    done: None,
                    warnings: Vec::new(),
                    failure: Some(Failure {
                        part: "upload",
                        problems,
                        ..Failure::default()
                    }),
                },
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
    };
    Ok(Html(render(&state, user, csrf.0, &slug, shown).await?).into_response())
}

/// One item's form: which item (`original`, empty for a new one), save or remove, and the
/// fields of a topic, room or session.
#[derive(Deserialize, Default, Clone)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    original: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    capacity: String,
    #[serde(flatten)]
    session: SessionFields,
}

async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, part)): Path<(String, String)>,
    Form(form): Form<ChangeForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::EditEventSetup)?;
    let (part, key): (Part, &'static str) = match part.as_str() {
        "topics" => (Part::Topic, "topic"),
        "rooms" => (Part::Room, "room"),
        "sessions" => (Part::Session, "session"),
        _ => return Err(Error::NotFound),
    };
    crate::web::event_or_404(&state, &slug).await?;
    let ctx = &state.ctx;
    let now = Timestamp::now();
    let original = Some(form.original.as_str()).filter(|o| !o.is_empty());
    let removing = form.action == "remove";
    let result = if removing {
        match original {
            Some(k) => edit::remove(ctx, &slug, part, k).await,
            None => Err(Refused::NotFound),
        }
    } else {
        match part {
            Part::Topic => {
                edit::save_topic(ctx, &slug, original, &form.slug, &form.name, now).await
            }
            Part::Room => {
                edit::save_room(ctx, &slug, original, &form.name, &form.capacity, now).await
            }
            Part::Session => edit::save_session(ctx, &slug, original, &form.session, now).await,
        }
    };
    match result {
        Ok(()) => {
            tracing::info!(user = user.id, event = %slug, part = key, removed = removing, "programme changed");
            let done = if removing { "removed" } else { key };
            Ok(Redirect::to(&format!(
                "/admin/events/{slug}/programme?done={done}#{key}s"
            ))
            .into_response())
        }
        Err(e) => {
            let problems = refusal(e)?;
            let failure = Failure {
                part: key,
                key: form.original.clone(),
                problems,
                form,
            };
            let html = render(
                &state,
                user,
                csrf.0,
                &slug,
                Shown {
                    done: None,
                    warnings: Vec::new(),
                    failure: Some(failure),
                },
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    }
}

async fn download(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    kind: ProgrammeFile,
) -> WebResult<Response> {
    user.require(Action::ReadEventSetup)?;
    let p = state
        .ctx
        .store
        .events()
        .load_programme(slug)
        .await?
        .ok_or(Error::NotFound)?;
    let (name, text) = files::write(&p, kind);
    let content_type = match kind {
        ProgrammeFile::SessionsCsv => "text/csv; charset=utf-8",
        ProgrammeFile::Event(EventFileFormat::Toml) => "application/toml; charset=utf-8",
        ProgrammeFile::Event(EventFileFormat::Yaml) => "application/yaml; charset=utf-8",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response())
}

async fn download_toml(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Response> {
    let kind = ProgrammeFile::Event(EventFileFormat::Toml);
    download(&state, &user, &slug, kind).await
}

async fn download_yaml(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Response> {
    let kind = ProgrammeFile::Event(EventFileFormat::Yaml);
    download(&state, &user, &slug, kind).await
}

async fn download_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> WebResult<Response> {
    download(&state, &user, &slug, ProgrammeFile::SessionsCsv).await
}

#[cfg(test)]
#[path = "programme_tests.rs"]
mod tests;
