//! Accounts, customers and staff alike (`rol`, `activo`). Login sessions
//! and failed logins live in the platform's `sessions` and
//! `login_failures` tables (`crate::accounts`).

use belgrano_platform::db::{Sql, StoreError, Ts, Tx, parse_stored, sql};
use belgrano_platform::session;

use super::{EXCLUSIVE, Store};
use crate::domain::usuario::{CambioStaff, NuevoUsuario, Perfil, Rol, Usuario};

const USUARIO_COLS: &str =
    "id, email, nombre, apellido, telefono, direccion, tipo_cliente, nombre_negocio, cuit, tipo_negocio, rol, activo";

/// What [`Store::upsert_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// Why a change to a staff account was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRefusal {
    /// No staff account has that id (customers are not managed here).
    NotFound,
    /// It would leave no active admin.
    LastAdmin,
}

#[derive(sqlx::FromRow)]
struct UsuarioRow {
    id: i64,
    email: String,
    nombre: String,
    apellido: String,
    telefono: String,
    direccion: String,
    tipo_cliente: String,
    nombre_negocio: Option<String>,
    cuit: Option<String>,
    tipo_negocio: Option<String>,
    rol: String,
    activo: bool,
}

impl TryFrom<UsuarioRow> for Usuario {
    type Error = StoreError;
    fn try_from(r: UsuarioRow) -> Result<Self, StoreError> {
        Ok(Usuario {
            id: r.id,
            email: r.email,
            nombre: r.nombre,
            apellido: r.apellido,
            telefono: r.telefono,
            direccion: r.direccion,
            tipo_cliente: parse_stored(&r.tipo_cliente)?,
            nombre_negocio: r.nombre_negocio,
            cuit: r.cuit,
            tipo_negocio: r.tipo_negocio,
            rol: parse_stored(&r.rol)?,
            activo: r.activo,
        })
    }
}

impl Store {
    pub async fn count_usuarios(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sql("SELECT COUNT(*) FROM usuarios").fetch_one(self.db.read()).await?;
        Ok(n)
    }

    /// Creates an account; `Ok(None)` when the email is taken.
    pub async fn create_usuario(&self, u: &NuevoUsuario) -> Result<Option<i64>, StoreError> {
        let comercio = u.comercio.as_ref();
        let inserted: Result<Vec<(i64,)>, StoreError> =
            sql("INSERT INTO usuarios (email, password_hash, nombre, apellido, telefono, direccion, tipo_cliente, \
             nombre_negocio, cuit, tipo_negocio, fecha_creacion) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             RETURNING id")
            .bind(u.email.as_str())
            .bind(&u.password_hash)
            .bind(&u.perfil.nombre)
            .bind(&u.perfil.apellido)
            .bind(&u.perfil.telefono)
            .bind(&u.perfil.direccion)
            .bind(u.tipo_cliente().as_str())
            .bind(comercio.map(|c| c.nombre_negocio.as_str()))
            .bind(comercio.map(|c| c.cuit.as_str()))
            .bind(comercio.map(|c| c.tipo_negocio.as_str()))
            .bind(Ts::now())
            .fetch_all(self.db.write())
            .await;
        match inserted {
            Ok(rows) => Ok(rows.first().map(|(id,)| *id)),
            Err(e) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// (id, password hash) of the active account with this email (a
    /// deactivated one cannot log in).
    pub async fn credentials(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        sql("SELECT id, password_hash FROM usuarios WHERE email = $1 AND activo")
            .bind(email)
            .fetch_optional(self.db.read())
            .await
    }

    pub async fn usuario(&self, id: i64) -> Result<Option<Usuario>, StoreError> {
        let row: Option<UsuarioRow> = Sql::build(&format!("SELECT {USUARIO_COLS} FROM usuarios WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.read())
            .await?;
        row.map(Usuario::try_from).transpose()
    }

    /// Every staff account (encargados and admins, active or not): admins
    /// first, then by name.
    pub async fn staff(&self) -> Result<Vec<Usuario>, StoreError> {
        let rows: Vec<UsuarioRow> = Sql::build(&format!(
            "SELECT {USUARIO_COLS} FROM usuarios WHERE rol <> 'cliente' ORDER BY activo DESC, rol, nombre, id"
        ))
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(Usuario::try_from).collect()
    }

    /// Creates a staff account; `Ok(None)` when the email is taken.
    pub async fn create_staff(
        &self,
        email: &str,
        nombre: &str,
        rol: Rol,
        hash: &str,
    ) -> Result<Option<i64>, StoreError> {
        let inserted: Result<Vec<(i64,)>, StoreError> =
            sql("INSERT INTO usuarios (email, password_hash, nombre, apellido, telefono, direccion, tipo_cliente, \
                 fecha_creacion, rol, activo) VALUES ($1, $2, $3, '', '', '', 'cliente', $4, $5, $6) RETURNING id")
            .bind(email)
            .bind(hash)
            .bind(nombre)
            .bind(Ts::now())
            .bind(rol.as_str())
            .bind(true)
            .fetch_all(self.db.write())
            .await;
        match inserted {
            Ok(rows) => Ok(rows.first().map(|(id,)| *id)),
            Err(e) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The account of `ADMIN_EMAIL`: created as an active admin, or, if
    /// the email exists, made an active admin with this password.
    pub async fn upsert_admin(&self, email: &str, nombre: &str, hash: &str) -> Result<Upserted, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let updated = sql("UPDATE usuarios SET password_hash = $1, rol = 'admin', activo = $2 WHERE email = $3")
            .bind(hash)
            .bind(true)
            .bind(email)
            .execute(&mut tx)
            .await?;
        let outcome = if updated > 0 {
            Upserted::Updated
        } else {
            sql("INSERT INTO usuarios (email, password_hash, nombre, apellido, telefono, direccion, tipo_cliente, \
                 fecha_creacion, rol, activo) VALUES ($1, $2, $3, '', '', '', 'cliente', $4, 'admin', $5)")
            .bind(email)
            .bind(hash)
            .bind(nombre)
            .bind(Ts::now())
            .bind(true)
            .execute(&mut tx)
            .await?;
            Upserted::Created
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Changes a staff account's role, activity and/or password (`hash`),
    /// exclusively (two admins demoting each other at once cannot leave the
    /// shop with none), ending its sessions in the same transaction when it is deactivated
    /// or gets a new password. Refused, with nothing changed, if the
    /// account is not staff or the change would leave no active admin.
    pub async fn change_staff(
        &self,
        id: i64,
        cambio: &CambioStaff<String>,
    ) -> Result<Result<Usuario, StaffRefusal>, StoreError> {
        let mut tx = self.db.begin_exclusive(EXCLUSIVE).await?;
        let row: Option<UsuarioRow> =
            Sql::build(&format!("SELECT {USUARIO_COLS} FROM usuarios WHERE id = $1 AND rol <> 'cliente'"))
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
        let Some(current) = row.map(Usuario::try_from).transpose()? else { return Ok(Err(StaffRefusal::NotFound)) };
        let rol = cambio.rol.unwrap_or(current.rol);
        let activo = cambio.activo.unwrap_or(current.activo);
        if current.es_admin() && !(activo && rol == Rol::Admin) {
            let (others,): (i64,) = sql("SELECT COUNT(*) FROM usuarios WHERE rol = 'admin' AND activo AND id <> $1")
                .bind(id)
                .fetch_one(&mut tx)
                .await?;
            if others == 0 {
                return Ok(Err(StaffRefusal::LastAdmin));
            }
        }
        sql("UPDATE usuarios SET rol = $1, activo = $2, password_hash = COALESCE($3, password_hash) WHERE id = $4")
            .bind(rol.as_str())
            .bind(activo)
            .bind(cambio.password.as_deref())
            .bind(id)
            .execute(&mut tx)
            .await?;
        if cambio.ends_sessions() {
            session::end_all_in(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(Ok(Usuario { rol, activo, ..current }))
    }

    pub async fn update_perfil(&self, id: i64, p: &Perfil) -> Result<(), StoreError> {
        sql("UPDATE usuarios SET nombre = $1, apellido = $2, telefono = $3, direccion = $4 WHERE id = $5")
            .bind(&p.nombre)
            .bind(&p.apellido)
            .bind(&p.telefono)
            .bind(&p.direccion)
            .bind(id)
            .execute(self.db.write())
            .await
            .map(drop)
    }

    /// A new password hash inside `tx` (a reset link, with its sessions).
    pub async fn set_password_in(tx: &mut Tx, id: i64, hash: &str) -> Result<(), StoreError> {
        sql("UPDATE usuarios SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(tx).await.map(drop)
    }

    pub async fn update_password(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        sql("UPDATE usuarios SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(self.db.write())
            .await
            .map(drop)
    }
}
