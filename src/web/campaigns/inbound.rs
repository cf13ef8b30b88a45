//! `POST /api/v1/edm/inbound`: the mail system hands over returned mail (DSNs, abuse reports,
//! mails to the unsubscribe mailbox), authenticated by the configured bearer token.

use std::borrow::Cow;

use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use crate::edm::{InboundError, read_inbound};
use crate::web::{AppState, door::api::ErrorBody};

/// Returned mail can carry the whole original message.
const MAX_INBOUND_BYTES: usize = 2 * 1024 * 1024;

/// The security scheme name of the mail system's bearer token in the API description.
pub const INBOUND_TOKEN: &str = "inbound_token";

/// The inbound route, with its part of the API description (`web::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbound).layer(DefaultBodyLimit::max(MAX_INBOUND_BYTES)))
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// What one returned message did.
#[derive(Serialize, ToSchema)]
struct InboundAnswer {
    /// Recipients the message reported as bounced.
    bounces: usize,
    /// Of those, addresses now suppressed (hard bounces, or soft ones past the limit).
    suppressed: usize,
    /// Whether it unsubscribed someone (a mail to the unsubscribe mailbox).
    unsubscribed: bool,
}

/// A whole email message as the request body (RFC 5322), as the mail system received it.
struct RawMessage;

impl PartialSchema for RawMessage {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("message/rfc822")
            .description(Some("The whole message, headers and body, up to 2 MiB"))
            .into()
    }
}

impl ToSchema for RawMessage {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RawMessage")
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/edm/inbound",
    tag = "mail",
    summary = "Hands returned mail over: delivery status notifications, abuse reports, unsubscribe mails",
    description = "Hard bounces and complaints suppress the address at once, soft bounces past \
                   `edm.soft_bounce_limit`; a subject holding `unsubscribe TOKEN` unsubscribes. \
                   docs/formats.md, \"Returned mail\".",
    security(("inbound_token" = [])),
    request_body(content((RawMessage = "message/rfc822"))),
    responses(
        (status = 200, description = "Read and recorded", body = InboundAnswer),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No `edm.inbound_token` is configured", body = ErrorBody),
        (status = 413, description = "Larger than 2 MiB"),
        (status = 422, description = "Not a message the server can read", body = ErrorBody),
        (status = 500, description = "The message could not be recorded", body = ErrorBody),
    )
)]
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
        Ok(o) => Json(InboundAnswer {
            bounces: o.bounces.len(),
            suppressed: o.bounces.iter().filter(|(_, s)| *s).count(),
            unsubscribed: o.unsubscribed,
        })
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
