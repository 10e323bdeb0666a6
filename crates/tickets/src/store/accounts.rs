//! Accounts, login sessions and failed logins, written once for both
//! backends (`$n` placeholders, [`Ts`] timestamps, portable SQL).
//!
//! Session tokens arrive here raw and are stored only as their SHA-256: a
//! copy of the table opens no session.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::ts::Ts;
use super::write::{WritePool, on_pool};
use super::{Store, StoreError};
use crate::users::{Role, User};

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("ya existe una cuenta con ese email")]
    EmailTaken,
    #[error("la cuenta no existe")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An account to create or the new data of one, already validated.
#[derive(Debug, Clone)]
pub struct AccountData {
    /// Lower-cased.
    pub email: String,
    pub nombre: String,
    pub telefono: Option<String>,
}

/// A courier as the fleet page lists them.
#[derive(Debug, Clone)]
pub struct CourierSummary {
    pub user: User,
    /// Tickets assigned to them and not yet delivered or cancelled.
    pub abiertos: i64,
}

/// What [`Store::upsert_dispatcher`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

macro_rules! user_columns {
    () => {
        "u.id, u.email, u.nombre, u.telefono, u.role, u.activo, u.disponible"
    };
}

#[derive(Debug, sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    nombre: String,
    telefono: Option<String>,
    role: String,
    activo: bool,
    disponible: bool,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        let role = Role::parse(&self.role).ok_or_else(|| StoreError::Corrupt(format!("role of user {}", self.id)))?;
        Ok(User {
            id: self.id,
            email: self.email,
            nombre: self.nombre,
            telefono: self.telefono,
            role,
            activo: self.activo,
            disponible: self.disponible,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct CourierRow {
    #[sqlx(flatten)]
    user: UserRow,
    abiertos: i64,
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Store(e.into())
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn map_unique(e: sqlx::Error) -> AccountError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => AccountError::EmailTaken,
        _ => AccountError::Store(e.into()),
    }
}

/// Sessions.
impl Store {
    /// The active user a session cookie's token belongs to, if the session
    /// exists and has not expired. Socket.IO authenticates browsers with it.
    pub async fn user_by_session_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let hash = token_hash(token);
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.activo = TRUE"
            ))
            .bind(&hash)
            .bind(Ts::now())
            .fetch_optional(pool)
            .await?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// Stores a new session, and drops expired ones while at it.
    pub async fn create_session(&self, token: &str, user_id: i64, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let now = Ts::now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash(token))
                .bind(user_id)
                .bind(now)
                .bind(Ts(expires_at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        let hash = token_hash(token);
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends every session of a user except `keep` (after a password change).
    pub async fn delete_other_sessions(&self, user_id: i64, keep: &str) -> Result<(), StoreError> {
        let hash = token_hash(keep);
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(&hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

/// Logins and passwords.
impl Store {
    /// The account an email names (any state) and its password hash.
    pub async fn login_account(&self, email: &str) -> Result<Option<(User, Option<String>)>, StoreError> {
        let row: Option<LoginRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                ", u.password_hash FROM users u WHERE lower(u.email) = lower($1)"
            ))
            .bind(email)
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| Ok((r.user.into_user()?, r.password_hash))).transpose()
    }

    pub async fn password_hash_of(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.and_then(|(h,)| h))
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Failed logins since `since`: (for this email, from this address).
    pub async fn login_failures_since(
        &self,
        email: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError> {
        let counts: (i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND failed_at > $3),
                        (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND failed_at > $3)",
            )
            .bind(email)
            .bind(address)
            .bind(Ts(since))
            .fetch_one(pool)
            .await?
        });
        Ok(counts)
    }

    /// Records a failed login and forgets failures older than `forget_before`
    /// (they no longer count).
    pub async fn record_login_failure(
        &self,
        email: &str,
        address: &str,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
                .bind(Ts(forget_before))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO login_failures (email, address, failed_at) VALUES ($1, $2, $3)")
                .bind(email)
                .bind(address)
                .bind(Ts::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// After a successful login the account's count starts again (the
    /// address's does not: one valid account must not unlock guessing others).
    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(email).execute(pool).await?;
        });
        Ok(())
    }
}

/// Accounts made at start: the first dispatcher and the demo accounts.
impl Store {
    /// Creates the dispatcher or, if the email exists, makes it an active
    /// dispatcher with this password.
    pub async fn upsert_dispatcher(&self, email: &str, nombre: &str, hash: &str) -> Result<Upserted, StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE users SET password_hash = $1, role = 'admin', activo = TRUE WHERE lower(email) = lower($2)",
            )
            .bind(hash)
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                sqlx::query(
                    "INSERT INTO users (email, nombre, role, password_hash, created_at) VALUES ($1, $2, 'admin', $3, $4)",
                )
                .bind(email)
                .bind(nombre)
                .bind(hash)
                .bind(Ts::now())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(if updated == 0 { Upserted::Created } else { Upserted::Updated })
        })
    }

    /// Creates a dispatcher unless the email exists. True if created.
    pub async fn create_dispatcher_if_missing(
        &self,
        email: &str,
        nombre: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO users (email, nombre, role, password_hash, created_at) VALUES ($1, $2, 'admin', $3, $4)",
            )
            .bind(email)
            .bind(nombre)
            .bind(hash)
            .bind(Ts::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Sets a password on an account that has none (demo couriers are
    /// created without one). True if it did.
    pub async fn set_password_if_unset(&self, email: &str, hash: &str) -> Result<bool, StoreError> {
        let changed = on_pool!(self, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE lower(email) = lower($2) AND password_hash IS NULL")
                .bind(hash)
                .bind(email)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }
}

/// Couriers, as dispatchers manage them.
impl Store {
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users u WHERE u.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// Every courier, active ones first, with their open ticket count.
    pub async fn couriers(&self) -> Result<Vec<CourierSummary>, StoreError> {
        let rows: Vec<CourierRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                ", (SELECT COUNT(*) FROM tickets t
                    WHERE t.repartidor_id = u.id AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')) AS abiertos
                 FROM users u WHERE u.role = 'flota' ORDER BY u.activo DESC, u.nombre, u.id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(|r| Ok(CourierSummary { user: r.user.into_user()?, abiertos: r.abiertos })).collect()
    }

    /// A new active, available courier. Returns their id.
    pub async fn create_courier(&self, data: &AccountData, password_hash: &str) -> Result<i64, AccountError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE lower(email) = lower($1)")
                .bind(&data.email)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            if taken.is_some() {
                return Err(AccountError::EmailTaken);
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (email, nombre, telefono, role, password_hash, created_at)
                 VALUES ($1, $2, $3, 'flota', $4, $5) RETURNING id",
            )
            .bind(&data.email)
            .bind(&data.nombre)
            .bind(&data.telefono)
            .bind(password_hash)
            .bind(Ts::now())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_unique)?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok(id)
        })
    }

    /// Changes a courier's name, email and phone.
    pub async fn update_courier(&self, id: i64, data: &AccountData) -> Result<(), AccountError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let taken: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM users WHERE lower(email) = lower($1) AND id <> $2")
                    .bind(&data.email)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
            if taken.is_some() {
                return Err(AccountError::EmailTaken);
            }
            let changed =
                sqlx::query("UPDATE users SET email = $1, nombre = $2, telefono = $3 WHERE id = $4 AND role = 'flota'")
                    .bind(&data.email)
                    .bind(&data.nombre)
                    .bind(&data.telefono)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_unique)?
                    .rows_affected();
            if changed == 0 {
                return Err(AccountError::NotFound);
            }
            tx.commit().await.map_err(StoreError::from)?;
            Ok(())
        })
    }

    /// Activates or deactivates a courier. Deactivating also ends their
    /// sessions; their open tickets are moved by the lifecycle afterwards.
    /// Takes the write lock so no ticket is assigned to them meanwhile.
    pub async fn set_courier_active(&self, id: i64, activo: bool) -> Result<(), AccountError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query("UPDATE users SET activo = $1 WHERE id = $2 AND role = 'flota'")
                .bind(activo)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?
                .rows_affected();
            if changed == 0 {
                return Err(AccountError::NotFound);
            }
            if !activo {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            Ok(())
        })
    }

    /// Whether a courier takes new tickets.
    pub async fn set_courier_available(&self, id: i64, disponible: bool) -> Result<(), AccountError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query("UPDATE users SET disponible = $1 WHERE id = $2 AND role = 'flota'")
                .bind(disponible)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?
                .rows_affected();
            if changed == 0 {
                return Err(AccountError::NotFound);
            }
            tx.commit().await.map_err(StoreError::from)?;
            Ok(())
        })
    }
}
