//! What every response to a signed-in person gets: it is never cached, and an error page
//! keeps the staff layout instead of dropping them onto a bare public page. A bare error that
//! no handler drew (a malformed path or query refused by an extractor, a wrong method) becomes
//! the same styled page for anyone whose browser asked for a page.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use jiff::Timestamp;

use super::{AppState, auth::SESSION_COOKIE, csrf::CsrfToken};
use crate::{
    accounts,
    web::error::{ErrorPage, ShownError},
};

/// An error page inside the staff layout: the same header, sections and sign-out as every
/// other staff page.
#[derive(askama::Template)]
#[template(path = "admin/error.html")]
struct StaffErrorPage {
    /// HTTP status line, e.g. "403 Forbidden".
    status: String,
    /// A message that is safe to show.
    message: String,
    /// Who is signed in, as the layout shows them.
    user: StaffUser,
    /// The sign-out form's token.
    csrf: String,
}

/// The signed-in person, as the staff layout names them.
struct StaffUser {
    display_name: String,
    role: String,
}

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
    let wants_page = accepts_html(req.headers());
    let mut response = next.run(req).await;
    if private {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let (shown, bare) = match response.extensions().get::<ShownError>() {
        Some(shown) => (shown.clone(), false),
        None if wants_page && bare_error(&response) => {
            let (parts, body) = response.into_parts();
            let text = axum::body::to_bytes(body, 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
                .unwrap_or_default();
            let shown = bare_shown(parts.status, &text);
            response = Response::from_parts(parts, Body::from(text));
            (shown, true)
        }
        None => return response,
    };
    let user = match session {
        Some(token) => staff_user(&state, &token).await,
        None => None,
    };
    let html = match user {
        Some(user) => askama::Template::render(&StaffErrorPage {
            status: shown.status,
            message: shown.message,
            user,
            csrf: csrf.unwrap_or_default(),
        }),
        None if bare => askama::Template::render(&ErrorPage {
            status: shown.status,
            message: shown.message,
        }),
        None => return response,
    };
    let Ok(html) = html else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let page = Html(html).into_response();
    parts.headers.insert(
        header::CONTENT_TYPE,
        page.headers()[header::CONTENT_TYPE].clone(),
    );
    Response::from_parts(parts, page.into_body())
}

/// The person a session token signs in, if it still does.
async fn staff_user(state: &AppState, token: &str) -> Option<StaffUser> {
    let user = state
        .ctx
        .store
        .accounts()
        .user_by_login(&accounts::login_token_hash(token), Timestamp::now())
        .await;
    let Ok(Some(user)) = user else {
        return None;
    };
    Some(StaffUser {
        display_name: user.display_name,
        role: user.role.key().to_owned(),
    })
}

/// A browser asking for a page (a link followed, an address typed, a form sent), not a script
/// asking for data.
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// An error answered with plain text or nothing, as axum's extractors and router do.
fn bare_error(response: &Response) -> bool {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    (status.is_client_error() || status.is_server_error()) && plain
}

/// What the styled page says for a bare error: the extractor's reason for a request it could
/// not read (it names only the part of the request at fault), never a server-side cause.
fn bare_shown(status: StatusCode, text: &str) -> ShownError {
    let message = if status.is_server_error() {
        "Something went wrong on our side. Please try again.".to_owned()
    } else if text.is_empty() || text.len() > 300 {
        "This address or form could not be read. Check the link, or go back and try again."
            .to_owned()
    } else {
        format!("This address or form could not be read: {text}")
    };
    ShownError {
        status: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
        message,
    }
}
