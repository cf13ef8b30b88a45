//! Signing in and out, and the `CurrentUser` every staff page asks for.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Router,
    extract::{ConnectInfo, FromRequestParts, Query, State},
    http::{HeaderMap, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{
    Form,
    cookie::{Cookie, CookieJar, SameSite},
};
use jiff::Timestamp;
use serde::Deserialize;

use super::{AppState, client_addr::client_ip, csrf::CsrfToken};
use crate::{
    accounts,
    domain::user::{Action, Role},
    web::error::{Error, WebResult},
};

pub const SESSION_COOKIE: &str = "bt_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// The signed-in staff member. Extracting it from a request without a valid login sends the
/// person to the login page.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

impl CurrentUser {
    /// Whether the user's role may do `action`.
    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// Refuses the request unless the user's role may do `action`.
    pub fn require(&self, action: Action) -> Result<(), Error> {
        if self.may(action) {
            Ok(())
        } else {
            tracing::warn!(user = self.id, role = %self.role, "refused: role not allowed");
            Err(Error::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        // Nested routers see their path without the prefix they are mounted at; the sign-in
        // page must send the person back to the full address they asked for.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        let next = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(Error::Unauthorized { next });
        };
        let hash = accounts::login_token_hash(&token);
        let user = state
            .ctx
            .store
            .accounts()
            .user_by_login(&hash, Timestamp::now())
            .await?
            .ok_or(Error::Unauthorized { next })?;
        Ok(CurrentUser {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
        })
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    /// Where to go after signing in; always a local path.
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a local path and query is followed after login, never another site: it starts with
/// one `/`, and holds only printable ASCII without `\\` (browsers read `/\\host`, `/\t/host`
/// and the like as another site; control characters cannot go in a `Location` header).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

async fn login_form(csrf: CsrfToken, Query(q): Query<NextQuery>) -> WebResult<Html<String>> {
    let page = LoginPage {
        csrf: csrf.0,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    csrf: CsrfToken,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    let settings = &state.ctx.settings;
    state
        .login_limit
        .check(
            client_ip(&headers, peer, settings.proxy_hops()),
            Timestamp::now(),
        )
        .await?;
    let next = safe_next(form.next.as_deref());
    let user = accounts::check_login(&state.ctx.store, &form.username, &form.password).await?;
    let Some(user) = user else {
        tracing::info!("failed login");
        let page = LoginPage {
            csrf: csrf.0,
            next,
            username: form.username,
            error: Some("That username and password do not match an account.".into()),
        };
        return Ok((axum::http::StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    let token = accounts::start_login(
        &state.ctx.store,
        user.id,
        settings.login_hours,
        Timestamp::now(),
    )
    .await?;
    tracing::info!(user = user.id, "signed in");
    // Sales have no event pages: the staff start page becomes their own leads.
    let next = if next == "/admin" && !user.role.may(Action::SeeEvents) {
        "/sales/leads".to_owned()
    } else {
        next
    };
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies())
        // A browser-session cookie; the server ends the login after `login_hours` regardless.
        .build();
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    csrf: CsrfToken,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let hash = accounts::login_token_hash(c.value());
        state
            .ctx
            .store
            .accounts()
            .delete_login_session(&hash)
            .await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn local_paths_with_their_query_are_followed() {
        for n in ["/admin/events/x/devices", "/sales/leads?tier=A&page=2", "/"] {
            assert_eq!(safe_next(Some(n)), n);
        }
    }

    #[test]
    fn anything_a_browser_could_read_as_another_site_goes_to_the_start_page() {
        for n in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a\rb",
            "/a\u{b}b",
            "/a b",
            "https://evil.example",
            "evil.example",
            "/\u{202e}x",
            "",
        ] {
            assert_eq!(safe_next(Some(n)), "/admin", "{n:?}");
        }
        assert_eq!(safe_next(None), "/admin");
    }
}
