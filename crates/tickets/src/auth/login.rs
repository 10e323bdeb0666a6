//! Logging in, with brute-force protection: after [`MAX_FAILURES`] failed
//! logins for one account or from one address within [`WINDOW_MINUTES`],
//! further attempts are refused without checking the password. Failures
//! live in the database, so every instance counts the same ones.

use chrono::{Duration, Utc};

use super::{SESSION_HOURS, new_token, password};
use crate::store::{Store, StoreError};
use crate::users::User;

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;

#[derive(Debug)]
pub enum LoginOutcome {
    /// A new session: put `token` in the cookie.
    LoggedIn {
        user: User,
        token: String,
    },
    WrongCredentials,
    /// Right password, but the account was deactivated.
    Inactive,
    TooManyAttempts,
}

/// Checks the limit, then the password; records a failure or opens a session.
pub async fn login(store: &Store, email: &str, password: &str, address: &str) -> Result<LoginOutcome, StoreError> {
    // Counted by what was typed, so unknown emails are limited too.
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    let (for_account, from_address) = store.login_failures_since(&email, address, window_start).await?;
    if for_account >= MAX_FAILURES || from_address >= MAX_FAILURES {
        tracing::warn!(address, "login refused: too many failed attempts");
        return Ok(LoginOutcome::TooManyAttempts);
    }

    let account = store.login_account(&email).await?;
    let (user, stored) = match account {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let matches = password::verify(password, stored).await;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            store.record_login_failure(&email, address, window_start).await?;
            return Ok(LoginOutcome::WrongCredentials);
        }
    };
    if !user.activo {
        return Ok(LoginOutcome::Inactive);
    }
    store.clear_login_failures(&email).await?;
    let token = new_token();
    store.create_session(&token, user.id, now + Duration::hours(SESSION_HOURS)).await?;
    tracing::info!(user_id = user.id, role = user.role.as_str(), "login");
    Ok(LoginOutcome::LoggedIn { user, token })
}
