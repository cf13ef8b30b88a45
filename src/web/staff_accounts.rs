//! `/admin/users`: staff accounts for admins: create with a one-time password shown once,
//! change role, disable and enable, reset the password. Hashing is `accounts`', as for
//! `badgetrail user add`.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use super::{AppState, auth::CurrentUser, csrf::CsrfToken, format};
use crate::{
    accounts,
    domain::{
        email::Email,
        user::{Action, Role, Username},
    },
    store::StaffAccount,
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(page).post(create))
        .route("/users/{id}/{action}", post(change))
}

struct AccountLine {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    email: String,
    created: String,
    disabled: Option<String>,
    is_me: bool,
}

/// A password made on the server, shown once to the admin who asked for it.
struct OneTime {
    username: String,
    password: String,
    created: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    user: CurrentUser,
    csrf: String,
    accounts: Vec<AccountLine>,
    roles: Vec<&'static str>,
    one_time: Option<OneTime>,
    /// What the last change did, in words.
    done: Option<String>,
    /// Why the create form was refused, with what was typed.
    problems: Vec<String>,
    draft: NewAccount,
}

#[derive(Deserialize, Default, Clone)]
struct NewAccount {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn done_words(key: &str) -> Option<String> {
    Some(
        match key {
            "role" => "The role was changed; it applies from the account's next page.",
            "disable" => "The account was disabled and signed out everywhere.",
            "enable" => "The account was enabled again.",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn render(
    state: &AppState,
    user: CurrentUser,
    csrf: String,
    one_time: Option<OneTime>,
    done: Option<String>,
    problems: Vec<String>,
    draft: NewAccount,
) -> WebResult<String> {
    let accounts = state
        .ctx
        .store
        .accounts()
        .staff_accounts()
        .await?
        .into_iter()
        .map(|a: StaffAccount| AccountLine {
            role: a.role.as_str(),
            created: format!(
                "{} UTC",
                format::local_time(a.created_at, &jiff::tz::TimeZone::UTC)
            ),
            disabled: a
                .disabled_at
                .map(|d| format::local_time(d, &jiff::tz::TimeZone::UTC)),
            is_me: a.id == user.id,
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            email: a.email.unwrap_or_default(),
        })
        .collect();
    Ok(UsersPage {
        user,
        csrf,
        accounts,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        one_time,
        done,
        problems,
        draft,
    }
    .render()?)
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<DoneQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::ManageAccounts)?;
    let done = done_words(&q.done);
    let draft = NewAccount {
        role: Role::Sales.as_str().into(),
        ..NewAccount::default()
    };
    Ok(Html(
        render(&state, user, csrf.0, None, done, Vec::new(), draft).await?,
    ))
}

/// A random password of 20 characters from an alphabet without look-alikes (about 116
/// bits); bytes past the last whole multiple of the alphabet are skipped, so every
/// character is equally likely.
fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let cut = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS has no randomness");
        for b in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < cut) {
            if out.len() < 20 {
                out.push(char::from(ALPHABET[b % ALPHABET.len()]));
            }
        }
    }
    out
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<NewAccount>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ManageAccounts)?;
    let mut problems = Vec::new();
    let username = Username::parse(&form.username)
        .map_err(|e| problems.push(format!("Username {e}.")))
        .ok();
    let role = Role::parse(&form.role)
        .map_err(|e| problems.push(format!("Role: {e}.")))
        .ok();
    let email = match form.email.trim() {
        "" => None,
        raw => Email::parse(raw)
            .map_err(|e| problems.push(format!("Email: {e}.")))
            .ok(),
    };
    if let Some(name) = &username
        && state
            .ctx
            .store
            .accounts()
            .user_by_username(name.as_str())
            .await?
            .is_some()
    {
        problems.push(format!(
            "There is already an account '{}'; reset its password in the list instead.",
            name.as_str()
        ));
    }
    let (Some(username), Some(role), true) = (username, role, problems.is_empty()) else {
        let html = render(&state, user, csrf.0, None, None, problems, form).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    };
    let password = one_time_password();
    accounts::upsert_user(
        &state.ctx.store,
        username.as_str(),
        &form.display_name,
        role,
        &password,
        Timestamp::now(),
    )
    .await?;
    if let Some(email) = &email {
        state
            .ctx
            .store
            .leads()
            .set_user_email(username.as_str(), Some(email.as_str()))
            .await?;
    }
    // Who did what, by account ids: no names, and never the password.
    let account = state
        .ctx
        .store
        .accounts()
        .user_by_username(username.as_str())
        .await?
        .map(|a| a.id);
    tracing::info!(user = user.id, account = ?account, role = %role, "staff account created");
    let one_time = OneTime {
        username: username.as_str().to_owned(),
        password,
        created: true,
    };
    let draft = NewAccount {
        role: Role::Sales.as_str().into(),
        ..NewAccount::default()
    };
    let html = render(
        &state,
        user,
        csrf.0,
        Some(one_time),
        None,
        Vec::new(),
        draft,
    )
    .await?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ChangeForm>,
) -> WebResult<Response> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ManageAccounts)?;
    let store = &state.ctx.store;
    let account = store
        .accounts()
        .staff_account(id)
        .await?
        .ok_or(Error::NotFound)?;
    match action.as_str() {
        "role" => {
            let role = Role::parse(&form.role)
                .map_err(|e| Error::BadRequest(format!("Role: {e}; nothing was changed.")))?;
            store.accounts().set_user_role(id, role).await?;
            tracing::info!(user = user.id, account = id, role = %role, "staff account role changed");
        }
        "disable" => {
            store
                .accounts()
                .set_user_disabled(id, Some(Timestamp::now().as_millisecond()))
                .await?;
            tracing::info!(user = user.id, account = id, "staff account disabled");
        }
        "enable" => {
            store.accounts().set_user_disabled(id, None).await?;
            tracing::info!(user = user.id, account = id, "staff account enabled");
        }
        "password" => {
            let password = one_time_password();
            let hash = {
                let password = password.clone();
                tokio::task::spawn_blocking(move || accounts::hash_password(&password))
                    .await
                    .map_err(|e| Error::Internal(e.into()))??
            };
            store.accounts().set_user_password(id, &hash).await?;
            tracing::info!(user = user.id, account = id, "staff account password reset");
            let one_time = OneTime {
                username: account.username,
                password,
                created: false,
            };
            let draft = NewAccount {
                role: Role::Sales.as_str().into(),
                ..NewAccount::default()
            };
            let html = render(
                &state,
                user,
                csrf.0,
                Some(one_time),
                None,
                Vec::new(),
                draft,
            )
            .await?;
            return Ok(Html(html).into_response());
        }
        _ => return Err(Error::NotFound),
    }
    Ok(Redirect::to(&format!("/admin/users?done={action}#account-{id}")).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_time_passwords_pass_the_password_rules_and_differ() {
        let a = super::one_time_password();
        assert!(crate::domain::user::check_password(&a).is_ok());
        assert_ne!(a, super::one_time_password());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
