//! The desk's mails: the `correos` outbox (`belgrano_platform::mail`),
//! emptied by the platform's worker. Today only password reset links
//! (`reset:{hash}`), queued with the link they carry.

use belgrano_platform::db::StoreError;
use belgrano_platform::mail::{self, Correo, Kept};
use belgrano_platform::outbox::Table;
use belgrano_platform::reset;

use super::Store;

pub const TABLE: Table = Table { name: "correos", subject: "para" };

impl Store {
    /// A password reset for `user_id`: a new link and its mail (made by
    /// `correo` from the link's token), in one transaction.
    pub async fn queue_reset(&self, user_id: i64, correo: impl FnOnce(&str) -> Correo) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let token = reset::issue(&mut tx, user_id).await?;
        let c = correo(token.as_str());
        mail::queue(TABLE, &format!("reset:{}", token.hash()), &c).execute(&mut tx).await?;
        tx.commit().await
    }

    /// Sets a new password from a reset link: the link is used up, every
    /// session of the account ends, together. The account, or why not.
    pub async fn reset_password(&self, token: &str, hash: &str) -> Result<Result<i64, reset::Refusal>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let user_id = match reset::consume(&mut tx, token).await? {
            Ok(id) => id,
            Err(refusal) => return Ok(Err(refusal)),
        };
        belgrano_platform::db::sql("UPDATE usuarios SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        belgrano_platform::session::end_all_in(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(Ok(user_id))
    }

    /// The newest mails (the dev mailbox).
    pub async fn correos(&self, limit: i64) -> Result<Vec<Kept>, StoreError> {
        mail::kept(&self.db, TABLE, limit).await
    }

    /// The mails' outbox.
    pub fn correos_outbox(&self) -> &belgrano_platform::outbox::Outbox {
        &self.correos
    }
}
