//! Accounts: who may log in, dispatchers made at start, staff as admins
//! manage them. Sessions and failed logins are the platform's
//! (`belgrano_platform::session`, `belgrano_platform::throttle`).

use belgrano_platform::db::{Sql, Ts, sql};

use super::{Store, StoreError};
use crate::domain::assign::AssignmentStrategy;
use crate::domain::change::ChangeError;
use crate::domain::usuario::{Actor, Role, Usuario};

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("ya existe una cuenta con ese email")]
    EmailTaken,
    #[error("la cuenta no existe")]
    NotFound,
    /// The change would leave no active admin.
    #[error("debe quedar al menos un administrador activo")]
    LastAdmin,
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

/// A person as the staff page lists them.
#[derive(Debug, Clone)]
pub struct StaffSummary {
    pub user: Usuario,
    /// Tickets assigned to them and not yet delivered or cancelled.
    pub abiertos: i64,
}

/// What [`Store::upsert_dispatcher`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

const USUARIO_COLUMNS: &str = "u.id, u.email, u.nombre, u.telefono, u.role, u.activo, u.disponible";

/// `SELECT <the account's columns> <rest>`.
fn usuario_select(rest: &str) -> Sql {
    let mut q = Sql::build("SELECT ");
    q.push(USUARIO_COLUMNS).push(rest);
    q
}

#[derive(Debug, sqlx::FromRow)]
struct UsuarioRow {
    id: i64,
    email: String,
    nombre: String,
    telefono: Option<String>,
    role: String,
    activo: bool,
    disponible: bool,
}

impl UsuarioRow {
    fn into_usuario(self) -> Result<Usuario, StoreError> {
        let role = Role::parse(&self.role).ok_or_else(|| StoreError::Corrupt(format!("role of user {}", self.id)))?;
        Ok(Usuario {
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
    user: UsuarioRow,
    password_hash: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct CourierRow {
    #[sqlx(flatten)]
    user: UsuarioRow,
    abiertos: i64,
}

/// A unique violation means the email is taken (another instance won a race).
fn taken_or_store(e: StoreError) -> AccountError {
    if e.is_unique_violation() { AccountError::EmailTaken } else { AccountError::Store(e) }
}

/// Logins and passwords.
impl Store {
    /// The account an email names (any state) and its password hash.
    pub async fn login_account(&self, email: &str) -> Result<Option<(Usuario, Option<String>)>, StoreError> {
        let row: Option<LoginRow> =
            usuario_select(", u.password_hash FROM usuarios u WHERE lower(u.email) = lower($1)")
                .bind(email)
                .fetch_optional(self.db.read())
                .await?;
        row.map(|r| Ok((r.user.into_usuario()?, r.password_hash))).transpose()
    }

    pub async fn password_hash_of(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sql("SELECT password_hash FROM usuarios WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.db.read())
            .await?;
        Ok(row.and_then(|(h,)| h))
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        sql("UPDATE usuarios SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(self.db.write())
            .await
            .map(drop)
    }

    pub async fn usuario(&self, id: i64) -> Result<Option<Usuario>, StoreError> {
        let row: Option<UsuarioRow> =
            usuario_select(" FROM usuarios u WHERE u.id = $1").bind(id).fetch_optional(self.db.read()).await?;
        row.map(UsuarioRow::into_usuario).transpose()
    }
}

/// Accounts made at start: the first dispatcher and the demo accounts.
impl Store {
    /// Creates the dispatcher or, if the email exists, makes it an active
    /// dispatcher with this password.
    pub async fn upsert_dispatcher(&self, email: &str, nombre: &str, hash: &str) -> Result<Upserted, StoreError> {
        let mut tx = self.begin().await?;
        let updated =
            sql("UPDATE usuarios SET password_hash = $1, role = 'admin', activo = TRUE WHERE lower(email) = lower($2)")
                .bind(hash)
                .bind(email)
                .execute(&mut tx)
                .await?;
        if updated == 0 {
            insert_dispatcher(&mut tx, email, nombre, hash).await?;
        }
        tx.commit().await?;
        Ok(if updated == 0 { Upserted::Created } else { Upserted::Updated })
    }

    /// Creates a dispatcher unless the email exists. True if created.
    pub async fn create_dispatcher_if_missing(
        &self,
        email: &str,
        nombre: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let exists: Option<(i64,)> =
            sql("SELECT id FROM usuarios WHERE lower(email) = lower($1)").bind(email).fetch_optional(&mut tx).await?;
        if exists.is_some() {
            return Ok(false);
        }
        insert_dispatcher(&mut tx, email, nombre, hash).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets a password on an account that has none (demo couriers are
    /// created without one). True if it did.
    pub async fn set_password_if_unset(&self, email: &str, hash: &str) -> Result<bool, StoreError> {
        let changed =
            sql("UPDATE usuarios SET password_hash = $1 WHERE lower(email) = lower($2) AND password_hash IS NULL")
                .bind(hash)
                .bind(email)
                .execute(self.db.write())
                .await?;
        Ok(changed > 0)
    }
}

async fn insert_dispatcher(
    tx: &mut belgrano_platform::db::Tx,
    email: &str,
    nombre: &str,
    hash: &str,
) -> Result<(), StoreError> {
    sql("INSERT INTO usuarios (email, nombre, role, password_hash, created_at) VALUES ($1, $2, 'admin', $3, $4)")
        .bind(email)
        .bind(nombre)
        .bind(hash)
        .bind(Ts::now())
        .execute(tx)
        .await
        .map(drop)
}

/// Staff, as admins manage them (`/usuarios`).
impl Store {
    /// Every account, active ones first, then by role and name, with their
    /// open ticket count (couriers; zero for the others).
    pub async fn staff(&self) -> Result<Vec<StaffSummary>, StoreError> {
        let rows: Vec<CourierRow> = usuario_select(
            ", (SELECT COUNT(*) FROM tickets t
                  WHERE t.repartidor_id = u.id AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')) AS abiertos
               FROM usuarios u
               ORDER BY u.activo DESC, CASE u.role WHEN 'admin' THEN 0 WHEN 'despacho' THEN 1 ELSE 2 END, u.nombre, u.id",
        )
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(|r| Ok(StaffSummary { user: r.user.into_usuario()?, abiertos: r.abiertos })).collect()
    }

    /// A new active account with `role` (couriers start available). Without
    /// a password hash nobody can log in until a reset link is used.
    /// Returns its id.
    pub async fn create_usuario(
        &self,
        data: &AccountData,
        role: Role,
        password_hash: Option<&str>,
    ) -> Result<i64, AccountError> {
        let mut tx = self.begin().await?;
        let taken: Option<(i64,)> = sql("SELECT id FROM usuarios WHERE lower(email) = lower($1)")
            .bind(&data.email)
            .fetch_optional(&mut tx)
            .await?;
        if taken.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let (id,): (i64,) = sql("INSERT INTO usuarios (email, nombre, telefono, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(&data.email)
        .bind(&data.nombre)
        .bind(&data.telefono)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(Ts::now())
        .fetch_one(&mut tx)
        .await
        .map_err(taken_or_store)?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes an account's name, email and phone.
    pub async fn update_usuario(&self, id: i64, data: &AccountData) -> Result<(), AccountError> {
        let mut tx = self.begin().await?;
        let taken: Option<(i64,)> = sql("SELECT id FROM usuarios WHERE lower(email) = lower($1) AND id <> $2")
            .bind(&data.email)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        if taken.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let changed = sql("UPDATE usuarios SET email = $1, nombre = $2, telefono = $3 WHERE id = $4")
            .bind(&data.email)
            .bind(&data.nombre)
            .bind(&data.telefono)
            .bind(id)
            .execute(&mut tx)
            .await
            .map_err(taken_or_store)?;
        if changed == 0 {
            return Err(AccountError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives an account another role; refused if it would leave no active
    /// admin. Under the desk's lock, so two admins demoting each other at
    /// once cannot both succeed.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<(), AccountError> {
        let mut tx = self.begin().await?;
        if role != Role::Admin {
            refuse_last_admin(&mut tx, id).await?;
        }
        let changed =
            sql("UPDATE usuarios SET role = $1 WHERE id = $2").bind(role.as_str()).bind(id).execute(&mut tx).await?;
        if changed == 0 {
            return Err(AccountError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Activates or deactivates an account. Deactivating ends its sessions
    /// in the same transaction (a courier's open tickets are moved by the
    /// lifecycle afterwards) and is refused for the last active admin.
    /// Holds the desk's lock so no ticket is assigned to them meanwhile.
    pub async fn set_active(&self, id: i64, activo: bool) -> Result<(), AccountError> {
        let mut tx = self.begin().await?;
        if !activo {
            refuse_last_admin(&mut tx, id).await?;
        }
        if sql("UPDATE usuarios SET activo = $1 WHERE id = $2").bind(activo).bind(id).execute(&mut tx).await? == 0 {
            return Err(AccountError::NotFound);
        }
        if !activo {
            belgrano_platform::session::end_all_in(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes an account out of use for good: inactive, without a password,
    /// its sessions ended, its open tickets handed on by `strategy`.
    /// Returns how many tickets moved.
    pub async fn disable_account(&self, id: i64, strategy: &dyn AssignmentStrategy) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        sql("UPDATE usuarios SET activo = FALSE, password_hash = NULL WHERE id = $1").bind(id).execute(&mut tx).await?;
        belgrano_platform::session::end_all_in(&mut tx, id).await?;
        tx.commit().await?;
        let moved = self.reassign_open_tickets_of(id, &Actor::Service, strategy).await.map_err(|e| match e {
            ChangeError::Store(e) => e,
            other => StoreError::Corrupt(other.to_string()),
        })?;
        Ok(moved.len())
    }

    /// Whether a courier takes new tickets.
    pub async fn set_courier_available(&self, id: i64, disponible: bool) -> Result<(), AccountError> {
        // Under the desk's lock, like assignment reads it.
        let mut tx = self.begin().await?;
        let changed = sql("UPDATE usuarios SET disponible = $1 WHERE id = $2 AND role = 'flota'")
            .bind(disponible)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if changed == 0 {
            return Err(AccountError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Refuses to take away the last active admin (`id` being an active admin
/// and no other active admin left): nobody could manage staff any more.
async fn refuse_last_admin(tx: &mut belgrano_platform::db::Tx, id: i64) -> Result<(), AccountError> {
    let (others,): (i64,) = sql("SELECT COUNT(*) FROM usuarios WHERE role = 'admin' AND activo = TRUE AND id <> $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let (is_active_admin,): (i64,) =
        sql("SELECT COUNT(*) FROM usuarios WHERE id = $1 AND role = 'admin' AND activo = TRUE")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if is_active_admin > 0 && others == 0 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}
