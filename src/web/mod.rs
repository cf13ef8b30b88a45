//! The HTTP surface: each module owns one audience's pages and exposes a `router()`.

pub mod admin;
pub mod auth;
pub mod campaign_preview;
pub mod campaigns;
pub mod charts;
pub mod csrf;
pub mod devices;
pub mod edm_inbound;
pub mod format;
pub mod kiosk;
pub mod kiosk_api;
pub mod kiosk_decode;
pub mod lead_build;
pub mod lead_package;
pub mod lead_report;
pub mod leads;
pub mod live;
pub mod public;
pub mod rate_limit;
pub mod sales;
pub mod tracking;
pub mod trails;
pub mod unsubscribe;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, http::header, routing::get};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

use crate::context::Context;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    pub registration_limit: Arc<rate_limit::PerClientLimit>,
    pub login_limit: Arc<rate_limit::PerClientLimit>,
    pub registrations: crate::registration::RegistrationWriter,
    pub scans: crate::door::ScanWriter,
    /// Slots for server-side QR decoding, and the switch that cancels them at shutdown.
    pub decode: kiosk_decode::DecodeSlots,
}

impl AppState {
    pub fn new(ctx: Context) -> AppState {
        let per_minute = ctx.settings.registration_per_minute;
        AppState {
            registrations: crate::registration::RegistrationWriter::start(ctx.clone()),
            scans: crate::door::ScanWriter::start(ctx.clone()),
            decode: kiosk_decode::DecodeSlots::new(&ctx.settings.decode),
            ctx,
            registration_limit: Arc::new(rate_limit::PerClientLimit::per_minute(per_minute)),
            login_limit: Arc::new(rate_limit::PerClientLimit::per_minute(10)),
        }
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.ctx.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(public::router())
        .merge(auth::router())
        .merge(kiosk_api::router())
        .merge(kiosk_decode::router())
        .merge(kiosk::router())
        .merge(unsubscribe::router())
        .merge(tracking::router())
        .merge(edm_inbound::router())
        .nest(
            "/admin",
            admin::router()
                .merge(devices::router())
                .merge(trails::router())
                .merge(live::router()),
        )
        .nest("/admin", campaigns::router().merge(campaign_preview::router()))
        .nest(
            "/admin",
            leads::router()
                .merge(lead_report::router())
                .merge(lead_build::router()),
        )
        .merge(sales::router())
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
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<_>| {
                tracing::info_span!("http", method = %req.method(), path = %loggable_path(req.uri().path()))
            },
        ))
        .with_state(state)
}

/// The event a path names, or 404.
async fn event_or_404(
    state: &AppState,
    slug: &str,
) -> crate::error::WebResult<crate::store::EventRecord> {
    state
        .ctx
        .store
        .event_by_slug(slug)
        .await?
        .ok_or(crate::error::Error::NotFound)
}

/// A form that carries nothing but its CSRF token (buttons that change state).
#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, crate::error::Error> {
    state.ctx.store.ping().await?;
    Ok("ok")
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
    match path.strip_prefix("/b/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/b/***/{tail}"),
            None => "/b/***".to_owned(),
        },
        None => path.to_owned(),
    }
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
