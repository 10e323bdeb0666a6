//! Brute-force protection for logins, the same in both services: within a
//! window, at most a fixed number of password checks per account (and,
//! where a service limits it, per client address); further attempts are
//! refused without checking the password.
//!
//! The limit holds when attempts arrive at once, on either backend and
//! across instances: an attempt is admitted by reserving a slot — count and
//! insert in one exclusive transaction — before its password is checked.
//! A reserved slot counts as a failure until the password proves right, so
//! fifty concurrent guesses get at most the limit's number of checks.
//!
//! Failures live in the database (`login_failures`: `email`, `address`,
//! `failed_at`), so every instance counts the same ones. `email` is what was
//! typed, lower-cased: unknown emails are limited too. The address limit
//! only refuses that address: the same account from another network is
//! refused only by the account's own limit.
//!
//! Other guessing games use the same table under their own scope
//! ([`LoginThrottle::scoped`]: an order lookup by number and e-mail counts
//! per client address): their keys are prefixed, so they never add to a
//! login's counts nor a login to theirs.

use std::time::Duration;

use crate::db::{Db, Lock, StoreError, Ts, sql};

/// How many failures lock what, for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: i64,
    /// `None`: addresses are not limited.
    pub per_address: Option<i64>,
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct LoginThrottle {
    db: Db,
    limits: Limits,
    lock: Lock,
    /// Prefix of this throttle's keys (`""` for logins).
    scope: &'static str,
}

/// A reserved password check: it counts as a failure unless
/// [`LoginThrottle::succeeded`] says otherwise.
#[derive(Debug)]
#[must_use = "a slot is a failure until the login succeeds"]
pub struct Slot {
    id: i64,
    email: String,
}

impl LoginThrottle {
    /// `lock` serialises admissions across instances (each service names
    /// its own, so the two never wait for each other on one database).
    pub fn new(db: Db, limits: Limits, lock: Lock) -> Self {
        Self { db, limits, lock, scope: "" }
    }

    /// A throttle for another kind of guess, counted apart from logins:
    /// its keys and addresses are stored as `{scope}:{key}` (an e-mail has
    /// no such prefix, an address none either).
    pub fn scoped(db: Db, limits: Limits, lock: Lock, scope: &'static str) -> Self {
        Self { db, limits, lock, scope }
    }

    /// Keys of this scope, `{scope}:{raw}`.
    fn key(&self, raw: &str) -> String {
        if self.scope.is_empty() { raw.to_owned() } else { format!("{}:{raw}", self.scope) }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn window_start(&self) -> Ts {
        Ts(chrono::Utc::now() - chrono::Duration::from_std(self.limits.window).unwrap_or_default())
    }

    /// Admits one password check for `email` from `address`, or `None`
    /// when the account or the address has used up its checks.
    pub async fn admit(&self, email: &str, address: &str) -> Result<Option<Slot>, StoreError> {
        let (email, address) = (self.key(email), self.key(address));
        let since = self.window_start();
        let mut tx = self.db.begin_exclusive(self.lock).await?;
        // Failures that no longer count go on the way: a login sweeps every
        // expired row (so a scope's window must not be longer than the
        // logins'), a scope only its own.
        sql("DELETE FROM login_failures WHERE failed_at <= $1 AND email LIKE $2")
            .bind(since)
            .bind(format!("{}%", self.key("")))
            .execute(&mut tx)
            .await?;
        let (for_account, from_address): (i64, i64) =
            sql("SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND failed_at > $3),
                    (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND failed_at > $3)")
            .bind(email.as_str())
            .bind(address.as_str())
            .bind(since)
            .fetch_one(&mut tx)
            .await?;
        let address_locked = self.limits.per_address.is_some_and(|limit| from_address >= limit);
        if for_account >= self.limits.per_account || address_locked {
            return Ok(None);
        }
        let (id,): (i64,) =
            sql("INSERT INTO login_failures (email, address, failed_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(email.as_str())
                .bind(address.as_str())
                .bind(Ts::now())
                .fetch_one(&mut tx)
                .await?;
        tx.commit().await?;
        Ok(Some(Slot { id, email }))
    }

    /// The password was right: its slot goes, and the account's count
    /// starts again (the address's does not: one valid account must not
    /// unlock guessing others).
    pub async fn succeeded(&self, slot: Slot) -> Result<(), StoreError> {
        sql("DELETE FROM login_failures WHERE email = $1").bind(&slot.email).execute(self.db.write()).await.map(drop)
    }

    /// The password was right but the login still did not happen (the
    /// account is deactivated): the check does not count, nothing else changes.
    pub async fn release(&self, slot: Slot) -> Result<(), StoreError> {
        sql("DELETE FROM login_failures WHERE id = $1").bind(slot.id).execute(self.db.write()).await.map(drop)
    }

    /// The password was wrong: the slot stays, as the failure it already is.
    pub fn failed(&self, slot: Slot) {
        let _ = slot;
    }
}
