//! CSRF protection: a random per-browser token in a strict cookie that every form echoes back.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use data_encoding::BASE64URL_NOPAD;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::web::error::Error;

pub const COOKIE: &str = "bt_csrf";

/// The token of this browser, to embed in forms as the hidden field `csrf`.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// Checks a submitted form's token against the browser's cookie, in constant time.
    pub fn verify(&self, submitted: &str) -> Result<(), Error> {
        let ok = !self.0.is_empty()
            && self.0.len() == submitted.len()
            && bool::from(self.0.as_bytes().ct_eq(submitted.as_bytes()));
        if ok { Ok(()) } else { Err(Error::Csrf) }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("CSRF middleware is not installed")))
    }
}

fn fresh_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has no randomness");
    BASE64URL_NOPAD.encode(&bytes)
}

/// Gives every browser a token cookie, and refuses state-changing requests whose `Origin`
/// names another site (defence in depth beside the token and SameSite cookies).
pub async fn ensure_cookie(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !same_origin(&req, &state.ctx.settings.public_url)
    {
        return Error::Csrf.into_response();
    }
    let existing = jar
        .get(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43);
    let (token, is_new) = match existing {
        Some(t) => (t, false),
        None => (fresh_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if is_new {
        let cookie = Cookie::build((COOKIE, token))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(state.ctx.settings.secure_cookies())
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A request is same-origin when it has no `Origin` header (non-browser clients, older
/// browsers) or its `Origin` matches the request's `Host` or the configured public address.
fn same_origin(req: &Request, public_url: &str) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    if origin == public_url {
        return true;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((_, origin_host)), Some(host)) => origin_host == host,
        _ => false,
    }
}
