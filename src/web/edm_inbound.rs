//! `POST /api/v1/edm/inbound`: the mail system hands over returned mail (DSNs, abuse reports,
//! mails to the unsubscribe mailbox), authenticated by the configured bearer token.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::edm::{InboundError, read_inbound};

/// Returned mail can carry the whole original message.
const MAX_INBOUND_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/edm/inbound",
        post(inbound).layer(DefaultBodyLimit::max(MAX_INBOUND_BYTES)),
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn inbound(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(expected) = &state.ctx.settings.edm.inbound_token else {
        return error(
            StatusCode::NOT_FOUND,
            "inbound mail is not enabled (edm.inbound_token)",
        );
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = expected.expose_secret().as_bytes();
    if expected.is_empty()
        || presented.len() != expected.len()
        || !bool::from(presented.as_bytes().ct_eq(expected))
    {
        return error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
    }
    match read_inbound(&state.ctx, &body, Timestamp::now()).await {
        Ok(o) => Json(serde_json::json!({
            "bounces": o.bounces.len(),
            "suppressed": o.bounces.iter().filter(|(_, s)| *s).count(),
            "unsubscribed": o.unsubscribed,
        }))
        .into_response(),
        Err(InboundError::Unreadable(why)) => error(StatusCode::UNPROCESSABLE_ENTITY, &why),
        Err(InboundError::Failed(e)) => {
            tracing::error!(error = ?e, "inbound mail failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not record the message",
            )
        }
    }
}
