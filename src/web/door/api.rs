//! The JSON API kiosks talk to: pairing, what a kiosk needs offline, and posting batches of
//! scans (photo decoding is in `kiosk_decode`).

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{DefaultBodyLimit, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use data_encoding::BASE64_NOPAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use crate::web::AppState;
use crate::{
    domain::{
        dashboard::Decision,
        door::scan::{Refusal, ScanRules},
    },
    door::{self, DeviceAuth, ScanBatch},
    store::DeviceRecord,
    web::error::Error,
};

/// Largest scan batch body; a kiosk sends at most `MAX_BATCH` scans of ~250 bytes.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// Most scans accepted in one batch.
pub const MAX_BATCH: usize = 1000;

/// The kiosk's routes, each with its part of the API description (`web::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pair))
        .routes(routes!(device_self))
        .routes(routes!(scans).layer(DefaultBodyLimit::max(MAX_BATCH_BYTES)))
}

/// The security scheme name of a paired kiosk's bearer token in the API description.
pub const DEVICE_TOKEN: &str = "device_token";

/// Every error answer of the API: `{"error": "..."}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words that are safe to show.
    pub error: String,
}

/// An API error as JSON: `{"error": "..."}` with the matching status.
pub struct ApiError(StatusCode, String);

impl ApiError {
    pub fn new(status: StatusCode, message: String) -> ApiError {
        ApiError(status, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = e.status();
        if let Error::Internal(cause) = &e {
            tracing::error!(error = ?cause, "API request failed");
            return ApiError(status, "internal error".into());
        }
        ApiError(status, e.to_string())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Error::Internal(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError(r.status(), r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

#[derive(Deserialize, ToSchema)]
struct PairRequest {
    /// The pairing code staff see when they add the door device.
    code: String,
}

#[derive(Serialize, ToSchema)]
struct PublicKey {
    key_id: u16,
    /// Ed25519 public key, standard base64 without padding.
    public_key: String,
}

#[derive(Serialize, ToSchema)]
struct PairResponse {
    /// The device's bearer token for every later request.
    token: String,
    device_id: i64,
    event_id: i64,
    event_slug: String,
    event_name: String,
    room: Option<String>,
    public_keys: Vec<PublicKey>,
    /// `[attendee_id, current_serial]`: refuse that attendee's badges with a lower serial.
    revocations: Vec<(i64, i64)>,
    /// What the door screen shows for each refusal reason, as in `refusal_messages` of
    /// `GET /api/v1/devices/self`.
    refusal_messages: BTreeMap<String, String>,
    /// What the door screen shows for a badge already let in, as in `GET /api/v1/devices/self`.
    duplicate_message: &'static str,
}

/// What the door screen says to a badge that was already let in: the `message` of a
/// duplicate scan, and the words the kiosk shows for its own duplicate verdicts.
const DUPLICATE_MESSAGE: &str = "Already scanned in";

/// The plain words of every refusal reason (`Refusal::message`), keyed by reason: the kiosk
/// keeps them to show the server's words for the verdicts it makes itself, offline too.
fn refusal_messages() -> BTreeMap<String, String> {
    Refusal::ALL
        .into_iter()
        .map(|r| (r.as_str().to_owned(), r.message().to_owned()))
        .collect()
}

/// Pairs a kiosk with a one-time pairing code.
#[utoipa::path(
    post,
    path = "/api/v1/devices/pair",
    tag = "kiosk",
    request_body = PairRequest,
    responses(
        (status = 200, description = "Paired: the device's token and its event's keys", body = PairResponse),
        (status = 404, description = "Wrong, used or expired code", body = ErrorBody),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Body lacks the code", body = ErrorBody),
    )
)]
async fn pair(
    State(state): State<AppState>,
    body: Result<Json<PairRequest>, JsonRejection>,
) -> Result<Json<PairResponse>, ApiError> {
    let Json(req) = body?;
    let now = Timestamp::now();
    let paired = door::pair(&state.ctx, &req.code, now)
        .await?
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                "unknown or expired pairing code".into(),
            )
        })?;
    let d = &paired.device;
    let event = state
        .ctx
        .store
        .events()
        .event_by_id(d.event_id)
        .await
        .map_err(Error::from)?
        .ok_or(Error::NotFound)?;
    let keys = state.ctx.badges.keys_for(d.event_id, now).await?;
    let room = match d.room_id {
        Some(id) => state
            .ctx
            .store
            .door()
            .event_rooms(d.event_id)
            .await
            .map_err(Error::from)?
            .into_iter()
            .find(|(rid, _)| *rid == id)
            .map(|(_, n)| n),
        None => None,
    };
    tracing::info!(device = d.id, event = d.event_id, "device paired");
    Ok(Json(PairResponse {
        token: paired.token,
        device_id: d.id,
        event_id: d.event_id,
        event_slug: event.info.slug.to_string(),
        event_name: event.info.name,
        room,
        public_keys: keys
            .verifying
            .keys
            .iter()
            .map(|(key_id, k)| PublicKey {
                key_id: *key_id,
                public_key: BASE64_NOPAD.encode(k.as_bytes()),
            })
            .collect(),
        revocations: state
            .ctx
            .store
            .attendees()
            .badge_revocations(d.event_id)
            .await
            .map_err(Error::from)?,
        refusal_messages: refusal_messages(),
        duplicate_message: DUPLICATE_MESSAGE,
    }))
}

#[derive(Serialize, ToSchema)]
struct ScanResult {
    nonce: String,
    /// `accepted`, `duplicate` or `refused`.
    decision: String,
    /// For refusals: `malformed`, `forged`, `wrong_event`, `revoked`, `unknown_room` or
    /// `outside_session`.
    reason: Option<String>,
    /// Plain words for the door screen.
    message: &'static str,
    session_id: Option<i64>,
    /// The badge holder's first name, for accepted and duplicate scans.
    first_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct ScansResponse {
    server_time: Timestamp,
    /// One per scan sent, in the order sent.
    results: Vec<ScanResult>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The active device presenting the request's bearer token.
pub(super) async fn device(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<DeviceRecord, ApiError> {
    let token = bearer(headers)
        .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "device token required".into()))?;
    match door::authenticate(&state.ctx, token).await? {
        DeviceAuth::Active(d) => Ok(d),
        DeviceAuth::Revoked => Err(ApiError(
            StatusCode::FORBIDDEN,
            "this device was revoked; pair it again".into(),
        )),
        DeviceAuth::Unknown => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "unknown device token".into(),
        )),
    }
}

/// Refusal of a device token, as the API says it.
fn refused(auth: DeviceAuth) -> ApiError {
    match auth {
        DeviceAuth::Revoked => ApiError(
            StatusCode::FORBIDDEN,
            "this device was revoked; pair it again".into(),
        ),
        _ => ApiError(StatusCode::UNAUTHORIZED, "unknown device token".into()),
    }
}

/// Sends a batch of scans; the verdicts come back once the batch is committed.
#[utoipa::path(
    post,
    path = "/api/v1/scans",
    tag = "kiosk",
    security(("device_token" = [])),
    request_body = ScanBatch,
    responses(
        (status = 200, description = "Every scan's verdict, in input order", body = ScansResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Unknown or missing device token", body = ErrorBody),
        (status = 403, description = "The device was revoked", body = ErrorBody),
        (status = 413, description = "More than 1,000 scans or 1 MiB", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A field or nonce the server cannot read", body = ErrorBody),
    )
)]
async fn scans(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ScanBatch>, JsonRejection>,
) -> Result<Json<ScansResponse>, ApiError> {
    let token = bearer(&headers)
        .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "device token required".into()))?;
    let device = match state.scans.authenticate(token).await? {
        DeviceAuth::Active(d) => d,
        other => return Err(refused(other)),
    };
    let Json(mut batch) = body?;
    if batch.scans.len() > MAX_BATCH {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_BATCH} scans per batch; send the rest in further batches"),
        ));
    }
    door::check_nonces(&batch).map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    door::dedupe_nonces(&mut batch);
    let now = Timestamp::now();
    let verdicts = match state.scans.submit(device, token, batch, now).await? {
        door::Submitted::Stored(v) => v,
        door::Submitted::Refused(auth) => return Err(refused(auth)),
    };
    let results = verdicts
        .into_iter()
        .map(
            |door::DoorVerdict {
                 verdict: v,
                 first_name,
             }| ScanResult {
                message: match (v.decision, v.reason) {
                    (Decision::Accepted, _) => "Welcome",
                    (Decision::Duplicate, _) => DUPLICATE_MESSAGE,
                    (_, Some(r)) => r.message(),
                    _ => "Refused",
                },
                nonce: v.nonce,
                decision: v.decision.as_str().to_owned(),
                reason: v.reason.map(|r| r.as_str().to_owned()),
                session_id: v.session_id,
                first_name,
            },
        )
        .collect();
    Ok(Json(ScansResponse {
        server_time: now,
        results,
    }))
}

#[derive(Serialize, ToSchema)]
struct SyncRoom {
    id: i64,
    name: String,
    capacity: i64,
}

#[derive(Serialize, ToSchema)]
struct SyncSession {
    id: i64,
    room_id: i64,
    /// The programme's own session id.
    key: String,
    title: String,
    room: String,
    starts_at: Timestamp,
    ends_at: Timestamp,
}

/// The door's time rules in seconds (`domain::door::scan::ScanRules`).
#[derive(Serialize, ToSchema)]
struct SyncRules {
    grace_before_start_secs: i64,
    grace_after_end_secs: i64,
    duplicate_window_secs: i64,
}

impl From<ScanRules> for SyncRules {
    fn from(r: ScanRules) -> SyncRules {
        SyncRules {
            grace_before_start_secs: r.grace_before_start.as_secs(),
            grace_after_end_secs: r.grace_after_end.as_secs(),
            duplicate_window_secs: r.duplicate_window.as_secs(),
        }
    }
}

/// Everything a kiosk keeps to decide on its own while offline.
#[derive(Serialize, ToSchema)]
struct DeviceSelfResponse {
    device_id: i64,
    device_name: String,
    /// Always false here: a revoked device gets 403 instead.
    revoked: bool,
    /// The room this device is bound to, or none (staff choose the room on the kiosk).
    room: Option<String>,
    room_id: Option<i64>,
    event_id: i64,
    event_slug: String,
    event_name: String,
    time_zone: String,
    /// How the kiosk writes times of day: `24h` ("14:05") or `12h` ("2:05 PM"), the
    /// event's setting.
    #[schema(example = "24h")]
    clock: String,
    server_time: Timestamp,
    public_keys: Vec<PublicKey>,
    /// `[attendee_id, current_serial]`: refuse that attendee's badges with a lower serial.
    revocations: Vec<(i64, i64)>,
    rooms: Vec<SyncRoom>,
    sessions: Vec<SyncSession>,
    /// The rules the server decides scans with, so an offline verdict is the server's.
    rules: SyncRules,
    /// What the door screen shows for each refusal reason (`malformed`, `forged`,
    /// `wrong_event`, `revoked`, `unknown_room`, `outside_session`): the words of `message`
    /// in scan results, kept by the kiosk for the verdicts it makes itself.
    refusal_messages: BTreeMap<String, String>,
    /// What the door screen shows for a badge already let in (the `message` of duplicate
    /// scan results), kept by the kiosk for the verdicts it makes itself.
    duplicate_message: &'static str,
}

/// `GET /api/v1/devices/self`: the device's own state and its event's current keys,
/// revocations, rooms and sessions, refreshed by kiosks on start and while online.
#[utoipa::path(
    get,
    path = "/api/v1/devices/self",
    tag = "kiosk",
    summary = "What the kiosk keeps to decide on its own while offline",
    description = "The device's own state and its event's current keys, revocations, rooms, \
                   sessions and door rules. Kiosks fetch it after pairing, on every start and \
                   every minute while online.",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "The device and its event", body = DeviceSelfResponse,
         headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, description = "Unknown, rotated-out or missing device token", body = ErrorBody),
        (status = 403, description = "The device was revoked", body = ErrorBody),
    )
)]
async fn device_self(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let d = device(&state, &headers).await?;
    let now = Timestamp::now();
    let store = &state.ctx.store;
    let event = store
        .events()
        .event_by_id(d.event_id)
        .await
        .map_err(Error::from)?
        .ok_or(Error::NotFound)?;
    let keys = state.ctx.badges.keys_for(d.event_id, now).await?;
    let rooms = store
        .door()
        .kiosk_rooms(d.event_id)
        .await
        .map_err(Error::from)?;
    let sessions = store
        .door()
        .kiosk_sessions(d.event_id)
        .await
        .map_err(Error::from)?;
    let revocations = store
        .attendees()
        .badge_revocations(d.event_id)
        .await
        .map_err(Error::from)?;
    let clock = store
        .events()
        .event_clock(d.event_id)
        .await
        .map_err(Error::from)?;
    let room_name = |id: i64| {
        rooms
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let body = DeviceSelfResponse {
        device_id: d.id,
        device_name: d.name.clone(),
        revoked: d.revoked_at.is_some(),
        room: d.room_id.map(room_name),
        room_id: d.room_id,
        event_id: d.event_id,
        event_slug: event.info.slug.to_string(),
        event_name: event.info.name,
        time_zone: event.info.time_zone,
        clock: clock.as_str().to_owned(),
        server_time: now,
        public_keys: keys
            .verifying
            .keys
            .iter()
            .map(|(key_id, k)| PublicKey {
                key_id: *key_id,
                public_key: BASE64_NOPAD.encode(k.as_bytes()),
            })
            .collect(),
        revocations,
        sessions: sessions
            .into_iter()
            .map(|s| SyncSession {
                id: s.id,
                room_id: s.room_id,
                key: s.external_id,
                title: s.title,
                room: room_name(s.room_id),
                starts_at: crate::store::ts(s.starts_at),
                ends_at: crate::store::ts(s.ends_at),
            })
            .collect(),
        rooms: rooms
            .into_iter()
            .map(|r| SyncRoom {
                id: r.id,
                name: r.name,
                capacity: r.capacity,
            })
            .collect(),
        rules: door::rules().into(),
        refusal_messages: refusal_messages(),
        duplicate_message: DUPLICATE_MESSAGE,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}
