//! What every response to a signed-in person gets: it is never cached, and an error page
//! keeps the staff layout instead of dropping them onto a bare public page.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use jiff::Timestamp;

use super::{AppState, auth::SESSION_COOKIE, csrf::CsrfToken};
use crate::{
    accounts,
    error::{ErrorPage, ShownError, StaffHeader},
};

/// Paths whose pages are about people or for staff only, cached by nobody even when the
/// request carries no session (a sign-in redirect is not worth keeping either).
fn private_path(path: &str) -> bool {
    ["/admin", "/sales", "/me/", "/login"]
        .iter()
        .any(|p| path.starts_with(p))
}

pub async fn frame(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let session = CookieJar::from_headers(req.headers())
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    let csrf = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
    let private = session.is_some() || private_path(req.uri().path());
    let mut response = next.run(req).await;
    if private {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let (Some(shown), Some(token)) = (response.extensions().get::<ShownError>(), session) else {
        return response;
    };
    let user = state
        .ctx
        .store
        .user_by_login(&accounts::login_token_hash(&token), Timestamp::now())
        .await;
    let Ok(Some(user)) = user else {
        return response;
    };
    let page = ErrorPage {
        status: shown.status.clone(),
        message: shown.message.clone(),
        staff: Some(StaffHeader {
            display_name: user.display_name,
            role: user.role,
            csrf: csrf.unwrap_or_default(),
        }),
    };
    let Ok(html) = askama::Template::render(&page) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = Html(html).into_response().into_body();
    Response::from_parts(parts, body)
}
