//! Accounts. Login sessions and failed logins live in the platform's
//! `sessions` and `login_failures` tables (`crate::accounts`).

use belgrano_platform::db::{StoreError, Ts, parse_stored, sql};

use super::Store;
use crate::domain::usuario::{NuevoUsuario, Perfil, Usuario};

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

    /// (id, password hash) of the account with this email.
    pub async fn credentials(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        sql("SELECT id, password_hash FROM usuarios WHERE email = $1").bind(email).fetch_optional(self.db.read()).await
    }

    pub async fn usuario(&self, id: i64) -> Result<Option<Usuario>, StoreError> {
        let row: Option<UsuarioRow> = sql(
            "SELECT id, email, nombre, apellido, telefono, direccion, tipo_cliente, nombre_negocio, cuit, tipo_negocio \
             FROM usuarios WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.read())
        .await?;
        row.map(Usuario::try_from).transpose()
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

    pub async fn update_password(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        sql("UPDATE usuarios SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(self.db.write())
            .await
            .map(drop)
    }
}
