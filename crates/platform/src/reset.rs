//! Password reset links, the same in both services: a random token (the
//! session's [`Token`]) mailed as a link, of which the database keeps only
//! the SHA-256 (`password_resets`: `token_hash`, `user_id`, `created_at`,
//! `expires_at`, `used_at`), valid [`RESET_VALID`] and usable once: using
//! one ([`consume`]) closes every open link of the account.
//!
//! Requests are limited per typed e-mail and per client address
//! (`password_reset_requests`: `email`, `address`, `requested_at`), counted
//! and recorded in one exclusive transaction like the login throttle, so
//! concurrent requests cannot slip past the limit. Unknown e-mails are
//! recorded and limited too: the answer never tells whether an account
//! exists.

use std::time::Duration;

use crate::db::{Db, Lock, StoreError, Ts, Tx, sql};
use crate::session::Token;

/// How long a link works.
pub const RESET_VALID: Duration = Duration::from_secs(3600);

/// Requests per e-mail and per address within `window`.
#[derive(Debug, Clone, Copy)]
pub struct ResetLimits {
    pub per_email: i64,
    pub per_address: i64,
    pub window: Duration,
}

/// Both services' limits: three links an hour for one e-mail, twenty an
/// hour from one address (a shared office or carrier NAT).
pub const RESET_LIMITS: ResetLimits = ResetLimits { per_email: 3, per_address: 20, window: Duration::from_secs(3600) };

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a link we made (or malformed).
    Unknown,
    Used,
    Expired,
}

impl Refusal {
    /// What the page says, in Spanish.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Unknown => "Ese enlace para cambiar la contraseña no es válido. Pedí uno nuevo.",
            Refusal::Used => "Ese enlace ya se usó: cada enlace sirve una sola vez. Si hace falta, pedí uno nuevo.",
            Refusal::Expired => "Ese enlace venció (dura una hora). Pedí uno nuevo.",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PasswordResets {
    db: Db,
    limits: ResetLimits,
    lock: Lock,
}

impl PasswordResets {
    /// `lock` serialises admissions across instances (one per service).
    pub fn new(db: Db, limits: ResetLimits, lock: Lock) -> Self {
        Self { db, limits, lock }
    }

    /// Records one request for `email` (lower-cased, as typed) from
    /// `address`; false when either has used up its requests.
    pub async fn admit(&self, email: &str, address: &str) -> Result<bool, StoreError> {
        let since = Ts(chrono::Utc::now() - chrono::Duration::from_std(self.limits.window).unwrap_or_default());
        let mut tx = self.db.begin_exclusive(self.lock).await?;
        sql("DELETE FROM password_reset_requests WHERE requested_at <= $1").bind(since).execute(&mut tx).await?;
        let (for_email, from_address): (i64, i64) =
            sql("SELECT (SELECT COUNT(*) FROM password_reset_requests WHERE email = $1 AND requested_at > $3),
                    (SELECT COUNT(*) FROM password_reset_requests WHERE address = $2 AND requested_at > $3)")
            .bind(email)
            .bind(address)
            .bind(since)
            .fetch_one(&mut tx)
            .await?;
        if for_email >= self.limits.per_email || from_address >= self.limits.per_address {
            return Ok(false);
        }
        sql("INSERT INTO password_reset_requests (email, address, requested_at) VALUES ($1, $2, $3)")
            .bind(email)
            .bind(address)
            .bind(Ts::now())
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// For an address with no account: a write transaction shaped like
    /// [`issue`] plus the mail's insert (two statements and a commit, which
    /// on SQLite includes the sync to disk), changing nothing, so the
    /// answer takes about as long as for a real account.
    pub async fn comparable_work(&self) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let token = Token::generate();
        for _ in 0..2 {
            sql("UPDATE password_reset_requests SET requested_at = requested_at                  WHERE id = (SELECT MAX(id) FROM password_reset_requests) AND email <> $1")
            .bind(token.hash())
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// Whether a link still works (the form is shown only then).
    pub async fn check(&self, token: &str) -> Result<Result<i64, Refusal>, StoreError> {
        let Some(token) = Token::parse(token) else { return Ok(Err(Refusal::Unknown)) };
        let row: Option<(i64, Ts, Option<Ts>)> =
            sql("SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
                .bind(token.hash())
                .fetch_optional(self.db.read())
                .await?;
        Ok(judge(row))
    }
}

fn judge(row: Option<(i64, Ts, Option<Ts>)>) -> Result<i64, Refusal> {
    match row {
        None => Err(Refusal::Unknown),
        Some((_, _, Some(_))) => Err(Refusal::Used),
        Some((_, expires, None)) if expires <= Ts::now() => Err(Refusal::Expired),
        Some((user_id, _, None)) => Ok(user_id),
    }
}

/// A new link for `user_id`, inside the transaction that queues its mail.
pub async fn issue(tx: &mut Tx, user_id: i64) -> Result<Token, StoreError> {
    let token = Token::generate();
    let now = Ts::now();
    let expires = Ts(now.0 + chrono::Duration::from_std(RESET_VALID).unwrap_or_default());
    sql("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token.hash())
        .bind(user_id)
        .bind(now)
        .bind(expires)
        .execute(tx)
        .await?;
    Ok(token)
}

/// Uses a link inside the transaction that sets the new password: its
/// account, with every open link of that account closed; or why not. Two
/// concurrent uses cannot both succeed (the row is claimed by an `UPDATE
/// ... WHERE used_at IS NULL`).
pub async fn consume(tx: &mut Tx, token: &str) -> Result<Result<i64, Refusal>, StoreError> {
    let Some(token) = Token::parse(token) else { return Ok(Err(Refusal::Unknown)) };
    let now = Ts::now();
    let claimed: Option<(i64,)> =
        sql("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id")
        .bind(now)
        .bind(token.hash())
        .fetch_optional(&mut *tx)
        .await?;
    let Some((user_id,)) = claimed else {
        let row: Option<(i64, Ts, Option<Ts>)> =
            sql("SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
                .bind(token.hash())
                .fetch_optional(&mut *tx)
                .await?;
        return Ok(Err(judge(row).err().unwrap_or(Refusal::Used)));
    };
    sql("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    Ok(Ok(user_id))
}
