//! `POST /api/v1/decode`: QR codes read from a kiosk's photo, a few at a time, each within
//! a time budget, and dropped as soon as nobody waits for the answer.

use std::{
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use std::borrow::Cow;

use axum::{
    Json,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot, watch};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use crate::config::DecodeSettings;
use crate::qr::{self, Budget, CancelOnDrop, QrError};
use crate::web::{
    AppState,
    door::api::{ApiError, ErrorBody},
};

/// Largest photo accepted for decoding, in bytes and in pixels (a 12 MP phone photo fits).
const MAX_PHOTO_BYTES: usize = 8 << 20;
const MAX_PHOTO_PIXELS: u64 = 16_000_000;

/// Seconds a refused kiosk should wait before sending another frame.
const RETRY_AFTER_SECONDS: &str = "1";

/// How long past its budget a request waits for its decode. The decode checks its budget
/// between steps, and a step cannot be interrupted (the longest: reading a progressive
/// JPEG's scans, at most `qr::MAX_PROGRESSIVE_BYTES` of coefficients); the answer must not
/// wait for it.
const ANSWER_GRACE: Duration = Duration::from_millis(200);

/// The decode slots shared by all requests, and the flag that ends every decode at shutdown.
#[derive(Clone)]
pub struct DecodeSlots {
    permits: Arc<Semaphore>,
    /// Read by the decode threads between steps.
    stopping: Arc<AtomicBool>,
    /// Awaited by the handlers, so that none waits for a decode once shutdown begins.
    shutdown: Arc<watch::Sender<bool>>,
    budget: Duration,
}

impl DecodeSlots {
    pub fn new(settings: &DecodeSettings) -> DecodeSlots {
        DecodeSlots {
            permits: Arc::new(Semaphore::new(settings.concurrent)),
            stopping: Arc::new(AtomicBool::new(false)),
            shutdown: Arc::new(watch::Sender::new(false)),
            budget: Duration::from_millis(settings.budget_ms),
        }
    }

    /// The semaphore whose permits are the slots (tests hold them to fill the cap).
    pub fn permits(&self) -> Arc<Semaphore> {
        self.permits.clone()
    }

    /// The budget of one decode: the configured time, ended early by `cancel` or shutdown.
    fn budget(&self, cancel: Arc<AtomicBool>) -> Budget {
        Budget::new(self.budget)
            .cancelled_by(cancel)
            .cancelled_by(self.stopping.clone())
    }

    /// Cancels running decodes and every later one: the server is shutting down, and
    /// graceful shutdown must not wait for a decode to finish.
    pub fn stop_all(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.shutdown.send_replace(true);
    }
}

/// The decode route, with its part of the API description (`web::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(decode).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES)))
}

#[derive(Serialize, ToSchema)]
struct DecodeResponse {
    /// The text of every QR code found, usually one badge token.
    codes: Vec<String>,
}

/// A photo as the request body: the raw bytes of a PNG or JPEG file.
struct Photo;

impl PartialSchema for Photo {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("image/*")
            .description(Some("The bytes of a PNG or JPEG photo"))
            .into()
    }
}

impl ToSchema for Photo {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Photo")
    }
}

/// Reads QR codes from a photo or camera frame (PNG or JPEG body), for devices that cannot
/// decode themselves.
///
/// The decode runs on a thread of its own, not the runtime's blocking pool: the runtime
/// would wait for a blocking task at exit, and nothing should wait for a decode. The thread
/// holds a slot until it ends; the handler holds the cancel flag, so a client that goes away
/// (its handler future dropped) ends the decode at the next check. The handler itself waits
/// at most the budget and a grace period, and not at all once shutdown begins.
#[utoipa::path(
    post,
    path = "/api/v1/decode",
    tag = "kiosk",
    summary = "Reads the QR codes in a photo, for devices that cannot decode themselves",
    description = "A PNG or JPEG of at most 8 MiB and 16 million pixels, checked from its \
                   header before decoding. A few decodes run at once, each within a time \
                   budget (`[decode]` settings); a decode ends when its client disconnects.",
    security(("device_token" = [])),
    request_body(content(
        (Photo = "image/png"),
        (Photo = "image/jpeg"),
    )),
    responses(
        (status = 200, description = "The codes found (none is an empty list)", body = DecodeResponse),
        (status = 401, description = "Unknown or missing device token", body = ErrorBody),
        (status = 403, description = "The device was revoked", body = ErrorBody),
        (status = 413, description = "Too many pixels, or an interlaced PNG or progressive \
                                      JPEG too large to decode (`{\"error\"}`); a body over \
                                      8 MiB is refused before it is read, in plain text"),
        (status = 415, description = "Neither PNG nor JPEG", body = ErrorBody),
        (status = 422, description = "Unreadable, or over its time budget", body = ErrorBody),
        (status = 503, description = "Every decode slot is busy, or the server is shutting down",
         body = ErrorBody,
         headers(("Retry-After" = String, description = "Seconds to wait before sending the frame again"))),
    )
)]
async fn decode(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<DecodeResponse>, Response> {
    crate::web::door::api::device(&state, &headers)
        .await
        .map_err(IntoResponse::into_response)?;
    let slots = &state.decode;
    let Ok(slot) = slots.permits.clone().try_acquire_owned() else {
        return Err(busy(
            "the server is decoding as many photos as it can; try again shortly",
        ));
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_when_dropped = CancelOnDrop(cancel.clone());
    let budget = slots.budget(cancel);
    let (answer, answered) = oneshot::channel();
    std::thread::Builder::new()
        .name("qr-decode".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let decoded = qr::decode_photo(&body, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, &budget);
            drop(slot);
            crate::telemetry::qr_decode(started);
            let ms = started.elapsed().as_millis() as u64;
            match &decoded {
                Err(QrError::OverBudget { .. }) => {
                    tracing::warn!(ms, bytes = body.len(), "photo decode ran out of time")
                }
                Err(QrError::Cancelled) => tracing::info!(ms, "photo decode cancelled"),
                _ => tracing::debug!(ms, "photo decoded"),
            }
            let _ = answer.send(decoded);
        })
        .map_err(|_| busy("no decoding thread could be started; try again shortly"))?;
    let mut shutdown = slots.shutdown.subscribe();
    let decoded = tokio::select! {
        decoded = answered => decoded.map_err(|_| {
            ApiError::from(anyhow::anyhow!("the decoding thread ended without an answer"))
                .into_response()
        })?,
        _ = tokio::time::sleep(slots.budget + ANSWER_GRACE) => {
            Err(QrError::OverBudget { ms: slots.budget.as_millis() as u64 })
        }
        _ = shutdown.wait_for(|stopping| *stopping) => Err(QrError::Cancelled),
    };
    let codes = decoded.map_err(|e| {
        let status = match e {
            QrError::TooManyBytes { .. }
            | QrError::TooManyPixels { .. }
            | QrError::InterlacedTooLarge { .. }
            | QrError::ProgressiveTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            QrError::NotPng => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // Only shutdown reaches a client: its own cancellation means it has gone.
            QrError::Cancelled => return busy("the server is shutting down; try again shortly"),
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.to_string()).into_response()
    })?;
    Ok(Json(DecodeResponse { codes }))
}

/// 503 with `Retry-After`: the request was fine, the server cannot take it now.
fn busy(why: &str) -> Response {
    let mut response = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why.into()).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_cancels_decodes_under_way_and_later_ones() {
        let slots = DecodeSlots::new(&DecodeSettings::default());
        let running = slots.budget(Arc::new(AtomicBool::new(false)));
        assert!(running.check().is_ok());
        slots.stop_all();
        assert!(matches!(running.check(), Err(QrError::Cancelled)));
        let later = slots.budget(Arc::new(AtomicBool::new(false)));
        assert!(matches!(later.check(), Err(QrError::Cancelled)));
        assert!(*slots.shutdown.subscribe().borrow());
    }
}
