//! Unsubscribing from follow-up email: a confirmation page (GET) and the RFC 8058 one-click
//! POST, which needs no login, no CSRF token and answers without a redirect. The signed
//! per-recipient token in the path is the authority.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    response::Html,
    routing::get,
};
use jiff::Timestamp;

use crate::web::AppState;
use crate::{
    domain::{campaigns::link::TEST_SEND, email::Email},
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/u/{token}", get(confirm).post(unsubscribe))
}

#[derive(Template)]
#[template(path = "campaigns/unsubscribe.html")]
struct UnsubscribePage {
    token: String,
    /// The address, masked: the page may be seen by whoever holds the link.
    address: String,
    done: bool,
    test: bool,
}

fn masked(email: &str) -> String {
    Email::parse(email).map_or_else(|_| "your address".to_owned(), |e| e.masked())
}

/// Shows what the link would do. Never unsubscribes: link scanners and previews fetch GETs.
async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> WebResult<Html<String>> {
    let send_id = state
        .ctx
        .edm
        .signer
        .verify_unsubscribe(&token)
        .ok_or(Error::NotFound)?;
    let address = if send_id == TEST_SEND {
        String::new()
    } else {
        let (_, _, email) = state
            .ctx
            .store
            .campaigns()
            .campaign_send(send_id)
            .await?
            .ok_or(Error::NotFound)?;
        masked(&email)
    };
    let page = UnsubscribePage {
        token,
        address,
        done: false,
        test: send_id == TEST_SEND,
    };
    Ok(Html(page.render()?))
}

/// One-click unsubscribe (the body, `List-Unsubscribe=One-Click`, is not needed). Committed
/// before the answer, so the next message the sender claims for this address is skipped.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> WebResult<Html<String>> {
    let send_id = state
        .ctx
        .edm
        .signer
        .verify_unsubscribe(&token)
        .ok_or(Error::NotFound)?;
    if send_id == TEST_SEND {
        let page = UnsubscribePage {
            token,
            address: String::new(),
            done: false,
            test: true,
        };
        return Ok(Html(page.render()?));
    }
    let email = state
        .ctx
        .store
        .campaigns()
        .unsubscribe_send(send_id, Timestamp::now())
        .await?
        .ok_or(Error::NotFound)?;
    tracing::info!(send = send_id, "unsubscribed");
    let page = UnsubscribePage {
        token,
        address: masked(&email),
        done: true,
        test: false,
    };
    Ok(Html(page.render()?))
}
