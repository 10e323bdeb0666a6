//! Erasing an account (`crate::datos`): its orders kept without the
//! person, everything else about it deleted, in one transaction.

use belgrano_platform::db::{StoreError, sql};
use belgrano_platform::session;

use super::Store;
use crate::domain::carrito::CarritoOwner;

/// What an erased customer's orders say instead of their name.
pub const CLIENTE_ELIMINADO: &str = "Cliente eliminado";

impl Store {
    /// Gives account `id` a new e-mail; false when another account has it.
    pub async fn update_email(&self, id: i64, email: &str) -> Result<bool, StoreError> {
        let updated =
            sql("UPDATE usuarios SET email = $1 WHERE id = $2").bind(email).bind(id).execute(self.db.write()).await;
        match updated {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Erases account `id`: its orders stay, without name, e-mail, phone,
    /// address (flat and structured; the barrio stays), notes or link to the account (nor the copy of the ticket
    /// already delivered to Tickets in the outbox; one not yet delivered
    /// keeps it, to be delivered); its saved addresses, its cart, its sessions, its failed
    /// logins, its contact messages and the account row are deleted, so the e-mail is free to
    /// register again. False when there was no such account.
    pub async fn erase_usuario(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let found: Option<(String,)> =
            sql("SELECT email FROM usuarios WHERE id = $1").bind(id).fetch_optional(&mut tx).await?;
        let Some((email,)) = found else { return Ok(false) };
        sql("UPDATE outbox SET payload = '{}' WHERE status = 'delivered' \
             AND pedido_id IN (SELECT id FROM pedidos WHERE usuario_id = $1)")
        .bind(id)
        .execute(&mut tx)
        .await?;
        sql("UPDATE pedidos SET cliente_nombre = $1, cliente_apellido = '', cliente_email = '', \
             cliente_telefono = '', direccion = '', notas = '', sesion = NULL, usuario_id = NULL, \
             dir_calle = NULL, dir_altura = NULL, dir_piso = NULL, dir_entre_calles = NULL, \
             dir_codigo_postal = NULL, dir_referencias = NULL WHERE usuario_id = $2")
        .bind(CLIENTE_ELIMINADO)
        .bind(id)
        .execute(&mut tx)
        .await?;
        sql("DELETE FROM direcciones WHERE usuario_id = $1").bind(id).execute(&mut tx).await?;
        sql("DELETE FROM carritos WHERE owner = $1").bind(CarritoOwner::Account(id).key()).execute(&mut tx).await?;
        session::end_all_in(&mut tx, id).await?;
        sql("DELETE FROM login_failures WHERE email = $1").bind(email.as_str()).execute(&mut tx).await?;
        // Its contact messages: those sent logged in, or with its e-mail.
        sql("DELETE FROM contactos WHERE usuario_id = $1 OR email = $2")
            .bind(id)
            .bind(email.as_str())
            .execute(&mut tx)
            .await?;
        sql("DELETE FROM usuarios WHERE id = $1").bind(id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}
