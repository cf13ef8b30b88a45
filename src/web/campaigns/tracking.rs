//! Open pixel and click redirects of follow-up emails, both behind signed tokens: a click
//! link redirects only to the URL it was signed for, so it is no open redirect.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::AppState;
use crate::{
    domain::campaigns::link::TEST_SEND,
    web::error::{Error, WebResult},
};

/// A 1x1 transparent GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/o/{token}", get(open))
        .route("/t/c/{token}", get(click))
}

async fn open(State(state): State<AppState>, Path(token): Path<String>) -> WebResult<Response> {
    let send_id = state
        .ctx
        .edm
        .signer
        .verify_open(&token)
        .ok_or(Error::NotFound)?;
    if send_id != TEST_SEND {
        state
            .ctx
            .store
            .campaigns()
            .record_engagement(send_id, None, Timestamp::now())
            .await?;
    }
    Ok((
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store, private"),
        ],
        PIXEL,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ClickQuery {
    #[serde(default)]
    u: String,
}

async fn click(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<ClickQuery>,
) -> WebResult<Response> {
    let target = q.u;
    let send_id = state
        .ctx
        .edm
        .signer
        .verify_click(&token, &target)
        .filter(|_| target.starts_with("https://") || target.starts_with("http://"))
        .ok_or_else(|| Error::BadRequest("This link is not valid.".into()))?;
    if send_id != TEST_SEND {
        state
            .ctx
            .store
            .campaigns()
            .record_engagement(send_id, Some(&target), Timestamp::now())
            .await?;
    }
    Ok(Redirect::to(&target).into_response())
}
