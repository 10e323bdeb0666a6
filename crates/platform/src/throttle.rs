//! Brute-force protection for logins, the same in both services: after a
//! number of failed logins for one account (or, where a service limits it,
//! from one address) within a window, further attempts are refused without
//! checking the password.
//!
//! Failures live in the database (`login_failures`: `email`, `address`,
//! `failed_at`), so every instance counts the same ones. `email` is what was
//! typed, lower-cased: unknown emails are limited too.

use std::time::Duration;

use crate::db::{Db, StoreError, Ts, sql};

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
}

impl LoginThrottle {
    pub fn new(db: Db, limits: Limits) -> Self {
        Self { db, limits }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn window_start(&self) -> Ts {
        Ts(chrono::Utc::now() - chrono::Duration::from_std(self.limits.window).unwrap_or_default())
    }

    /// Whether this email (or this address) has used up its failures.
    pub async fn is_locked(&self, email: &str, address: &str) -> Result<bool, StoreError> {
        let (for_account, from_address): (i64, i64) =
            sql("SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND failed_at > $3),
                    (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND failed_at > $3)")
            .bind(email)
            .bind(address)
            .bind(self.window_start())
            .fetch_one(self.db.read())
            .await?;
        let address_locked = self.limits.per_address.is_some_and(|limit| from_address >= limit);
        Ok(for_account >= self.limits.per_account || address_locked)
    }

    /// Records a failed login and forgets failures that no longer count.
    pub async fn record_failure(&self, email: &str, address: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        sql("DELETE FROM login_failures WHERE failed_at <= $1").bind(self.window_start()).execute(&mut tx).await?;
        sql("INSERT INTO login_failures (email, address, failed_at) VALUES ($1, $2, $3)")
            .bind(email)
            .bind(address)
            .bind(Ts::now())
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// After a successful login the account's count starts again (the
    /// address's does not: one valid account must not unlock guessing others).
    pub async fn clear(&self, email: &str) -> Result<(), StoreError> {
        sql("DELETE FROM login_failures WHERE email = $1").bind(email).execute(self.db.write()).await.map(drop)
    }
}
