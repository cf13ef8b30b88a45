//! The one error type of the web layer and how each case is shown to people.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "There is nothing at this address: the page, or what it names, does not exist or was removed."
    )]
    NotFound,
    /// Not signed in: pages send the person to the login form.
    #[error("sign in required")]
    Unauthorized { next: String },
    #[error("Your role does not open this page. An admin can change your role if you need it.")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many requests: please wait a minute and try again.")]
    TooManyRequests,
    #[error("The form has expired: reload the page and try again.")]
    Csrf,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Error::NotFound,
            StoreError::Conflict(m) => Error::Conflict(m),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Error::Internal(e.into())
    }
}

pub type WebResult<T> = Result<T, Error>;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// HTTP status line, e.g. "404 Not Found".
    pub status: String,
    /// A message that is safe to show; never an internal cause.
    pub message: String,
}

/// Put on every rendered error response, so that a layer that knows who is signed in can
/// draw the same page inside the staff layout.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub status: String,
    pub message: String,
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::Csrf => StatusCode::FORBIDDEN,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Error::Unauthorized { next } => {
                let target = format!("/login?next={}", urlencode(next));
                return Redirect::to(&target).into_response();
            }
            Error::Internal(cause) => {
                // The cause may hold personal data or internals: log it, show a generic message.
                tracing::error!(error = ?cause, "request failed");
                "Something went wrong on our side. Please try again.".to_owned()
            }
            other => other.to_string(),
        };
        let page = ErrorPage {
            status: format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
            message,
        };
        let shown = ShownError {
            status: page.status.clone(),
            message: page.message.clone(),
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.message).into_response(),
        };
        response.extensions_mut().insert(shown);
        response
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
