//! The staff accounts list and the single changes an admin makes to one account.

use sqlx::FromRow;

use super::Accounts;
use crate::domain::user::Role;
use crate::store::{StoreError, StoreResult, in_tx, on_pool, on_writer};

/// One account as the accounts page lists it; never the password hash.
#[derive(Debug, Clone, FromRow)]
pub struct StaffAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub email: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// Every change to roles and disabling is checked against this inside its transaction, so
/// nobody can lock the organisation out of its own accounts page.
const ENABLED_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL";
const NO_ADMIN_LEFT: &str = "that would leave no enabled admin account; nothing was changed";

impl Accounts<'_> {
    /// Every staff account, enabled ones first, by login name.
    pub async fn staff_accounts(self) -> StoreResult<Vec<StaffAccount>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username, display_name, role, email, created_at, disabled_at FROM users
             ORDER BY CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END, username",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    pub async fn staff_account(self, id: i64) -> StoreResult<Option<StaffAccount>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username, display_name, role, email, created_at, disabled_at FROM users
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// Changes an account's role. Refused when it would leave no enabled admin.
    pub async fn set_user_role(self, id: i64, role: Role) -> StoreResult<()> {
        in_tx!(self, tx => {
            let n = sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
                .bind(id)
                .bind(role)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound("account"));
            }
            let admins: i64 = sqlx::query_scalar(ENABLED_ADMINS)
                .fetch_one(&mut *tx)
                .await?;
            if admins == 0 {
                return Err(StoreError::Conflict(NO_ADMIN_LEFT.into()));
            }
        });
        Ok(())
    }

    /// Disables an account and ends its logins, or enables it again. Refused when it would
    /// leave no enabled admin.
    pub async fn set_user_disabled(self, id: i64, disabled_at: Option<i64>) -> StoreResult<()> {
        in_tx!(self, tx => {
            let n = sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
                .bind(id)
                .bind(disabled_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound("account"));
            }
            if disabled_at.is_some() {
                sqlx::query("DELETE FROM login_sessions WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let admins: i64 = sqlx::query_scalar(ENABLED_ADMINS)
                .fetch_one(&mut *tx)
                .await?;
            if admins == 0 {
                return Err(StoreError::Conflict(NO_ADMIN_LEFT.into()));
            }
        });
        Ok(())
    }

    /// Replaces an account's password hash and ends its logins.
    pub async fn set_user_password(self, id: i64, password_hash: &str) -> StoreResult<()> {
        in_tx!(self, tx => {
            let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(id)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound("account"));
            }
            sqlx::query("DELETE FROM login_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Sets the name shown in the staff pages and the address reminders go to.
    pub async fn set_user_details(
        self,
        id: i64,
        display_name: &str,
        email: Option<&str>,
    ) -> StoreResult<()> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE users SET display_name = $2, email = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(display_name)
        .bind(email)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound("account"))
        }
    }
}
