//! Staff accounts and their login sessions.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Accounts;
use crate::domain::user::Role;
use crate::store::{StoreResult, conflict_on_unique, on_pool, on_writer};

/// A staff account. The password hash is an Argon2id PHC string.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled_at: Option<i64>,
}

/// A new staff account with its already hashed password.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

impl Accounts<'_> {
    pub async fn create_user(self, u: &NewUser<'_>, now: Timestamp) -> StoreResult<i64> {
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role)
        .bind(u.password_hash)
        .bind(now.as_millisecond())
        .fetch_one(p)
        .await)
        .map_err(|e| conflict_on_unique(e, "a user with that name already exists"))?;
        Ok(id)
    }

    /// Replaces password and role of an existing account.
    pub async fn update_user(self, u: &NewUser<'_>) -> StoreResult<bool> {
        let done = on_writer!(self, p => sqlx::query(
            "UPDATE users SET display_name = $2, role = $3, password_hash = $4, disabled_at = NULL WHERE username = $1",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role)
        .bind(u.password_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn user_by_username(self, username: &str) -> StoreResult<Option<UserRecord>> {
        let u = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username, display_name, role, password_hash, disabled_at FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(p)
        .await)?;
        Ok(u)
    }

    /// Remembers a login; only the SHA-256 of the cookie token is stored.
    pub async fn create_login_session(
        self,
        token_hash: &str,
        user_id: i64,
        now: Timestamp,
        expires: Timestamp,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "INSERT INTO login_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now.as_millisecond())
        .bind(expires.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The active account behind a login token hash, if the login has not expired.
    pub async fn user_by_login(
        self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<UserRecord>> {
        let u = on_pool!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.disabled_at
             FROM login_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now.as_millisecond())
        .fetch_optional(p)
        .await)?;
        Ok(u)
    }

    pub async fn delete_login_session(self, token_hash: &str) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("DELETE FROM login_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
