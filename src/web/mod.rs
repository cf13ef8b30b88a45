//! The HTTP surface: each module owns one audience's pages and exposes a `router()`.

pub mod attendees;
pub mod auth;
pub mod campaigns;
pub mod charts;
pub mod client_addr;
pub mod csrf;
pub mod door;
pub mod error;
pub mod events;
pub mod format;
pub mod leads;
pub mod monitoring;
pub mod openapi;
pub mod pool;
pub mod rate_limit;
pub mod sorting;
pub mod staff_accounts;
pub mod staff_frame;
pub mod upload;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, http::header, routing::get};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::context::Context;

/// Login attempts per client address per minute, right or wrong.
const LOGINS_PER_MINUTE: u32 = 10;

/// What every handler can reach. Axum clones the state for every request, once per layer
/// that reads it, so it is one shared pointer: cloning the parts one by one cost the door
/// about a tenth of its CPU in reference counts bouncing between cores.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of `AppState`.
pub struct Shared {
    pub ctx: Context,
    pub registration_limit: Arc<rate_limit::PerClientLimit>,
    pub login_limit: Arc<rate_limit::PerClientLimit>,
    pub registrations: crate::registration::RegistrationWriter,
    pub scans: crate::door::ScanWriter,
    /// Slots for server-side QR decoding, and the switch that cancels them at shutdown.
    pub decode: door::decode::DecodeSlots,
}

impl AppState {
    pub fn new(ctx: Context) -> AppState {
        let per_minute = ctx.settings.registration_per_minute;
        let limit =
            |scope, n| Arc::new(rate_limit::PerClientLimit::for_store(&ctx.store, scope, n));
        AppState(Arc::new(Shared {
            registration_limit: limit("registration", per_minute),
            login_limit: limit("login", LOGINS_PER_MINUTE),
            registrations: crate::registration::RegistrationWriter::start(ctx.clone()),
            scans: crate::door::ScanWriter::start(
                ctx.clone(),
                crate::leads::live_updates::LiveUpdates::start(ctx.clone()),
            ),
            decode: door::decode::DecodeSlots::new(&ctx.settings.decode),
            ctx,
        }))
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.ctx.settings.max_body_bytes;
    crate::telemetry::install();
    Router::new()
        .merge(monitoring::router())
        .merge(attendees::public::router())
        .merge(attendees::my_registration::router())
        .merge(auth::router())
        // Everything under /api, with its OpenAPI description.
        .merge(openapi::router())
        .merge(door::kiosk::router())
        .merge(campaigns::unsubscribe::router())
        .merge(campaigns::tracking::router())
        .nest(
            "/admin",
            attendees::list::router()
                .merge(attendees::export::router())
                .merge(events::dashboard::router())
                .merge(attendees::privacy::router())
                .merge(door::devices::router())
                .merge(events::trails::router())
                .merge(events::live::router()),
        )
        .nest(
            "/admin",
            events::setup::router()
                .merge(events::programme::router())
                .merge(attendees::import::router())
                .merge(staff_accounts::router())
                .merge(leads::export::router()),
        )
        .nest(
            "/admin",
            campaigns::list::router()
                .merge(campaigns::overview::router())
                .merge(campaigns::settings::router())
                .merge(campaigns::content_edit::router())
                .merge(campaigns::file::router())
                .merge(campaigns::actions::router())
                .merge(campaigns::preview::router())
                .merge(campaigns::audience_page::router())
                .merge(campaigns::send::router())
                .merge(campaigns::report::router()),
        )
        .nest(
            "/admin",
            leads::list::router()
                .merge(pool::router())
                .merge(leads::report::router())
                .merge(leads::calibration::router())
                .merge(leads::build::router())
                .merge(leads::hot::admin_router()),
        )
        .merge(leads::sales::router())
        .merge(leads::due::router())
        .merge(leads::hot::router())
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        // Last of the routes: a route layer wraps only the routes added before it, never the
        // fallback, so unknown paths carry no template.
        .route_layer(axum::middleware::from_fn(monitoring::note_route))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            staff_frame::frame,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::ensure_cookie,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(axum::middleware::from_fn(monitoring::track_requests))
        // Inside the request id's layers, so that the span carries the id and every line
        // logged while answering can be matched with the response the client saw.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let request_id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or("");
                tracing::info_span!(
                    "http",
                    method = %req.method(),
                    path = %loggable_path(req.uri().path()),
                    request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Unknown paths get the same 404 page as unknown records, not an empty body.
async fn not_found() -> crate::web::error::Error {
    crate::web::error::Error::NotFound
}

/// The site icon: a badge with a QR corner, drawn once as SVG.
async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
}

/// The event a path names, or 404.
async fn event_or_404(
    state: &AppState,
    slug: &str,
) -> crate::web::error::WebResult<crate::store::EventRecord> {
    state
        .ctx
        .store
        .events()
        .event_by_slug(slug)
        .await?
        .ok_or(crate::web::error::Error::NotFound)
}

/// The event and the campaign a path names, or 404.
async fn campaign_of(
    state: &AppState,
    slug: &str,
    c: &str,
) -> crate::web::error::WebResult<(crate::store::EventRecord, crate::store::CampaignRecord)> {
    let event = event_or_404(state, slug).await?;
    let campaign = state
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, c)
        .await?
        .ok_or(crate::web::error::Error::NotFound)?;
    Ok((event, campaign))
}

/// A form whose button changes something that cannot be undone: its box must be ticked.
#[derive(serde::Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

impl ConfirmForm {
    /// Refuses the request unless the confirmation box was ticked.
    fn confirmed(&self, what: &str) -> Result<(), crate::web::error::Error> {
        match self.confirm.as_deref() {
            Some("yes") => Ok(()),
            _ => Err(crate::web::error::Error::BadRequest(format!(
                "Tick the box to confirm that you want to {what}; nothing was changed."
            ))),
        }
    }
}

/// A form that carries nothing but its CSRF token (buttons that change state).
#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The request path as logs may show it: query strings can hold personal data and a badge
/// path holds the badge token, so both are left out.
fn loggable_path(path: &str) -> String {
    // Unsubscribe and tracking links carry per-recipient tokens.
    for prefix in ["/u/", "/t/o/", "/t/c/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}***");
        }
    }
    // Badge tokens and registration links are keys to one person's data.
    for prefix in ["/b/", "/me/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return match rest.split_once('/') {
                Some((_, tail)) => format!("{prefix}***/{tail}"),
                None => format!("{prefix}***"),
            };
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn badge_tokens_stay_out_of_logs() {
        assert_eq!(
            super::loggable_path("/b/ABCDEF/badge.png"),
            "/b/***/badge.png"
        );
        assert_eq!(super::loggable_path("/b/ABCDEF"), "/b/***");
        assert_eq!(super::loggable_path("/admin"), "/admin");
    }
}
