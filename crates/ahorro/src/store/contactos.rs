//! Contact form messages (`contactos`): each kept in the transaction that
//! queues its mail to the shop, so the back office and the mailbox always
//! agree; listed newest first for `/admin/mensajes`, marked answered by
//! staff.

use belgrano_platform::db::{StoreError, Ts, sql};
use belgrano_platform::mail::Correo;

use super::Store;
use crate::domain::contacto::{Contacto, MensajeContacto};

type ContactoRow = (i64, String, String, String, Option<i64>, Ts, Option<Ts>, Option<String>);

fn contacto((id, nombre, email, mensaje, usuario_id, creado, respondido, quien): ContactoRow) -> Contacto {
    Contacto {
        id,
        nombre,
        email,
        mensaje,
        usuario_id,
        creado: creado.0,
        respondido: respondido.map(|at| (at.0, quien.unwrap_or_default())),
    }
}

impl Store {
    /// Keeps `m` and queues `correo` (its mail to `CONTACT_EMAIL`, under
    /// `contacto:{id}`), together; returns the message's id.
    pub async fn guardar_contacto(
        &self,
        m: &MensajeContacto,
        usuario_id: Option<i64>,
        direccion: &str,
        correo: &Correo,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let (id,): (i64,) = sql("INSERT INTO contactos (nombre, email, mensaje, usuario_id, direccion, creado_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(m.nombre.as_str())
        .bind(m.email.as_str())
        .bind(m.mensaje.as_str())
        .bind(usuario_id)
        .bind(direccion)
        .bind(Ts::now())
        .fetch_one(&mut tx)
        .await?;
        super::correos::queue(&mut tx, &format!("contacto:{id}"), correo).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The newest `limit` messages (only those not answered yet when
    /// `pendientes`), and how many are waiting for an answer.
    pub async fn contactos(&self, pendientes: bool, limit: i64) -> Result<(Vec<Contacto>, i64), StoreError> {
        let rows: Vec<ContactoRow> =
            sql("SELECT id, nombre, email, mensaje, usuario_id, creado_at, respondido_at, respondido_por \
             FROM contactos WHERE ($1 = 0 OR respondido_at IS NULL) ORDER BY id DESC LIMIT $2")
            .bind(i64::from(pendientes))
            .bind(limit)
            .fetch_all(self.db.read())
            .await?;
        let (sin_responder,): (i64,) =
            sql("SELECT COUNT(*) FROM contactos WHERE respondido_at IS NULL").fetch_one(self.db.read()).await?;
        Ok((rows.into_iter().map(contacto).collect(), sin_responder))
    }

    /// The messages sent from the account `usuario_id` or signed with its
    /// e-mail, oldest first (the data export: what erasure deletes).
    pub async fn contactos_de(&self, usuario_id: i64, email: &str) -> Result<Vec<Contacto>, StoreError> {
        let rows: Vec<ContactoRow> =
            sql("SELECT id, nombre, email, mensaje, usuario_id, creado_at, respondido_at, respondido_por \
             FROM contactos WHERE usuario_id = $1 OR email = $2 ORDER BY id")
            .bind(usuario_id)
            .bind(email)
            .fetch_all(self.db.read())
            .await?;
        Ok(rows.into_iter().map(contacto).collect())
    }

    /// Marks a message answered by `quien` (or, `respondido` false, not
    /// answered again); whether there was such a message.
    pub async fn marcar_contacto(&self, id: i64, respondido: bool, quien: &str) -> Result<bool, StoreError> {
        let (at, quien) = if respondido { (Some(Ts::now()), Some(quien)) } else { (None, None) };
        let changed = sql("UPDATE contactos SET respondido_at = $1, respondido_por = $2 WHERE id = $3")
            .bind(at)
            .bind(quien)
            .bind(id)
            .execute(self.db.write())
            .await?;
        Ok(changed > 0)
    }
}
