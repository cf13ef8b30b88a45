//! The OpenAPI 3.1 description of `/api/v1`, built from the very router that serves the API, with
//! the lead and outcome webhooks as the document's `webhooks`; served at
//! `/api/v1/openapi.json` and kept in `docs/openapi.json`.
//!
//! Every `/api` route is registered here through utoipa-axum's `routes!`, which takes the path
//! from the handler's `#[utoipa::path]`: a route cannot be served without being described, nor
//! described without being served. `tests/api/openapi.rs` checks the rest (the copy in `docs/`,
//! no `/api` route added elsewhere, a generated TypeScript client against the kiosk's calls).

use std::sync::LazyLock;

use axum::{Router, http::header, response::IntoResponse};
use utoipa::{
    OpenApi,
    openapi::{
        self, InfoBuilder, PathsBuilder,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    AppState,
    campaigns::inbound,
    door::{api, decode},
};
use crate::leads::webhook::{LeadReady, outcome::OutcomeRecorded};

/// Where the description is served.
pub const PATH: &str = "/api/v1/openapi.json";

/// The routes under `/api`, with their description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(api::router())
        .merge(decode::router())
        .merge(inbound::router())
        .routes(routes!(openapi_json))
}

/// Every route under `/api`.
pub fn router() -> Router<AppState> {
    api().split_for_parts().0
}

/// The whole description: the routes' paths, the webhooks, who may call what.
pub fn description() -> openapi::OpenApi {
    let (_, mut doc) = api().split_for_parts();
    doc.info = InfoBuilder::new()
        .title("badgetrail API")
        .version("1")
        .description(Some(
            "What door kiosks and the mail system call under /api/v1, and the webhooks \
             badgetrail posts to a CRM. Errors are `{\"error\": \"...\"}` with the HTTP status. \
             The wire formats are explained in docs/formats.md.",
        ))
        .build();
    doc.merge(Webhooks::openapi());
    doc.webhooks = Some(
        PathsBuilder::new()
            .path_from::<__path_lead_webhook>()
            .path_from::<__path_outcome_webhook>()
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = |about: &str| {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(about.to_owned());
        SecurityScheme::Http(http)
    };
    components.add_security_scheme(
        api::DEVICE_TOKEN,
        bearer("The token a kiosk received when it was paired (`POST /api/v1/devices/pair`)"),
    );
    components.add_security_scheme(
        inbound::INBOUND_TOKEN,
        bearer("The `edm.inbound_token` setting"),
    );
    doc
}

/// The description as served and as kept in `docs/openapi.json`.
pub fn description_json() -> String {
    let mut json = description()
        .to_pretty_json()
        .expect("the API description is plain data");
    json.push('\n');
    json
}

static DESCRIPTION: LazyLock<String> = LazyLock::new(description_json);

/// This description. Public: it describes only the public contract, and every route it names
/// checks its own caller.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "description",
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json")),
)]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DESCRIPTION.as_str(),
    )
}

/// The schemas only the webhooks use.
#[derive(OpenApi)]
#[openapi(components(schemas(LeadReady, OutcomeRecorded)))]
struct Webhooks;

/// Described, never called: the lead webhook is a request badgetrail sends.
#[utoipa::path(
    post,
    path = "leadRouted",
    tag = "webhooks",
    summary = "A routed lead is new or changed tier (to `leads.webhook_url`, after each lead build)",
    description = "One request per lead, up to `leads.webhook_concurrency` at once; retried up to \
                   3 times on network errors and 5xx, never after a 4xx; redirects are not \
                   followed. docs/formats.md, \"Lead webhook\".",
    params(
        ("X-Badgetrail-Attendee" = i64, Header, description = "The lead's attendee id"),
        ("X-Badgetrail-Signature" = String, Header,
         description = "`sha256=` and the hex HMAC-SHA256 of the body under `leads.webhook_secret`"),
    ),
    request_body = LeadReady,
    responses(
        (status = 200, description = "Any 2xx: received"),
        (status = 400, description = "Any 4xx: refused, not sent again"),
        (status = 500, description = "Any 5xx: sent again, up to 3 attempts in all"),
    )
)]
#[allow(dead_code)]
fn lead_webhook() {}

/// Described, never called: the outcome webhook is a request badgetrail sends.
#[utoipa::path(
    post,
    path = "outcomeRecorded",
    tag = "webhooks",
    summary = "Sales recorded an outcome on a lead (to `leads.outcome_webhook_url`)",
    description = "Sent once the outcome is stored, signed and retried like the lead webhook; a \
                   retry carries the same `feedback_id`. docs/formats.md, \"Outcome webhook\".",
    params(
        ("X-Badgetrail-Attendee" = i64, Header, description = "The lead's attendee id"),
        ("X-Badgetrail-Signature" = String, Header,
         description = "`sha256=` and the hex HMAC-SHA256 of the body under `leads.webhook_secret`"),
    ),
    request_body = OutcomeRecorded,
    responses(
        (status = 200, description = "Any 2xx: received"),
        (status = 400, description = "Any 4xx: refused, not sent again"),
        (status = 500, description = "Any 5xx: sent again, up to 3 attempts in all"),
    )
)]
#[allow(dead_code)]
fn outcome_webhook() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_is_openapi_3_1_with_both_webhooks() {
        let doc: serde_json::Value = serde_json::from_str(&description_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["webhooks"]["leadRouted"]["post"].is_object());
        assert!(doc["webhooks"]["outcomeRecorded"]["post"].is_object());
        assert!(doc["components"]["schemas"]["LeadPackage"].is_object());
        assert!(doc["paths"][PATH]["get"].is_object());
    }
}
