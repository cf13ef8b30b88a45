//! Staff accounts: Argon2id password hashes, creating users and checking logins.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use jiff::{Timestamp, ToSpan};
use sha2::{Digest, Sha256};

use crate::{
    domain::user::{Role, Username, check_password},
    store::{NewUser, Store, UserRecord},
};

/// Hashes a password with Argon2id and a random salt (the crate's OWASP-recommended defaults).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Checks a password against a stored hash; any malformed hash simply fails.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a throwaway password, checked when the user does not exist so that a login
/// takes as long for unknown names as for wrong passwords.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

/// Creates an account, or replaces the password and role of an existing one.
pub async fn upsert_user(
    store: &Store,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("username {e}"))?;
    check_password(password).map_err(|e| anyhow::anyhow!("password {e}"))?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let display = if display_name.trim().is_empty() {
        username.as_str()
    } else {
        display_name.trim()
    };
    let user = NewUser {
        username: username.as_str(),
        display_name: display,
        role,
        password_hash: &hash,
    };
    if store.accounts().update_user(&user).await? {
        return Ok(false);
    }
    store.accounts().create_user(&user, now).await?;
    Ok(true)
}

/// Checks a login. Hashing runs off the async threads.
pub async fn check_login(
    store: &Store,
    username: &str,
    password: &str,
) -> anyhow::Result<Option<UserRecord>> {
    let user = match Username::parse(username) {
        Ok(name) => store.accounts().user_by_username(name.as_str()).await?,
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .filter(|u| u.disabled_at.is_none())
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await?;
    Ok(user.filter(|u| ok && u.disabled_at.is_none()))
}

/// A new login token for the cookie, and the hash under which it is stored.
pub fn new_login_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has no randomness");
    let token = BASE64URL_NOPAD.encode(&bytes);
    let hash = login_token_hash(&token);
    (token, hash)
}

/// Only hashes of login tokens are stored, so a database leak does not leak logins.
pub fn login_token_hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// Starts a login that lasts `hours`.
pub async fn start_login(
    store: &Store,
    user_id: i64,
    hours: u32,
    now: Timestamp,
) -> anyhow::Result<String> {
    let (token, hash) = new_login_token();
    let expires = now + i64::from(hours).hours();
    store
        .accounts()
        .create_login_session(&hash, user_id, now, expires)
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_same_password_hashes_differently() {
        assert_ne!(
            hash_password("same password!").unwrap(),
            hash_password("same password!").unwrap()
        );
    }

    #[test]
    fn login_tokens_are_random_and_hashed() {
        let (t1, h1) = new_login_token();
        let (t2, _) = new_login_token();
        assert_ne!(t1, t2);
        assert_eq!(h1, login_token_hash(&t1));
        assert_ne!(h1, t1);
    }
}
