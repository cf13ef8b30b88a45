//! Hot leads while the event runs: the "hot now" page sales keep open on a phone (who,
//! where, which session, why), and each event's watch rules, edited as the same file the
//! command line takes.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use axum_extra::extract::Form;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, event_or_404};
use crate::{
    domain::{leads::watch::WatchRules, user::Action},
    leads::{alerts, watch_file},
    store::AlertRecord,
    web::error::{Error, WebResult},
};

/// Most alerts the page lists.
const LIMIT: i64 = 200;
/// The longest look back offered, in hours.
const HOURS_MAX: i64 = 24 * 7;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sales/hot", get(hot_page))
        .route("/sales/hot.js", get(script))
}

const SCRIPT: &str = include_str!("../../../static/hot.js");

async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// Routes under `/admin`.
pub fn admin_router() -> Router<AppState> {
    Router::new().route(
        "/events/{slug}/leads/watch",
        get(watch_page).post(save_watch),
    )
}

#[derive(Deserialize)]
struct HotQuery {
    #[serde(default)]
    hours: Option<i64>,
}

/// One alert as a card.
pub struct AlertCard {
    pub headline: String,
    pub job_title: String,
    pub event_name: String,
    pub session: String,
    pub reason: String,
    pub when: String,
    pub tier: String,
    pub owner: String,
    pub link: String,
    pub trigger: String,
}

fn card(a: AlertRecord, user: &CurrentUser) -> AlertCard {
    // Until the event's leads are built, the person has no package page to open.
    let link = match a.built_tier {
        None => String::new(),
        Some(_)
            if !user.may(Action::SeeOthersLeads) || a.owner.as_deref() == Some(&user.username) =>
        {
            format!("/sales/leads/{}/{}", a.event_slug, a.attendee_id)
        }
        Some(_) => format!("/admin/events/{}/leads/{}", a.event_slug, a.attendee_id),
    };
    let session = match (&a.session_title, &a.room) {
        (Some(t), Some(r)) => format!("{t} \u{b7} {r}"),
        (Some(t), None) => t.clone(),
        _ => String::new(),
    };
    AlertCard {
        headline: alerts::headline(&a),
        when: alerts::when(&a),
        job_title: a.job_title,
        event_name: a.event_name,
        session,
        reason: a.reason,
        tier: a.tier.unwrap_or_default(),
        owner: a.owner_name.unwrap_or_else(|| "nobody yet".into()),
        link,
        trigger: a.trigger,
    }
}

#[derive(Template)]
#[template(path = "leads/hot.html")]
struct HotPage {
    user: CurrentUser,
    csrf: String,
    cards: Vec<AlertCard>,
    hours: i64,
    everyone: bool,
    limit: i64,
    /// When the list was read, with the time zone.
    updated: String,
}

async fn hot_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<HotQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::SeeHotLeads)?;
    let hours = q.hours.unwrap_or(12);
    if !(1..=HOURS_MAX).contains(&hours) {
        return Err(Error::BadRequest(format!(
            "Look back between 1 and {HOURS_MAX} hours."
        )));
    }
    let since = (Timestamp::now() - SignedDuration::from_hours(hours)).as_millisecond();
    let owner = (!user.may(Action::SeeOthersLeads)).then_some(user.id);
    let alerts = state
        .ctx
        .store
        .leads()
        .hot_alerts(owner, None, since, LIMIT)
        .await?;
    let cards = alerts.into_iter().map(|a| card(a, &user)).collect();
    let page = HotPage {
        everyone: owner.is_none(),
        user,
        csrf: csrf.0,
        cards,
        hours,
        limit: LIMIT,
        // Alerts carry their event's zone; the page's own reading time is in UTC.
        updated: Timestamp::now().strftime("%H:%M:%S UTC").to_string(),
    };
    Ok(Html(page.render()?))
}

/// One rule in words.
pub struct RuleWords {
    pub name: String,
    pub words: String,
}

/// The rules in words; topics by their names (`name_of` a slug).
fn in_words(rules: &WatchRules, name_of: &dyn Fn(&str) -> String) -> Vec<RuleWords> {
    rules
        .rules
        .iter()
        .map(|r| {
            let mut parts = Vec::new();
            let when: Vec<&str> = r
                .when
                .iter()
                .map(|t| match t {
                    crate::domain::leads::watch::Trigger::Enters => "enters a session",
                    crate::domain::leads::watch::Trigger::TierA => "becomes tier A",
                })
                .collect();
            parts.push(format!("when someone {}", when.join(" or ")));
            if !r.accounts.is_empty() {
                parts.push(format!("from {}", r.accounts.join(", ")));
            }
            if !r.tiers.is_empty() {
                let t: Vec<&str> = r.tiers.iter().map(|t| t.as_str()).collect();
                parts.push(format!("at tier {}", t.join(" or ")));
            }
            if !r.roles.is_empty() {
                let t: Vec<&str> = r.roles.iter().map(|t| t.key()).collect();
                parts.push(format!(
                    "with the role {}",
                    t.join(" or ").replace('_', " ")
                ));
            }
            if !r.topics.is_empty() {
                let names: Vec<String> = r.topics.iter().map(|t| name_of(t)).collect();
                parts.push(format!("most interested in {}", names.join(" or ")));
            }
            let who = if r.notify.is_empty() {
                "tell the lead's owner".to_owned()
            } else {
                format!("tell the lead's owner and {}", r.notify.join(", "))
            };
            parts.push(format!(
                "{who}, at most once every {} minutes",
                rules.window_of(r)
            ));
            RuleWords {
                name: r.name.clone(),
                words: parts.join("; "),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "leads/watch.html")]
struct WatchPage {
    user: CurrentUser,
    csrf: String,
    event_slug: String,
    event_name: String,
    text: String,
    rules: Vec<RuleWords>,
    window: u32,
    fresh: u32,
    problems: Vec<String>,
    saved: bool,
    recent: Vec<AlertCard>,
}

#[derive(Deserialize)]
struct WatchQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn watch_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<WatchQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let event = event_or_404(&state, &slug).await?;
    let (text, rules) = watch_file::current(&state.ctx, &event).await?;
    render_watch(
        &state,
        user,
        csrf,
        &event,
        text,
        &rules,
        Vec::new(),
        q.done.is_some(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_watch(
    state: &AppState,
    user: CurrentUser,
    csrf: CsrfToken,
    event: &crate::store::EventRecord,
    text: String,
    rules: &WatchRules,
    problems: Vec<String>,
    saved: bool,
) -> WebResult<Html<String>> {
    let since = (Timestamp::now() - SignedDuration::from_hours(24)).as_millisecond();
    let recent = state
        .ctx
        .store
        .leads()
        .hot_alerts(None, Some(event.id), since, 20)
        .await?
        .into_iter()
        .map(|a| card(a, &user))
        .collect();
    let topics = state.ctx.store.events().event_topics(event.id).await?;
    let name_of = |slug: &str| {
        topics
            .iter()
            .find(|t| t.slug.as_str() == slug)
            .map_or_else(|| slug.to_owned(), |t| t.name.clone())
    };
    let page = WatchPage {
        user,
        csrf: csrf.0,
        event_slug: event.info.slug.as_str().to_owned(),
        event_name: event.info.name.clone(),
        text,
        rules: in_words(rules, &name_of),
        window: rules.window_minutes,
        fresh: rules.fresh_minutes,
        problems,
        saved,
        recent,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct WatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rules: String,
}

async fn save_watch(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<WatchForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::WorkOnLeads)?;
    let event = event_or_404(&state, &slug).await?;
    match watch_file::save(&state.ctx, &event, &form.rules, &user.username).await? {
        Ok(rules) => {
            tracing::info!(
                user = user.id,
                event = event.id,
                rules = rules.rules.len(),
                "watch rules saved"
            );
            Ok(
                Redirect::to(&format!("/admin/events/{slug}/leads/watch?done=saved"))
                    .into_response(),
            )
        }
        Err(problems) => {
            // A problem of the rules as a whole has no line to point at.
            let problems = problems
                .iter()
                .map(|p| match p.line {
                    0 => p.message.clone(),
                    _ => p.to_string(),
                })
                .collect();
            let (_, rules) = watch_file::current(&state.ctx, &event).await?;
            let html = render_watch(
                &state, user, csrf, &event, form.rules, &rules, problems, false,
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}
